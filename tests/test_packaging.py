"""A regular (non-editable) install must carry the data sets: nothing downloads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_the_library_and_its_csv_files(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("gmm_lesson-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("em", "data", "trace", "plots", "widgets", "quiz"):
        assert f"gmm_lesson/{module}.py" in names
    shipped = {p.name for p in (ROOT / "gmm_lesson" / "data").glob("*.csv")}
    assert shipped == {"iris_sepal.csv", "old_faithful.csv"}
    assert {f"gmm_lesson/data/{name}" for name in shipped} <= names
    # the course and tests are not part of the package
    assert not any(n.startswith(("course/", "tests/")) for n in names)
