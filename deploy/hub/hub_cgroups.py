"""A delegated cgroup v2 subtree for each instructor's server, so grading there can limit memory.

An instructor grades in their own single-user server, as themself. The grading sandbox
(``gmm_grader.sandbox.Cgroups``) sets a memory limit per kernel only in a cgroup v2
subtree its user may write to. The hub (root) can give one: at start it makes sure its
own cgroup hands the ``memory`` and ``pids`` controllers to its children (moving the hub
into a ``gmm-hub`` leaf first, as a cgroup that does so may hold no process itself), and
each instructor's server starts in ``<hub cgroup>/gmm-server-<user>/gmm-grader``, both
folders owned by the instructor (systemd's delegation: the folder and its
``cgroup.procs``, ``cgroup.subtree_control``, ``cgroup.threads``). The grader finds
itself in a ``gmm-grader`` leaf and makes each sandbox's cgroup beside it.

Where that is not possible (cgroup v1, no memory controller, a cgroup the hub may not
write), :func:`prepare` says why, and the hub opts out of the memory limit in one log line.
Loaded by ``jupyterhub_config.py``; tested on a simulated cgroup tree
(tests/test_sandbox_limits.py).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
HUB_LEAF = "gmm-hub"  #: where the hub moves itself, so that its cgroup may hand controllers on
SERVER_PREFIX = "gmm-server-"  #: one delegated subtree per instructor
SERVER_LEAF = "gmm-grader"  #: the server's own leaf: gmm_grader.sandbox.GRADER_LEAF
CONTROLLERS = ("memory", "pids")
DELEGATED_FILES = ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads")
ENV = "GMM_LESSON_ALLOW_NO_MEMORY_LIMIT"


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _enable(folder: Path, controllers: set[str]) -> None:
    missing = controllers - set(_read(folder / "cgroup.subtree_control").split())
    if missing:
        (folder / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in sorted(missing)))


def prepare(
    root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup"), pid: int | None = None
) -> tuple[Path | None, str]:
    """``(base, "")`` if instructors' servers can get delegated subtrees under ``base``, else ``(None, why)``.

    Enables ``memory`` (and ``pids`` where available) for the children of the hub's own
    cgroup, moving the process ``pid`` (default: this one, the hub) into a ``gmm-hub``
    leaf first when its cgroup holds processes.
    """
    root, pid = Path(root), os.getpid() if pid is None else pid
    if not (root / "cgroup.controllers").is_file():
        return None, f"no cgroup v2 hierarchy at {root} (cgroup v1: only root can set a memory limit)"
    try:
        lines = [line.split(":", 2) for line in Path(proc_cgroup).read_text().splitlines() if line]
    except OSError as exc:
        return None, f"cannot read {proc_cgroup}: {exc.strerror}"
    own = next((path for number, _, path in lines if number == "0"), None)
    if own is None:
        return None, f"{proc_cgroup} names no cgroup v2 path"
    base = root / own.lstrip("/")
    if base.name == HUB_LEAF:
        base = base.parent
    if not os.access(base, os.W_OK):
        return None, f"the hub's cgroup {base} is not writable by the hub"
    available = set(_read(base / "cgroup.controllers").split()) & set(CONTROLLERS)
    if "memory" not in available:
        return None, f"no memory controller in {base / 'cgroup.controllers'}"
    try:
        _enable(base, available)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            return None, f"cannot enable {' '.join(sorted(available))} in {base}: {exc.strerror}"
        try:  # "no internal processes": the hub moves into a leaf of its own first
            leaf = base / HUB_LEAF
            leaf.mkdir(exist_ok=True)
            (leaf / "cgroup.procs").write_text(str(pid))
            _enable(base, available)
        except OSError as again:
            return None, f"cannot enable {' '.join(sorted(available))} in {base}: {again.strerror}"
    return base, ""


def delegate(base: Path, user: str, uid: int, gid: int, pid: int) -> Path:
    """Put process ``pid`` in ``<base>/gmm-server-<user>/gmm-grader``, both delegated to ``uid:gid``.

    Called by the spawner, as root, in the instructor's server process before it drops to
    the instructor. Returns the leaf.
    """
    if not isinstance(user, str) or not user or "/" in user or user in (".", ".."):
        raise ValueError(f"user must be a Unix user name, got {user!r}")
    server = Path(base) / f"{SERVER_PREFIX}{user}"
    server.mkdir(exist_ok=True)
    _enable(server, set(_read(server / "cgroup.controllers").split()) & set(CONTROLLERS))
    leaf = server / SERVER_LEAF
    leaf.mkdir(exist_ok=True)
    for folder in (server, leaf):
        os.chown(folder, uid, gid)
        for name in DELEGATED_FILES:
            if (folder / name).exists():
                os.chown(folder / name, uid, gid)
    (leaf / "cgroup.procs").write_text(str(pid))
    return leaf


def memory_limit_choice(base: Path | None, why: str, explicit: str | None) -> tuple[str, str]:
    """The value of ``GMM_LESSON_ALLOW_NO_MEMORY_LIMIT`` for instructors' servers, and the log line.

    An explicit ``"0"`` or ``"1"`` in the hub's environment wins; otherwise the hub opts
    out only where it cannot delegate a subtree (``base`` is None), and says why.
    """
    if explicit == "1":
        return "1", (
            f"gmm-lesson hub: {ENV}=1 set: instructors grade WITHOUT a memory limit per sandbox "
            "(rlimits only)"
        )
    if base is not None:
        return "0", (
            f"gmm-lesson hub: instructors' servers get a delegated cgroup v2 subtree under {base}: "
            "grading sets a memory limit per sandbox"
        )
    if explicit == "0":
        return "0", (
            f"gmm-lesson hub: {ENV}=0 set but no memory limit can be delegated ({why}): "
            "instructors' grading will refuse to start"
        )
    return "1", (
        f"gmm-lesson hub: no memory limit per grading sandbox on this host ({why}); instructors "
        f"grade with rlimits only ({ENV}=1; a host with cgroup v2 gives one)"
    )
