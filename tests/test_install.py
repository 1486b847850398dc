"""How gmm-lesson installs: dependencies per use, exact versions, Binder, a bare wheel.

* the library needs numpy, matplotlib and ipywidgets only; every Jupyter application
  is an extra, and each ``run.py`` command installs the extras it needs;
* ``constraints.txt`` pins what ``run.py`` installs, and the two environment files pin
  the same versions;
* Binder's configuration is read by repo2docker's own detection (``--no-build``: no
  Docker needed);
* (slow) the wheel, installed with no extras into a fresh virtual environment, runs
  the library and the explorer headless without any Jupyter server package.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
import yaml
from lab_server import LabServer
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
GRADER_PYPROJECT = tomllib.loads((ROOT / "grader" / "pyproject.toml").read_text())
CORE = {"numpy", "matplotlib", "ipywidgets"}
# Jupyter server side and course tools: never needed to import and run gmm_lesson
NOT_IN_CORE = {"jupyterlab", "jupyter-server", "notebook", "nbgrader", "ipykernel", "scikit-learn", "voila",
               "nbconvert", "nbclient", "jupyterlite-core", "tornado"}
KEY_PACKAGES = {"jupyterlab", "ipywidgets", "nbgrader", "notebook", "jupyter-server", "ipykernel", "nbclient",
                "nbconvert", "playwright", "axe-playwright-python", "numpy", "matplotlib", "scikit-learn",
                "voila", "jupyterlite-core", "jupyterlite-pyodide-kernel", "jupyter-repo2docker", "pip"}


def _run_module():
    spec = importlib.util.spec_from_file_location("gmm_run", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def constraint_lines() -> list[Requirement]:
    """Every pin of constraints.txt, markers included."""
    lines = []
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==" and not req.extras, f"not an exact pin: {line!r}"
            lines.append(req)
    return lines


def constraints() -> dict[str, str]:
    """The pins that apply to this Python (a marked line applies where its marker holds)."""
    pins = {}
    for req in constraint_lines():
        if req.marker is None or req.marker.evaluate():
            key = canonicalize_name(req.name)
            assert key not in pins, f"{req.name} pinned twice for this Python"
            pins[key] = next(iter(req.specifier)).version
    return pins


def env_file_pins(path: Path) -> dict[str, str]:
    """The ``name==version`` lines of an environment file's pip section."""
    env = yaml.safe_load(path.read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {}
    for line in pip:
        if line.startswith("-"):
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"{path.name}: {line!r} is not an exact pin"
        pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_the_library_needs_only_numpy_matplotlib_and_ipywidgets():
    core = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    assert core == CORE


def test_each_run_py_command_installs_extras_that_exist_and_test_installs_them_all():
    run = _run_module()
    extras = PYPROJECT["project"]["optional-dependencies"]
    for command, wanted in run.EXTRAS.items():
        assert set(wanted) <= set(extras), (command, wanted)

    def closure(name: str) -> set[str]:
        out = {name}
        for req in map(Requirement, extras[name]):
            if canonicalize_name(req.name) == "gmm-lesson":
                for sub in req.extras:
                    out |= closure(sub)
        return out

    assert closure("test") == set(extras)
    assert "nbgrader" in " ".join(extras["course"]) and "jupyterlab" in " ".join(extras["lab"])
    assert "voila" in " ".join(extras["explorer"]) and "jupyterlite-core" in " ".join(extras["lite"])


def test_constraints_pin_every_key_package_and_satisfy_pyproject():
    pins = constraints()
    assert KEY_PACKAGES <= set(pins), sorted(KEY_PACKAGES - set(pins))
    assert "gmm-lesson" not in pins
    requirements = [
        *(r for project in (PYPROJECT, GRADER_PYPROJECT) for r in project["project"]["dependencies"]),
        *(r for project in (PYPROJECT, GRADER_PYPROJECT)
          for extra in project["project"]["optional-dependencies"].values() for r in extra),
    ]
    for req in map(Requirement, requirements):
        name = canonicalize_name(req.name)
        if name != "gmm-lesson":
            assert name in pins, f"{name} is required but not pinned in constraints.txt"
            assert req.specifier.contains(pins[name], prereleases=True), (str(req), pins[name])


def test_constraints_match_the_installed_environment():
    """The venv that runs these tests was installed by run.py with -c constraints.txt."""
    from importlib.metadata import version

    for name in KEY_PACKAGES:
        assert version(name) == constraints()[name], name


def test_every_pin_installs_on_every_python_the_project_allows():
    """A pinned release that needs a newer Python than requires-python (>=3.11), such as
    soupsieve 4 (3.11.5), needs a marked alternative, or Debian 12's Python 3.11.2 fails."""
    from importlib.metadata import metadata

    lowest = SpecifierSet(PYPROJECT["project"]["requires-python"])
    oldest = next(v for v in ("3.11.0", "3.12.0", "3.13.0") if lowest.contains(v))
    marked = {canonicalize_name(r.name) for r in constraint_lines() if r.marker is not None}
    for name, version in constraints().items():
        needs = metadata(name).get("Requires-Python") or ""
        if not SpecifierSet(needs).contains(oldest) and name not in marked:
            pytest.fail(f"{name}=={version} needs Python {needs}: add a marked pin for older Pythons")
    # each marked package has exactly one pin for the oldest allowed Python and for this one
    for name in marked:
        group = [r for r in constraint_lines() if canonicalize_name(r.name) == name]
        for python in (oldest, platform.python_version()):
            env = {"python_full_version": python, "python_version": python.rsplit(".", 1)[0]}
            applying = [r for r in group if r.marker is None or r.marker.evaluate(env)]
            assert len(applying) == 1, (name, python, [str(r) for r in applying])


@pytest.mark.parametrize("path", ["environment.yml", "binder/environment.yml"])
def test_environment_files_pin_the_constraints_versions(path):
    pins, env = constraints(), env_file_pins(ROOT / path)
    assert env, f"{path} pins nothing"
    for name, version in env.items():
        assert pins.get(name) == version, f"{path}: {name}=={version}, constraints.txt: {pins.get(name)}"


def test_run_py_passes_the_constraints_to_pip(tmp_path, monkeypatch):
    run = _run_module()
    calls = []
    monkeypatch.setattr(run, "VENV", tmp_path)
    monkeypatch.setattr(run, "STAMP", tmp_path / "stamp")
    monkeypatch.setattr(run, "PYTHON", Path(sys.executable))
    monkeypatch.setattr(run.subprocess, "run", lambda cmd, **kw: calls.append([str(c) for c in cmd]))
    run.ensure_venv(("explorer",), None)
    assert calls and all(c[3:6] == ["install", "-c", str(ROOT / "constraints.txt")] for c in calls)
    assert calls[-1][6:] == ["-e", f"{ROOT}[explorer]"]  # no grader for the explorer
    # installed extras are remembered: asking again installs nothing, more installs the union
    calls.clear()
    run.ensure_venv(("explorer",), None)
    assert calls == []
    run.ensure_venv(("lab",), None)
    assert calls[-1][6:] == ["-e", f"{ROOT}[explorer,lab]"]
    # the grader is its own distribution (grader/), installed beside the library when asked
    run.ensure_venv(("lab",), ("class",))
    assert calls[-1][6:] == ["-e", f"{ROOT}[explorer,lab]", "-e", f"{ROOT / 'grader'}[class]"]
    calls.clear()
    run.ensure_venv(("lab",), None)  # kept: a command without the grader does not remove it
    assert calls == []
    # the commands that grade install the grader; the learner's do not
    assert set(run.GRADER_EXTRAS) == {"test", "grade", "report", "check"}


# ------------------------------------------------------------------------------ Binder
def test_binder_environment_is_runtime_only_with_an_exact_python():
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    assert "python=3.12" in env["dependencies"]
    pins = env_file_pins(ROOT / "binder" / "environment.yml")
    assert {"jupyterlab", "nbgrader", "voila", "ipykernel", "scikit-learn"} | CORE <= set(pins)
    assert not {"pytest", "playwright", "ruff", "hypothesis", "axe-playwright-python"} & set(pins)
    text = (ROOT / "binder" / "environment.yml").read_text()
    assert "-e ." not in text and "\n      - ." not in text


def test_binder_postbuild_installs_the_package_without_deps_and_makes_the_exercises():
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    commands = [line.strip() for line in post.read_text().splitlines() if line.strip()[:1] not in ("", "#")]
    assert commands[0] == "set -euo pipefail"
    assert "python -m pip install --no-deps --no-cache-dir ." in commands
    assert commands[-1] == "python run.py binder"
    subprocess.run(["bash", "-n", str(post)], check=True)


def test_repo2docker_detects_the_binder_config():
    """repo2docker's own detection and Dockerfile, without building (no Docker here)."""
    repo2docker = Path(sys.executable).parent / "repo2docker"
    result = subprocess.run(
        [repo2docker, "--no-build", "--debug", str(ROOT)], capture_output=True, text=True, timeout=300
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Building conda environment for python=3.12" in out
    assert 'env update -p ${NB_PYTHON_PREFIX} --file "binder/environment.yml"' in out
    assert "RUN ./binder/postBuild" in out
    # the root environment.yml (the developers', with the test tools) is not Binder's
    assert '--file "environment.yml"' not in out


def test_binder_postbuild_setup_serves_exercises_and_voila_with_culling(tmp_path):
    """What ``python run.py binder`` (postBuild) sets up, in a real Jupyter server with Voila.

    No .venv: the exercises are made with this Python's own nbgrader, and apps/voila.json
    is merged into the user's jupyter_server_config.json, which the server running
    /voila/render/... reads. The server is the one Binder starts (jupyter lab), with
    the notebook root holding the repository's apps/ and the exercises.
    """
    server = LabServer(tmp_path / "lab")
    config = tmp_path / "lab" / "config"  # the server's JUPYTER_CONFIG_DIR
    config.mkdir(parents=True)
    earlier = {"ServerApp": {"shutdown_no_activity_timeout": 0}}
    (config / "jupyter_server_config.json").write_text(json.dumps(earlier))
    shutil.copytree(ROOT / "apps", server.root_dir / "apps")
    env = {"GMM_LESSON_EXERCISES": str(server.root_dir / "exercises"), "JUPYTER_CONFIG_DIR": str(config),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([sys.executable, str(ROOT / "run.py"), "binder"], check=True, env=env)
    written = json.loads((config / "jupyter_server_config.json").read_text())
    assert written["ServerApp"] == earlier["ServerApp"]  # kept
    idle = written["MappingKernelManager"]["cull_idle_timeout"]
    assert idle > 0
    with server:
        listing = server.api("GET", "/api/contents/exercises")
        assert sorted(item["name"] for item in listing["content"]) == sorted(
            [*(p.name for p in (ROOT / "course" / "source").iterdir() if p.is_dir()), "START-HERE.ipynb"])
        page = server.request("GET", "/voila/render/apps/explorer.ipynb", timeout=240).decode()
        assert "application/vnd.jupyter.widget-view+json" in page  # the explorer ran
        assert "EMExplorer()" not in page and "from gmm_lesson" not in page  # no code
        log = server.log_tail(100_000)
        assert f"Culling kernels with idle durations > {idle} seconds" in log, log[-4000:]


# ------------------------------------------------------------------- the bare wheel
@pytest.fixture(scope="module")
def wheel(library_wheel) -> Path:
    """The library's wheel, built once for the session (tests/conftest.py)."""
    return library_wheel[0]


def wheel_requires(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as zf:
        (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        text = zf.read(meta).decode()
    lines = text.splitlines()
    return [Requirement(line.split(":", 1)[1]) for line in lines if line.startswith("Requires-Dist:")]


def test_wheel_requires_only_the_core_without_extras(wheel):
    """What JupyterLite's piplite (or any plain pip) installs with gmm_lesson."""
    requires = wheel_requires(wheel)
    plain = {canonicalize_name(r.name) for r in requires if r.marker is None}
    assert plain == CORE
    assert not plain & NOT_IN_CORE
    extras = {canonicalize_name(r.name) for r in requires if r.marker is not None}
    assert {"jupyterlab", "nbgrader", "voila"} <= extras


BARE_CHECK = """
import importlib.util, sys
from importlib.metadata import distributions
installed = {d.metadata["Name"].lower().replace("_", "-") for d in distributions()}
for absent in ("jupyterlab", "jupyter-server", "notebook", "nbgrader", "scikit-learn", "voila", "ipykernel"):
    assert absent not in installed, absent
assert importlib.util.find_spec("sklearn") is None
assert "site-packages" in __import__("gmm_lesson").__file__

from gmm_lesson import data, em, plots, quiz, trace
from gmm_lesson.widgets import EMExplorer, static_figure
X = data.standardize(data.load_iris_sepal())[0]
model = em.fit(X, 3, seed=0)
assert model.converged and -400 < model.history[-1] < -360, model.history[-1]
ex = EMExplorer(X, max_components=4, max_iter=20, seed=0)
first = ex.image.value
ex.iteration_slider.value = 2
assert ex.image.value != first and "step 2 of" in ex.alt_text
ex.k_slider.value = 2
assert ex.fit_count == 2 and "K=2," in ex.alt_text
assert len(static_figure(X)._repr_png_()) > 10_000
print("bare wheel OK", len(installed), "distributions")
"""


@pytest.mark.slow
def test_wheel_without_extras_runs_the_library_and_explorer_in_a_fresh_venv(wheel, tmp_path):
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    # --no-compile: byte-compiling numpy, matplotlib and the rest (about 75 s on 2 cores)
    # tests nothing of ours, and the check below reads no .pyc file
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-compile", "-c", ROOT / "constraints.txt", wheel],
        check=True,
    )
    result = subprocess.run(
        [python, "-c", BARE_CHECK], cwd=tmp_path, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bare wheel OK" in result.stdout
