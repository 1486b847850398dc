#!/usr/bin/env python3
"""Set up and run gmm-lesson with nothing but Python and pip.

    python3 run.py lab     # create .venv if needed, install, make the exercises, open them in JupyterLab
    python3 run.py test    # create .venv if needed, install, run every test (extra args go to pytest)

The virtual environment lives in ``.venv`` beside this file and is reinstalled
whenever ``pyproject.toml`` changes. The browser tests need Debian's ``chromium`` and
the grading tests Debian's ``bubblewrap``; when they are missing and we are root with
``apt-get``, they are installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".gmm-lesson-installed"
CHROMIUM = "/usr/bin/chromium"
COURSE = ROOT / "course"
# where `lab` puts the student versions; GMM_LESSON_EXERCISES moves it (the tests use a temp dir)
EXERCISES = Path(os.environ.get("GMM_LESSON_EXERCISES", ROOT / "exercises")).resolve()


def say(msg: str) -> None:
    print(f"[run.py] {msg}", flush=True)


def ensure_venv() -> None:
    """Create .venv and install the package with its test extra, unless up to date."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        say(f"creating virtual environment in {VENV}")
        venv.create(VENV, with_pip=True)
    say("installing gmm-lesson and its dependencies (a few minutes the first time)")
    subprocess.run([PYTHON, "-m", "pip", "install", "--upgrade", "pip"], check=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium; install it when we can."""
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing chromium for the browser tests (apt-get)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    else:
        say(f"{CHROMIUM} is missing: install Debian's chromium (sudo apt-get install chromium)")


def ensure_bubblewrap() -> None:
    """Autograding sandboxes each student's kernel with bubblewrap; install it when we can."""
    if shutil.which("bwrap"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing bubblewrap for the grading sandbox (apt-get)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "bubblewrap"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    else:
        say("bwrap is missing: grading needs Debian's bubblewrap (sudo apt-get install bubblewrap)")


def venv_env() -> dict[str, str]:
    """The environment with .venv/bin first on PATH (nbgrader shells out to alembic)."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def make_exercises() -> None:
    """Student versions of every assignment in exercises/, for self-paced learners.

    nbgrader replaces the solutions by ``raise NotImplementedError()`` and removes the
    hidden tests. An assignment already in exercises/ is skipped (no --force), so
    running this again never overwrites a learner's work.
    """
    for source in sorted((COURSE / "source").iterdir()):
        if not source.is_dir() or (EXERCISES / source.name).exists():
            continue
        say(f"making the student version of {source.name} in {EXERCISES}")
        subprocess.run(
            [
                BIN / "nbgrader",
                "generate_assignment",
                source.name,
                "--no-db",
                "--log-level=WARN",
                f"--CourseDirectory.release_directory={EXERCISES}",
            ],
            check=True,
            cwd=COURSE,
            env=venv_env(),
        )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("lab", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command == "test":
        ensure_chromium()
        ensure_bubblewrap()
        return subprocess.call([PYTHON, "-m", "pytest", *rest], cwd=ROOT)
    make_exercises()
    return subprocess.call([BIN / "jupyter", "lab", *rest], cwd=EXERCISES, env=venv_env())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
