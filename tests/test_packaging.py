"""A regular (non-editable) install must carry the data sets: nothing downloads at run time."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_the_library_and_its_csv_files(library_wheel):
    # built once for the session (tests/conftest.py) from a copy, so setuptools' build/ and
    # *.egg-info land in a temporary folder, not in the checkout
    wheel, before, after = library_wheel
    assert after == before  # nothing written into the checkout
    names = set(zipfile.ZipFile(wheel).namelist())
    lessons = ("bound", "density", "kmeans")  # em_in_depth's
    for module in ("em", "params", "checks", "fast", "data", "trace", "plots", "widgets", "quiz", *lessons):
        assert f"gmm_lesson/{module}.py" in names
    shipped = {p.name for p in (ROOT / "gmm_lesson" / "data").glob("*.csv")}
    assert shipped == {"iris_sepal.csv", "old_faithful.csv"}
    assert {f"gmm_lesson/data/{name}" for name in shipped} <= names
    # the course and tests are not part of the package
    assert not any(n.startswith(("course/", "tests/")) for n in names)
