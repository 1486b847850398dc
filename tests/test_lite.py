"""``python3 run.py lite``: a static JupyterLite site with the lessons and the wheel.

What can be checked here, offline, is checked: the site builds, every lesson (the
student version, with a first cell that installs gmm_lesson) and the explorer are in
it, the gmm_lesson wheel is in the site's piplite index, and that wheel asks for
nothing but numpy, matplotlib and ipywidgets, so installing it in the Pyodide kernel
pulls no Jupyter server package. Running the lessons in the browser is not checked:
Pyodide itself, numpy and matplotlib are loaded from the Pyodide CDN at run time, and
this machine reaches no CDN.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from test_install import CORE, NOT_IN_CORE, wheel_requires

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "course" / "source").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lite") / "site"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "lite", "--output-dir", str(out)],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"\nJupyterLite: built in {time.monotonic() - started:.1f} s, {size / 2**20:.1f} MiB")
    return out


def test_site_has_jupyterlab_and_the_pyodide_kernel(site: Path):
    assert (site / "index.html").is_file() and (site / "lab" / "index.html").is_file()
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    names = {ext["name"] for ext in config["federated_extensions"]}
    assert {"@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager"} <= names
    # nbgrader's and Voila's lab extensions need a server: switched off in the site
    assert {"@jupyter/nbgrader", "@voila-dashboards/jupyterlab-preview"} <= set(config["disabledExtensions"])


def test_every_lesson_is_in_the_site_as_a_student_version(site: Path):
    for name in ASSIGNMENTS:
        path = site / "files" / "lessons" / name / f"{name}.ipynb"
        assert path.is_file(), f"{name} missing from the site"
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python"  # the Pyodide kernel
        assert "".join(nb["cells"][0]["source"]) == "%pip install -q gmm_lesson"
        text = json.dumps(nb)
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        # listed in the site's contents index, as the file browser shows it
        listing = json.loads((site / "api" / "contents" / "lessons" / name / "all.json").read_text())
        assert f"lessons/{name}/{name}.ipynb" in {item["path"] for item in listing["content"]}
    explorer = json.loads((site / "files" / "explorer.ipynb").read_text())
    assert "EMExplorer()" in "".join(explorer["cells"][-1]["source"])


def test_the_sites_wheel_pulls_no_jupyter_server_packages(site: Path):
    index = json.loads((site / "pypi" / "all.json").read_text())
    (release,) = index["gmm-lesson"]["releases"].values()
    (wheel,) = [site / "pypi" / r["filename"] for r in release if r["filename"].endswith(".whl")]
    with zipfile.ZipFile(wheel) as zf:
        assert "gmm_lesson/data/iris_sepal.csv" in zf.namelist()
    requires = wheel_requires(wheel)
    plain = {canonicalize_name(r.name) for r in requires if r.marker is None}
    assert plain == CORE and not plain & NOT_IN_CORE


def test_run_py_lite_never_overwrites_a_folder_that_is_not_a_site(tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    result = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "lite", f"--output-dir={tmp_path}"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1 and "not overwriting" in result.stdout
    assert keep.read_text() == "mine"
