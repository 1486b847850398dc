#!/usr/bin/env python3
"""Set up and run gmm-lesson with nothing but Python and pip.

    python3 run.py lab        # the lessons: make the exercises, open them in JupyterLab
    python3 run.py test       # install everything, run every test (extra args go to pytest)
    python3 run.py explorer   # the EM explorer alone, as a Voila web app (no code shown)
    python3 run.py lite       # build a static JupyterLite site into build/lite
    python3 run.py exercises  # only make the student versions in exercises/
    python3 run.py report A   # item analysis of graded assignment A: course/reports/A/
    python3 run.py hub        # as root: install and start the course's JupyterHub (deploy/hub)
    python3 run.py grade A    # autograde assignment A for the whole class, in parallel (dask)
    python3 run.py check [NB ...]  # grade your own exercises/ notebooks with the hidden checks
    python run.py binder      # Binder's postBuild: exercises and Voila settings, no .venv

Each command installs what it needs, and no more, into the virtual environment
``.venv`` beside this file, at the exact versions in ``constraints.txt``; it
reinstalls when ``pyproject.toml`` or ``constraints.txt`` changes. Extra arguments
go to the program run (jupyter lab, pytest, voila, jupyter lite build). The browser
tests need Debian's ``chromium``, the grading tests Debian's ``bubblewrap`` and the
PostgreSQL gradebook tests Debian's ``postgresql``; when they are missing and we are
root with ``apt-get``, they are installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".gmm-lesson-installed"
CONSTRAINTS = ROOT / "constraints.txt"
GRADER = ROOT / "grader"  # the instructor's side: its own distribution, gmm-grader
CHROMIUM = "/usr/bin/chromium"
COURSE = ROOT / "course"
APPS = ROOT / "apps"
START_HERE = APPS / "START-HERE.ipynb"  # copied into exercises/: the order of the notebooks
# The learner's Jupyter configuration for `lab`: nbgrader's instructor tools (formgrader,
# course list, Create Assignment) switched off, as the hub does for students.
LEARNER_CONFIG = APPS / "learner"
LITE_OUTPUT = ROOT / "build" / "lite"
# where `lab` puts the student versions; GMM_LESSON_EXERCISES moves it (the tests use a temp dir)
EXERCISES = Path(os.environ.get("GMM_LESSON_EXERCISES", ROOT / "exercises")).resolve()

# The pyproject extras each command installs (see [project.optional-dependencies]).
EXTRAS = {
    "lab": ("lab",),
    "test": ("test",),
    "explorer": ("explorer",),
    "lite": ("lite",),
    "exercises": ("course",),
    "report": ("course",),  # gmm-report (gmm_grader.item_analysis)
    "grade": ("course",),  # gmm-grade (gmm_grader.classgrade) on course/ (options: --help)
    "check": ("course",),  # gmm-check (gmm_grader.check): a learner grades their own notebooks
    "binder": (),  # installs nothing: binder/environment.yml did
    "hub": (),  # deploy/hub/hub.py makes its own environment for every user
}
# The commands that also need the grader (grader/pyproject.toml), with its extras:
# class is dask, JupyterHub and psycopg (for a PostgreSQL gradebook).
GRADER_EXTRAS = {
    "test": ("class",),
    "report": ("class",),
    "grade": ("class",),
    "check": (),  # gmm-grader itself, no class extras
}
# The first cell of every notebook in the JupyterLite site: the Pyodide kernel installs
# the gmm_lesson wheel shipped in the site (piplite); numpy and matplotlib come with it
# from the Pyodide distribution.
LITE_INSTALL_CELL = "%pip install -q gmm_lesson"


def say(msg: str) -> None:
    print(f"[run.py] {msg}", flush=True)


def _digest() -> str:
    h = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    h.update((GRADER / "pyproject.toml").read_bytes())
    h.update(CONSTRAINTS.read_bytes())
    return h.hexdigest()


def _installed(digest: str) -> tuple[set[str], set[str] | None]:
    """The extras of gmm-lesson, and of gmm-grader (None: not installed), in .venv."""
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return set(), None
    if not isinstance(stamp, dict) or stamp.get("digest") != digest or not PYTHON.exists():
        return set(), None
    grader = stamp.get("grader")
    return set(stamp.get("extras", ())), None if grader is None else set(grader)


def ensure_venv(extras: Sequence[str] = ("test",), grader: Sequence[str] | None = ("class",)) -> None:
    """Create .venv and install gmm-lesson with ``extras``, unless already there.

    ``grader`` is None for a command that needs no grader, else the extras of
    gmm-grader (``grader/``) to install beside it. Everything is installed with
    ``pip -c constraints.txt``, so each machine gets the versions the project was
    tested with. What was installed before is kept.
    """
    digest = _digest()
    have, have_grader = _installed(digest)
    if "test" in have:  # the test extra holds every other one (pyproject.toml)
        have |= {"lab", "course", "explorer", "lite"}
    if set(extras) <= have and (grader is None or (have_grader is not None and set(grader) <= have_grader)):
        return
    if not PYTHON.exists():
        say(f"creating virtual environment in {VENV}")
        venv.create(VENV, with_pip=True)
    wanted = sorted(have | set(extras))
    targets = ["-e", f"{ROOT}[{','.join(wanted)}]"]
    names = f"gmm-lesson[{','.join(wanted)}]"
    wanted_grader = None
    if grader is not None or have_grader is not None:
        wanted_grader = sorted((have_grader or set()) | set(grader or ()))
        targets += ["-e", f"{GRADER}[{','.join(wanted_grader)}]" if wanted_grader else str(GRADER)]
        names += f" and gmm-grader[{','.join(wanted_grader)}]"
    say(f"installing {names} (a few minutes the first time)")
    pip = [PYTHON, "-m", "pip", "install", "-c", CONSTRAINTS]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *targets], check=True)
    STAMP.write_text(json.dumps({"digest": digest, "extras": wanted, "grader": wanted_grader}))


def apt_install(package: str, present: bool, purpose: str) -> None:
    """Install a Debian package with apt-get when it is missing and we are root."""
    if present:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say(f"installing {package} for {purpose} (apt-get)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", package],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    else:
        say(f"{package} is missing: {purpose} need it (sudo apt-get install {package})")


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium."""
    apt_install("chromium", Path(CHROMIUM).exists(), "the browser tests")


def ensure_bubblewrap() -> None:
    """Autograding sandboxes each student's kernel with bubblewrap."""
    apt_install("bubblewrap", shutil.which("bwrap") is not None, "the grading sandbox and its tests")


def ensure_postgresql() -> None:
    """The gradebook tests start a throwaway PostgreSQL cluster with Debian's server."""
    present = any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    apt_install("postgresql", present, "the PostgreSQL gradebook tests")


def venv_env(bindir: Path = BIN) -> dict[str, str]:
    """The environment with .venv/bin first on PATH (nbgrader shells out to alembic)."""
    return {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}


def make_exercises(target: Path | None = None, bindir: Path = BIN) -> None:
    """Student versions of every assignment in exercises/, for self-paced learners.

    nbgrader replaces the solutions by ``raise NotImplementedError()`` and removes the
    hidden tests; a last cell (:func:`add_check_cell`) checks the saved notebook with them.
    An assignment already in exercises/ is skipped (no --force), so
    running this again never overwrites a learner's work. ``target`` replaces
    exercises/; ``bindir`` is where ``nbgrader`` is (the venv's by default).
    """
    target = EXERCISES if target is None else Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    if not (target / START_HERE.name).exists():  # the path through the course, opened first
        shutil.copyfile(START_HERE, target / START_HERE.name)
    for source in sorted((COURSE / "source").iterdir()):
        if not source.is_dir() or (target / source.name).exists():
            continue
        say(f"making the student version of {source.name} in {target}")
        subprocess.run(
            [
                bindir / "nbgrader",
                "generate_assignment",
                source.name,
                "--no-db",
                "--log-level=WARN",
                f"--CourseDirectory.release_directory={target}",
            ],
            check=True,
            cwd=COURSE,
            env=venv_env(bindir),
        )
        for notebook in (target / source.name).glob("*.ipynb"):
            add_check_cell(notebook)


#: the last cell of every exercise notebook: check the saved file from inside JupyterLab
CHECK_CELL = """\
# Check my work (not graded): grades the SAVED file {notebook} (save first: Ctrl+S)
# with the course's hidden checks, in a separate process (python3 run.py check does the same).
import os, subprocess, sys

if os.environ.get("NBGRADER_EXECUTION"):
    print("(skipped while grading)")
else:
    try:
        _done = subprocess.run([sys.executable, "-m", "gmm_grader.check", "{notebook}"],
                               capture_output=True, text=True)
        print(_done.stdout + _done.stderr)
    except OSError as exc:
        print(f"no checker here ({{exc}}): run `python3 run.py check` in a terminal")"""


def add_check_cell(notebook: Path) -> None:
    """Append the "check my work" cell (:data:`CHECK_CELL`) to an exercise notebook, once."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    if any(cell.get("id") == "check-my-work" for cell in nb["cells"]):
        return
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "check-my-work",
        "metadata": {},
        "outputs": [],
        "source": CHECK_CELL.format(notebook=notebook.name).splitlines(keepends=True),
    }
    if nb.get("nbformat_minor", 0) < 5:
        del cell["id"]
    nb["cells"].append(cell)
    notebook.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(rest: Sequence[str]) -> list[str]:
    """``jupyter lab`` with the user's arguments; as root, with --allow-root.

    Jupyter refuses to start as root without it ("Running as root is not
    recommended"), and root is who runs a fresh container, a CI job or a Binder-like box.
    Without a file of the user's to open, it opens START-HERE.ipynb.
    """
    extra = ["--allow-root"] if is_root() and "--allow-root" not in rest else []
    opens = [] if any(not arg.startswith("-") for arg in rest) else [START_HERE.name]
    return [str(BIN / "jupyter"), "lab", *extra, *rest, *opens]


def learner_env() -> dict[str, str]:
    """The venv's environment, with the learner's Jupyter configuration searched first, and
    the course folder named for the graded questions' self-check (gmm_lesson.quiz)."""
    env = venv_env()
    env["GMM_LESSON_COURSE"] = str(COURSE)  # the graded questions' self-check reads course/quiz
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(LEARNER_CONFIG), os.environ.get("JUPYTER_CONFIG_PATH", "")) if p
    )
    return env


def explorer_command(rest: Sequence[str]) -> list[str]:
    """Voila serving apps/explorer.ipynb; run from apps/ so that apps/voila.json applies."""
    return [str(BIN / "voila"), "explorer.ipynb", *rest]


def _lite_notebook(source: Path, target: Path) -> None:
    """Copy a notebook for JupyterLite, with the cell that installs gmm_lesson first."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "lite-install-gmm-lesson",
        "metadata": {"tags": ["lite-install"]},
        "outputs": [],
        "source": [LITE_INSTALL_CELL],
    }
    if nb.get("nbformat_minor", 0) < 5:
        del cell["id"]
    nb["cells"].insert(0, cell)
    nb.setdefault("metadata", {})["kernelspec"] = {
        "name": "python",
        "display_name": "Python (Pyodide)",
        "language": "python",
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def build_lite(rest: Sequence[str]) -> int:
    """A static JupyterLite site: the exercises, the explorer and the gmm_lesson wheel."""
    output, others, args = LITE_OUTPUT, [], iter(rest)
    for arg in args:  # --output-dir DIR or --output-dir=DIR; the rest go to `jupyter lite build`
        if arg == "--output-dir":
            output = Path(next(args)).resolve()
        elif arg.startswith("--output-dir="):
            output = Path(arg.split("=", 1)[1]).resolve()
        else:
            others.append(arg)
    if output.exists() and any(output.iterdir()) and not (output / "jupyter-lite.json").exists():
        say(f"{output} is not empty and holds no JupyterLite site: not overwriting it")
        return 1
    with tempfile.TemporaryDirectory(prefix="gmm-lite-") as tmp:
        work = Path(tmp)
        wheels = work / "wheels"
        subprocess.run(
            [PYTHON, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT], check=True
        )
        (wheel,) = wheels.glob("gmm_lesson-*.whl")
        make_exercises(work / "exercises")
        contents = work / "contents"
        for notebook in sorted((work / "exercises").rglob("*.ipynb")):
            _lite_notebook(notebook, contents / "lessons" / notebook.relative_to(work / "exercises"))
        for data in (work / "exercises").rglob("*"):
            if data.is_file() and data.suffix != ".ipynb":
                copy = contents / "lessons" / data.relative_to(work / "exercises")
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(data, copy)
        _lite_notebook(APPS / "explorer.ipynb", contents / "explorer.ipynb")
        shutil.copy2(APPS / "jupyter-lite.json", work / "jupyter-lite.json")
        if output.exists():
            shutil.rmtree(output)  # an earlier build (checked above)
        say(f"building the JupyterLite site in {output}")
        return subprocess.call(
            [
                BIN / "jupyter",
                "lite",
                "build",
                "--contents",
                contents,
                "--piplite-wheels",
                wheel,
                "--output-dir",
                output,
                *others,
            ],
            cwd=work,
            env=venv_env(),
        )


def write_server_config(config_dir: Path) -> Path:
    """Merge apps/voila.json into ``config_dir/jupyter_server_config.json``.

    On Binder, Voila runs inside the Jupyter server (``/voila/render/...``), which reads
    Voila's and the kernel culler's settings from its own config file. (A file in
    ``jupyter_server_config.d/`` would not do: the server reads only extension switches
    there.) Settings already in the file are kept unless apps/voila.json sets them.
    """
    path = Path(config_dir) / "jupyter_server_config.json"
    config = json.loads(path.read_text()) if path.exists() else {}
    for section, values in json.loads((APPS / "voila.json").read_text()).items():
        config.setdefault(section, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def user_config_dir() -> Path:
    """Jupyter's user config directory (what ``jupyter --config-dir`` prints)."""
    return Path(os.environ.get("JUPYTER_CONFIG_DIR") or Path.home() / ".jupyter")


#: the oldest Python gmm-lesson supports (pyproject.toml's requires-python)
PYTHON_NEEDED = (3, 11)


def python_too_old(version: tuple[int, ...] = tuple(sys.version_info)) -> str | None:
    """One line saying what to do when this Python is older than gmm-lesson supports."""
    if tuple(version[:2]) >= PYTHON_NEEDED:
        return None
    have = ".".join(str(v) for v in version[:3])
    return (
        f"gmm-lesson needs Python {PYTHON_NEEDED[0]}.{PYTHON_NEEDED[1]} or newer; this is Python {have}. "
        "Run run.py with a newer python3 (for example python3.12 run.py lab; on Ubuntu 22.04: "
        "sudo apt-get install python3.11 python3.11-venv, then python3.11 run.py lab)."
    )


def pytest_args(rest: Sequence[str]) -> list[str]:
    """The user's pytest arguments, plus ``--durations=25`` unless they chose their own.

    The 25 slowest tests, printed at the end of every run, keep the suite's budget
    (25 minutes on 2 cores) in sight.
    """
    if any(arg == "--durations" or arg.startswith("--durations=") for arg in rest):
        return list(rest)
    return [*rest, "--durations=25"]


def main(argv: list[str]) -> int:
    too_old = python_too_old()
    if too_old:
        print(f"[run.py] {too_old}", file=sys.stderr)
        return 2
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "binder":
        # Binder's postBuild: this Python's environment (binder/environment.yml) already
        # has nbgrader and Voila; no .venv.
        make_exercises(bindir=Path(sys.executable).parent)
        say(f"Voila and kernel culling settings in {write_server_config(user_config_dir())}")
        return 0
    if command == "hub":  # no .venv: the users' environment must be readable by every user
        return subprocess.call([sys.executable, ROOT / "deploy" / "hub" / "hub.py", *rest])
    ensure_venv(EXTRAS[command], GRADER_EXTRAS.get(command))
    if command == "test":
        ensure_chromium()
        ensure_bubblewrap()
        ensure_postgresql()
        return subprocess.call([PYTHON, "-m", "pytest", *pytest_args(rest)], cwd=ROOT)
    if command == "explorer":
        return subprocess.call(explorer_command(rest), cwd=APPS, env=venv_env())
    if command == "lite":
        return build_lite(rest)
    if command == "report":
        return subprocess.call([BIN / "gmm-report", *rest], cwd=ROOT, env=venv_env())
    if command == "check":
        check = [BIN / "gmm-check", f"--exercises={EXERCISES}", *rest]
        return subprocess.call(check, env=venv_env())
    if command == "grade":
        ensure_bubblewrap()
        grade = [BIN / "gmm-grade", "--course", COURSE, *rest]
        return subprocess.call(grade, env=venv_env())
    make_exercises()
    if command == "exercises":
        return 0
    return subprocess.call(lab_command(rest), cwd=EXERCISES, env=learner_env())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
