"""A regular (non-editable) install must carry the data sets: nothing downloads at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_the_library_and_its_csv_files(tmp_path):
    # build from a copy, so setuptools' build/ and *.egg-info land in tmp_path, not in the checkout
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "gmm_lesson", source / "gmm_lesson", ignore=shutil.ignore_patterns("__pycache__"))
    before = sorted(p.name for p in ROOT.iterdir())
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
    )
    assert sorted(p.name for p in ROOT.iterdir()) == before  # nothing written into the checkout
    (wheel,) = wheels.glob("gmm_lesson-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    lessons = ("bound", "density", "kmeans")  # em_in_depth's
    for module in ("em", "params", "checks", "fast", "data", "trace", "plots", "widgets", "quiz", *lessons):
        assert f"gmm_lesson/{module}.py" in names
    shipped = {p.name for p in (ROOT / "gmm_lesson" / "data").glob("*.csv")}
    assert shipped == {"iris_sepal.csv", "old_faithful.csv"}
    assert {f"gmm_lesson/data/{name}" for name in shipped} <= names
    # the course and tests are not part of the package
    assert not any(n.startswith(("course/", "tests/")) for n in names)
