#!/usr/bin/env python3
"""Install and start the course's JupyterHub (as root): ``python3 run.py hub``.

What it installs, each step skipped when already done:

* Node.js and npm from Debian (``apt-get install nodejs npm``), then
  ``configurable-http-proxy`` from npm, at the version in ``deploy/hub/package-lock.json``
  (``npm ci``), into ``build/hub/npm`` (git-ignored);
* the **users' environment**: a virtual environment made from Debian's ``/usr/bin/python3``
  in ``GMM_LESSON_HUB_PREFIX`` (default ``/opt/gmm-lesson-hub``), readable by every user,
  holding ``gmm-lesson[lab]`` and ``gmm-grader[class]`` at the versions of ``constraints.txt`` (the lesson's
  versions). It is a copy, not an editable install: the project folder may sit where
  users cannot read it (``/root``). The hub itself runs from it too;
* nbgrader's settings in that environment: ``deploy/hub/nbgrader_config.py`` (course id and
  exchange from the environment), the formgrader and course list switched off for
  everyone, and ``deploy/hub/instructor/`` (which switches them on again) for instructors;
* Debian's ``acl`` (``setfacl``): each released feedback file is readable by its own
  student only (``grader/gmm_grader/exchange.py``);
* ``/etc/profile.d/gmm-lesson-hub.sh``: in a hub session, the users' environment first on
  ``PATH`` in login shells too (JupyterLab's terminals are login shells, and
  ``/etc/profile`` resets ``PATH``);
* the stock shared-folder exchange (``GMM_LESSON_EXCHANGE``, default
  ``/srv/nbgrader/exchange``): root-owned, mode 1777, as nbgrader documents, with the
  course's folder in it (``GMM_LESSON_COURSE_ID``) made now, owned by the first of
  ``GMM_LESSON_INSTRUCTORS``, so that no student can create it first (see
  :func:`prepare_folders`);
* the hub's own state folder (``GMM_LESSON_HUB_STATE``, default ``/srv/gmm-lesson-hub``),
  mode 0700: its database, cookie secret and proxy pid file.

Then it runs ``jupyterhub -f deploy/hub/jupyterhub_config.py`` (extra arguments go to
jupyterhub; ``--install-only`` stops before it). See docs/README-hub.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIG = HERE / "jupyterhub_config.py"
PREFIX = Path(os.environ.get("GMM_LESSON_HUB_PREFIX", "/opt/gmm-lesson-hub"))
USERS_VENV = PREFIX / "venv"
INSTRUCTOR_CONFIG = PREFIX / "instructor"
STAMP = USERS_VENV / ".gmm-lesson-hub-installed"
#: login shells reset PATH (/etc/profile); JupyterLab's terminals on the hub are login shells
PROFILE = Path("/etc/profile.d/gmm-lesson-hub.sh")
PROXY_DIR = ROOT / "build" / "hub" / "npm"
PROXY = PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
EXCHANGE = Path(os.environ.get("GMM_LESSON_EXCHANGE", "/srv/nbgrader/exchange"))
COURSE_ID = os.environ.get("GMM_LESSON_COURSE_ID", "gmm-lesson")
#: the instructor who owns the course's folder in the exchange (the first one named)
INSTRUCTOR = next(
    (name.strip() for name in os.environ.get("GMM_LESSON_INSTRUCTORS", "").split(",") if name.strip()), None
)
#: the course's folders in the exchange and their modes: what nbgrader 0.9.6's release
#: (``ExchangeReleaseAssignment.init_dest``) and release_feedback make, made here first. The
#: students read ``outbound``, create their submissions in ``inbound`` (write and search,
#: no listing; set-group-id so each submission gets the instructor's group; and, beyond
#: nbgrader, the sticky bit: no student can rename or remove another's submission, as
#: write access to a folder otherwise allows) and fetch their feedback by name from
#: ``feedback``; they cannot create, rename or remove any of these folders (the exchange
#: root has the sticky bit and the course folder is 0755).
COURSE_FOLDERS = {".": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}
STATE = Path(os.environ.get("GMM_LESSON_HUB_STATE", "/srv/gmm-lesson-hub"))
#: the interpreter the users' environment is made from: every user must be able to run it
BASE_PYTHON = Path(os.environ.get("GMM_LESSON_HUB_PYTHON", "/usr/bin/python3"))
#: nbgrader's instructor tools, off for students (nbgrader's "JupyterHub" guide)
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
INSTRUCTOR_LAB_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
)


def _run_py():
    """run.py beside the project, for its ``say`` and ``apt_install`` helpers."""
    spec = importlib.util.spec_from_file_location("gmm_run", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUN = _run_py()
say = RUN.say


def ensure_proxy() -> Path:
    """configurable-http-proxy from npm (Node.js and npm from Debian), in build/hub/npm."""
    RUN.apt_install("nodejs", shutil.which("node") is not None, "the hub's proxy")
    RUN.apt_install("npm", shutil.which("npm") is not None, "installing the hub's proxy")
    RUN.apt_install("acl", shutil.which("setfacl") is not None, "private feedback files in the exchange")
    lock = (HERE / "package-lock.json").read_bytes()
    stamp = PROXY_DIR / "package-lock.json"
    if PROXY.exists() and stamp.exists() and stamp.read_bytes() == lock:
        return PROXY
    say(f"installing configurable-http-proxy (npm ci) into {PROXY_DIR}")
    PROXY_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, PROXY_DIR / name)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PROXY_DIR, check=True)
    return PROXY


def _digest() -> str:
    """Everything the users' environment is built from: a change means a reinstall."""
    h = hashlib.sha256()
    files = [ROOT / "pyproject.toml", ROOT / "grader" / "pyproject.toml", ROOT / "constraints.txt"]
    files += [HERE / "nbgrader_config.py"]
    files += sorted((ROOT / "gmm_lesson").rglob("*.py"))
    files += sorted((ROOT / "grader" / "gmm_grader").rglob("*.py"))
    files += sorted(p for p in (ROOT / "gmm_lesson" / "data").iterdir() if p.is_file())
    files += sorted((HERE / "instructor").rglob("*.json"))
    for path in files:
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def users_python() -> Path:
    """The python of the users' environment (what every single-user server and kernel runs)."""
    return USERS_VENV / "bin" / "python"


def ensure_users_env() -> Path:
    """The users' environment in GMM_LESSON_HUB_PREFIX, world-readable, at the lesson's versions."""
    digest = _digest()
    if STAMP.exists() and STAMP.read_text() == digest and users_python().exists():
        return USERS_VENV
    if not BASE_PYTHON.exists():
        raise SystemExit(
            f"{BASE_PYTHON} is missing: set GMM_LESSON_HUB_PYTHON to a python >= 3.11 every user can run"
        )
    have_venv = (
        subprocess.run([BASE_PYTHON, "-c", "import ensurepip, venv"], capture_output=True).returncode == 0
    )
    RUN.apt_install("python3-venv", have_venv, "the hub users' environment")
    old_umask = os.umask(0o022)  # every user reads and runs it; only root writes
    try:
        if not users_python().exists():
            say(f"creating the hub users' environment in {USERS_VENV} from {BASE_PYTHON}")
            PREFIX.mkdir(parents=True, exist_ok=True)
            subprocess.run([BASE_PYTHON, "-m", "venv", USERS_VENV], check=True)
        pip = [users_python(), "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt"]
        say(f"installing gmm-lesson[lab] and gmm-grader[class] into {USERS_VENV} (minutes the first time)")
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        # not editable: users need not (and in /root cannot) read the project folder
        subprocess.run([*pip, "--force-reinstall", "--no-deps", f"{ROOT}", f"{ROOT / 'grader'}"], check=True)
        subprocess.run([*pip, f"{ROOT}[lab]", f"{ROOT / 'grader'}[class]"], check=True)
        _configure_nbgrader()
    finally:
        os.umask(old_umask)
    STAMP.write_text(digest)
    return USERS_VENV


def _configure_nbgrader() -> None:
    """Course id and exchange for everyone; the instructor tools only where switched on again."""
    jupyter = USERS_VENV / "bin" / "jupyter"
    etc = USERS_VENV / "etc" / "jupyter"
    etc.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "nbgrader_config.py", etc / "nbgrader_config.py")
    for extension in INSTRUCTOR_SERVER_EXTENSIONS:
        subprocess.run(
            [jupyter, "server", "extension", "disable", "--sys-prefix", extension],
            check=True,
            capture_output=True,
        )
    for plugin in INSTRUCTOR_LAB_PLUGINS:
        subprocess.run(
            [jupyter, "labextension", "disable", "--level=sys_prefix", plugin],
            check=True,
            capture_output=True,
        )
    if INSTRUCTOR_CONFIG.exists():
        shutil.rmtree(INSTRUCTOR_CONFIG)
    shutil.copytree(HERE / "instructor", INSTRUCTOR_CONFIG)


def ensure_shell_path(profile: Path = PROFILE) -> None:
    """The users' environment first on PATH in a hub terminal too (a login shell resets PATH)."""
    text = (
        "# written by gmm-lesson's deploy/hub/hub.py: in a JupyterHub session, the users' environment\n"
        f'if [ -n "$JUPYTERHUB_USER" ]; then PATH="{USERS_VENV / "bin"}:$PATH"; export PATH; fi\n'
    )
    if not profile.exists() or profile.read_text() != text:
        profile.write_text(text)
        profile.chmod(0o644)


def prepare_folders(
    exchange: Path = EXCHANGE,
    state: Path = STATE,
    course_id: str = COURSE_ID,
    instructor: str | None = INSTRUCTOR,
) -> None:
    """The shared exchange with the course's folder in it, and the hub's state (0700).

    The exchange is root-owned with mode 1777, as nbgrader documents (nbgrader's release
    resets any other mode). In a 1777 folder whoever creates ``<exchange>/<course>`` first
    owns it: a student who did could block the release or serve classmates a notebook of
    their own. So the course's folder and its ``outbound``, ``inbound`` and ``feedback``
    are made here, at install time, owned by ``instructor`` with nbgrader's modes
    (:data:`COURSE_FOLDERS`). A course folder that already exists and is not the
    instructor's (not a folder, or another owner) stops the install with a message: it is
    left for the administrator to look at, never used.

    Parameters
    ----------
    exchange : Path
        The exchange root (``c.Exchange.root``).
    state : Path
        The hub's state folder.
    course_id : str
        The course id (``c.CourseDirectory.course_id``): a safe id, as student ids are.
    instructor : str or None
        The Unix user who releases and collects; ``None`` stops the install with a message.
    """
    # by path: hub.py runs with the system's python, before any environment holds gmm_grader
    spec = importlib.util.spec_from_file_location(
        "gmm_identity", ROOT / "grader" / "gmm_grader" / "identity.py"
    )
    identity = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(identity)
    try:
        identity.check_student_id(course_id)
    except ValueError as err:
        raise SystemExit(f"GMM_LESSON_COURSE_ID: {err}".replace("student_id", "course id")) from None
    if instructor is None:
        raise SystemExit(
            "GMM_LESSON_INSTRUCTORS is empty: the course's folder in the exchange must be made now, "
            "owned by its instructor (the first name there)"
        )
    try:
        owner = pwd.getpwnam(instructor)
    except KeyError:
        raise SystemExit(
            f"the instructor {instructor!r} has no Unix account (useradd -m {instructor})"
        ) from None
    exchange.mkdir(parents=True, exist_ok=True)
    os.chown(exchange, 0, 0)
    exchange.chmod(0o1777)
    for sub, mode in COURSE_FOLDERS.items():
        folder = exchange / course_id / sub
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            st = os.lstat(folder)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != owner.pw_uid:
                raise SystemExit(
                    f"{folder} exists but is not a folder of the instructor {instructor!r} "
                    f"(uid {st.st_uid}): someone else made it. Look at it, remove it, and install again"
                ) from None
        os.chown(folder, owner.pw_uid, owner.pw_gid, follow_symlinks=False)
        folder.chmod(mode)
    for parent in exchange.parents:  # every user must reach it
        if parent == Path("/"):
            break
        if parent.stat().st_mode & 0o005 != 0o005:
            raise SystemExit(
                f"{parent} is not readable and searchable by every user: the exchange cannot live there"
            )
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o700)


def install() -> Path:
    """Everything the hub needs; returns the users' environment."""
    ensure_proxy()
    users_env = ensure_users_env()
    ensure_shell_path()
    return users_env


def hub_environment() -> dict[str, str]:
    """The environment ``jupyterhub`` runs with (the config file reads these variables)."""
    return {
        **os.environ,
        "GMM_LESSON_HUB_PREFIX": str(PREFIX),
        "GMM_LESSON_HUB_PROXY": str(PROXY),
        "GMM_LESSON_EXCHANGE": str(EXCHANGE),
        "GMM_LESSON_HUB_STATE": str(STATE),
    }


def hub_command(rest: list[str]) -> list[str]:
    """``jupyterhub`` from the users' environment with the course's config (or ``-f`` given)."""
    config = (
        [] if any(a in ("-f", "--config") or a.startswith("--config=") for a in rest) else ["-f", str(CONFIG)]
    )
    return [str(USERS_VENV / "bin" / "jupyterhub"), *config, *rest]


def main(argv: list[str]) -> int:
    if os.geteuid() != 0:
        say("the hub starts every user's server as that user: run it as root (sudo python3 run.py hub)")
        return 2
    install_only = "--install-only" in argv
    rest = [a for a in argv if a != "--install-only"]
    install()
    prepare_folders()
    if install_only:
        say(json.dumps({"users_env": str(USERS_VENV), "proxy": str(PROXY), "exchange": str(EXCHANGE)}))
        return 0
    say(f"starting JupyterHub (state in {STATE}, exchange {EXCHANGE})")
    return subprocess.call(hub_command(rest), cwd=STATE, env=hub_environment())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
