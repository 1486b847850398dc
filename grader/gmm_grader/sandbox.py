"""The box a student's kernel runs in while it is graded (bubblewrap, rlimits, cgroups).

Everything inside a student's kernel is the student's: it can patch, hook and read
whatever its process can reach. So the kernel that runs a submission gets:

* its **own user id** (a fresh unprivileged uid per kernel, not the grader's root),
  its own user, PID, network, IPC and UTS namespaces (``bwrap --unshare-all``): it
  cannot see or signal the grader, and it has no network;
* a **read-only system**: ``/usr``, the Python installation and the virtual
  environment, and nothing else of the machine: no course folder, no gradebook, no
  exchange, no other submission, no home directory, a short list of ``/etc`` files;
* a **private writable work folder** in a size-limited tmpfs, holding a copy of the
  assignment's own files from ``course/source`` (never files that came with a
  submission: nbgrader copies those as root, following symlinks);
* **no reference**: the ``gmm_lesson`` it imports is a copy holding only the modules
  the assignment allows (others are stubs that say they are not available while work
  is graded), and the assignment's hidden site packages (say scikit-learn) are
  replaced by empty directories;
* **limits**: address space, CPU seconds, file size, open files and processes
  (rlimits), plus memory and process-count cgroups (v1, or v2 under a delegated
  subtree); ``/dev`` read-only but for a size-limited ``/dev/shm``. Grading refuses to
  start where no memory limit can be set, unless the instructor opts out
  (:func:`limits_in_force`);
* a **uid from a lock-protected pool** (:class:`UidLease`): two live kernels never
  share one, whichever grader started them.

The kernel talks over ZeroMQ IPC sockets in one bind-mounted directory, the only one it
can write to outside its tmpfs, to a relay (:mod:`gmm_grader.relay`, a process of its own
under an address-space limit) that passes the grader only messages of at most
``max_message`` bytes in all their parts: the grader's memory stays bounded whatever the
kernel sends. :class:`SandboxKernelManager` is a jupyter_client kernel manager that
starts kernels this way.
"""

from __future__ import annotations

import atexit
import ctypes
import errno
import fcntl
import functools
import glob
import logging
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import Any as AnyTrait
from traitlets import Bool, Integer
from zmq.utils.monitor import parse_monitor_message

import gmm_lesson

from . import relay as relay_process

LOG = logging.getLogger(__name__)

#: the learner's library, copied (allowed modules only) into every sandbox
PACKAGE_DIR = Path(gmm_lesson.__file__).resolve().parent
#: the only module of the grader that enters a sandbox (an allow-list: nothing else of
#: gmm_grader is ever copied in): it runs the student's functions and reports plain data
KERNEL_SIDE = Path(__file__).resolve().parent / "probe.py"
#: where the sandboxed kernel finds its copy of gmm_lesson, its requests and its work
SANDBOX_SITE = "/opt/gmm-lesson"
SANDBOX_REQUESTS = "/grading"
SANDBOX_HOME = "/home/student"
SANDBOX_WORK = "/home/student/work"
SANDBOX_SUBMISSION = "/submission"
# /etc entries a Python kernel needs (dynamic linker, users, time zone, fonts); no more
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "nsswitch.conf",
    "passwd",
    "group",
    "hosts",
    "fonts",
    "alternatives",
    "mime.types",
)


class SandboxUnavailable(RuntimeError):
    """The grading sandbox cannot start here; the message says how to fix it."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one sandboxed kernel."""

    address_space: int = 4 * 2**30  #: bytes of virtual memory per process (RLIMIT_AS)
    cpu_seconds: int = 900  #: CPU seconds per process (RLIMIT_CPU)
    processes: int = 128  #: threads and processes of the kernel's uid (RLIMIT_NPROC)
    file_size: int = 64 * 2**20  #: bytes per written file (RLIMIT_FSIZE)
    open_files: int = 512  #: RLIMIT_NOFILE
    tmpfs_size: int = 256 * 2**20  #: bytes of the writable work folder and of /tmp
    shm_size: int = 64 * 2**20  #: bytes of /dev/shm (the rest of /dev is read-only)
    memory: int = 3 * 2**30  #: bytes of RAM and swap for the whole sandbox (cgroup v1 or v2)

    @classmethod
    def from_mapping(cls, values: Mapping[str, int], name: str = "limits") -> Limits:
        """Limits with the given fields changed, each checked (e.g. from ``nbgrader_config.py``).

        Parameters
        ----------
        values : mapping of str to int
            Field name to a positive whole number (bytes, seconds or a count).
        name : str
            What the mapping is called in the message of an error.

        Raises
        ------
        TypeError
            If ``values`` is not a mapping, or a value is not a whole number.
        ValueError
            If a key is not a field of :class:`Limits`, or a value is not positive.
        """
        if not isinstance(values, Mapping):
            raise TypeError(f"{name} must be a dict of limit name to number, got {type(values).__name__}")
        known = [f.name for f in fields(cls)]
        changed = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"{name}: unknown limit {key!r}; the limits are {', '.join(known)}")
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name}[{key!r}] must be a whole number, got {value!r}")
            if value <= 0:
                raise ValueError(f"{name}[{key!r}] must be positive, got {value}")
            changed[key] = value
        return cls(**changed)


#: the uids sandboxed kernels run as (as root); none of them belongs to a real account
UID_POOL = range(200_000, 300_000)
#: one lock file per uid in use, on this machine (a root-only folder)
UID_LOCKS = Path("/run/lock/gmm-grader-uids")


def _live_uids() -> set[int]:
    """The real uids of every process on this machine now."""
    uids = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    uids.add(int(line.split()[1]))
                    break
        except (OSError, ValueError, IndexError):
            continue
    return uids


class UidLease:
    """A sandbox uid no other live kernel on this machine has, held until :meth:`release`.

    Each uid in use has a lock file in ``folder`` locked with ``fcntl.flock`` by the grader
    that holds it. The lock goes with the grader's open file: a grader that is killed
    (even with SIGKILL) gives its uids back, and so do its kernels (bubblewrap's
    ``--die-with-parent``). A uid that still has processes is skipped as well.

    Parameters
    ----------
    folder : Path
        The lock folder; created (0700) if missing. It must belong to this user and be
        writable by no one else.
    pool : range
        The uids to choose from.
    """

    def __init__(self, folder: Path = UID_LOCKS, pool: range = UID_POOL):
        folder = Path(folder)
        if not isinstance(pool, range) or len(pool) == 0:
            raise ValueError(f"pool must be a non-empty range of uids, got {pool!r}")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
        if folder.is_symlink() or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            raise SandboxUnavailable(
                f"the uid lock folder {folder} must be a folder of this user that no one else can "
                "write to; remove it and grade again"
            )
        self.folder, self.uid, self._fd = folder, -1, -1
        busy = _live_uids()
        start = secrets.randbelow(len(pool))
        for step in range(len(pool)):
            uid = pool[(start + step) % len(pool)]
            if uid not in busy and self._lock(uid):
                self.uid = uid
                self._finalizer = weakref.finalize(self, _unlock, self.folder / str(uid), self._fd)
                return
        raise SandboxUnavailable(f"every sandbox uid in {pool} is in use on this machine")

    def _lock(self, uid: int) -> bool:
        path = self.folder / str(uid)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_ino != os.stat(path).st_ino:  # its holder released it meanwhile
                raise BlockingIOError
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the uid back (its lock file is removed while still locked)."""
        if self._fd >= 0:
            self._finalizer()
            self._fd = -1


def _unlock(path: Path, fd: int) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    os.close(fd)


@dataclass
class Sandbox:
    """One grading sandbox: a folder on the grader's side holding what the kernel may see.

    Parameters
    ----------
    root : Path
        An empty folder owned by the grader; everything below it is removed afterwards.
    files : Path or None
        The assignment's own folder in ``course/source`` (trusted); its files except
        notebooks are copied into the kernel's work folder. Nothing from a submission.
    allowed_modules : sequence of str or None
        Modules of ``gmm_lesson`` the kernel may import (``None``: all of them). ``em``
        not in the list still gives ``em.GMMParams``, without the maths.
    hidden_packages : sequence of str
        Top-level site packages replaced by empty directories (e.g. ``"sklearn"``).
    limits : Limits
    """

    root: Path
    files_from: Path | None
    allowed_modules: tuple[str, ...] | None = None
    hidden_packages: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    uid: int | None = None  #: as root, leased from the machine's pool (:class:`UidLease`)
    uid_locks: Path = UID_LOCKS

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self._lease = None
        if self.uid is None:
            if self.privileged:
                self._lease = UidLease(self.uid_locks)
                self.uid = self._lease.uid
            else:  # the kernel keeps the grader's uid; this number only names its cgroups
                self.uid = UID_POOL[secrets.randbelow(len(UID_POOL))]
        self.requests = self.root / "requests"
        self.sockets = self.root / "sockets"
        self.files = self.root / "submission"
        self.site = self.root / "site"
        for folder in (self.requests, self.sockets, self.files, self.site):
            folder.mkdir(parents=True)
        if self.files_from is not None:
            _copy_files(Path(self.files_from), self.files)
        _copy_package(self.site / "gmm_lesson", self.allowed_modules)
        (self.site / "gmm_grader").mkdir()
        (self.site / "gmm_grader" / "__init__.py").write_text('"""The kernel-side probe only."""\n')
        shutil.copyfile(KERNEL_SIDE, self.site / "gmm_grader" / "probe.py")
        for folder in (self.root, self.requests, self.files, self.site):
            folder.chmod(0o755)

    def release(self) -> None:
        """Give the kernel's uid back to the pool, once no kernel of this sandbox runs."""
        if self._lease is not None:
            self._lease.release()

    @property
    def privileged(self) -> bool:
        """As root: the kernel gets a uid of its own. Otherwise it runs as the grader's user,
        in a user namespace of its own (see :func:`check_available`)."""
        return os.geteuid() == 0

    def unlock_sockets(self) -> None:
        """Let a new kernel create its socket files."""
        if self.privileged:
            os.chown(self.sockets, self.uid, self.uid)
        self.sockets.chmod(0o755)

    def lock_sockets(self) -> None:
        """Once the kernel has bound its sockets, it may not create any more files here.

        This folder is the only place on the grader's disk the kernel can write to; the
        grader's connections to the existing sockets keep working.
        """
        for entry in self.sockets.iterdir():  # only the kernel's own files may stay
            if not (entry.name == "kernel.json" or (entry.name.startswith("kernel-") and entry.is_socket())):
                _remove(entry)
        if self.privileged:
            os.chown(self.sockets, 0, 0)
            self.sockets.chmod(0o755)
        else:  # same user: it could chmod this back; a limit of running unprivileged
            self.sockets.chmod(0o555)

    def command(self, kernel_cmd: list[str], cgroup_procs: list[str]) -> list[str]:
        """The command that starts ``kernel_cmd`` inside this sandbox."""
        limits = self.limits
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": SANDBOX_HOME,
            "PYTHONPATH": SANDBOX_SITE,
            "PYTHONNOUSERSITE": "1",
            "MPLCONFIGDIR": "/tmp/matplotlib",
            "MPLBACKEND": "agg",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "NBGRADER_EXECUTION": "autograde",
            "GMM_LESSON_GRADING": "sandbox",
            "GMM_LESSON_REQUESTS": SANDBOX_REQUESTS,
            "LANG": "C.UTF-8",
            "PYTHONSAFEPATH": "1",  # the work folder never shadows a module (ipykernel_launcher)
        }
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine quirks, see docs
            if name in os.environ:
                env[name] = os.environ[name]
        binds = [(prefix, prefix) for prefix in _python_prefixes() if not prefix.startswith("/usr/")]
        binds += [
            (str(self.site), SANDBOX_SITE),
            (str(self.requests), SANDBOX_REQUESTS),
            (str(self.files), SANDBOX_SUBMISSION),
        ]
        # bwrap runs as root to build the box (it can reach /root/.pyenv and the grader's
        # temporary folders); the kernel itself runs as self.uid, without capabilities.
        bwrap = [
            shutil.which("bwrap") or "bwrap",
            *([] if self.privileged else ["--unshare-user", "--disable-userns"]),
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        for name in ("bin", "lib", "lib64", "sbin"):
            path = Path("/") / name
            if path.is_symlink():
                bwrap += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                bwrap += ["--ro-bind", str(path), str(path)]
        bwrap += ["--perms", "0755", "--dir", "/etc"]  # readable by the kernel's uid (fontconfig)
        for name in ETC_FILES:
            if (Path("/etc") / name).exists():
                bwrap += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        # /dev is bwrap's own tmpfs (writable and unsized when unprivileged): read-only, but
        # for a /dev/shm of limits.shm_size bytes
        bwrap += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
        bwrap += ["--perms", "1777", "--size", str(limits.shm_size), "--tmpfs", "/dev/shm"]
        tmpfs = ["--perms", "1777", "--size", str(limits.tmpfs_size), "--tmpfs"]  # kernel-writable
        bwrap += [*tmpfs, "/tmp"]
        bwrap += _font_cache_mounts(env["MPLCONFIGDIR"])
        for parent in _parents([dest for _, dest in binds] + [str(self.sockets), SANDBOX_HOME]):
            if parent != "/tmp":
                bwrap += ["--perms", "0755", "--dir", parent]
        bwrap += [*tmpfs, SANDBOX_HOME]
        for source, dest in binds:
            bwrap += ["--ro-bind", source, dest]
        for folder in foreign_site_dirs():
            bwrap += ["--tmpfs", folder, "--remount-ro", folder]
        for site in _site_dirs():
            for package in (*self.hidden_packages, "gmm_lesson", "gmm_grader"):
                if (Path(site) / package).is_dir():
                    bwrap += ["--tmpfs", f"{site}/{package}", "--remount-ro", f"{site}/{package}"]
        bwrap += ["--bind", str(self.sockets), str(self.sockets), "--chdir", SANDBOX_HOME]
        for name, value in env.items():
            bwrap += ["--setenv", name, value]
        # as root the kernel drops to its own uid; unprivileged it stays the grader's user
        setpriv = (
            []
            if not self.privileged
            else [
                "/usr/bin/setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.uid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
            ]
        )
        # as the kernel's uid: copy the submission into the writable work folder, then start
        start = (
            f"mkdir -p {SANDBOX_WORK} && cp -R {SANDBOX_SUBMISSION}/. {SANDBOX_WORK}/ 2>/dev/null; "
            f'cd {SANDBOX_WORK} && exec "$@"'
        )
        prlimit = [
            shutil.which("prlimit") or "prlimit",
            f"--as={limits.address_space}",
            f"--cpu={limits.cpu_seconds}",
            f"--nproc={limits.processes if self.privileged else _own_processes() + limits.processes}",
            f"--fsize={limits.file_size}",
            f"--nofile={limits.open_files}",
            "--core=0",
        ]
        join = []
        if cgroup_procs:  # join the cgroups first, then exec the rest
            writes = "; ".join(f'echo $$ > "{p}"' for p in cgroup_procs)
            join = ["/bin/sh", "-c", f'{writes}; exec "$@"', "sh"]
        return [
            *join,
            *prlimit,
            "--",
            *bwrap,
            "--",
            *([*setpriv, "--"] if setpriv else []),
            "/bin/sh",
            "-c",
            start,
            "sh",
            *kernel_cmd,
        ]


def _font_cache_mounts(config_dir: str) -> list[str]:
    """bwrap arguments that put this batch's matplotlib font cache, read-only, in ``config_dir``.

    ``config_dir`` itself stays writable (matplotlib wants to write there, and would
    otherwise rebuild its cache in a temporary folder); the cache file is a read-only
    mount the kernel can read but neither change nor replace. Without a cache, nothing.
    """
    cache = font_cache()
    if cache is None:
        return []
    return ["--perms", "1777", "--dir", config_dir, "--ro-bind", str(cache), f"{config_dir}/{cache.name}"]


@functools.cache
def font_cache() -> Path | None:
    """matplotlib's font list, built once per grading process for all its sandboxes.

    Every fresh sandbox would otherwise spend about a second rebuilding it on its first
    ``import matplotlib.pyplot``. It is built by the grader's own interpreter (the one the
    kernels run) with an empty home folder, so it lists the fonts a sandbox sees:
    matplotlib's own and the system's. Removed when the process exits. None (each kernel
    builds its own, as before) if it cannot be built.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"{MPLCACHE_PREFIX}{owner_tag()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "home").mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder / "home"),
        "MPLCONFIGDIR": str(folder),
        "MPLBACKEND": "agg",
        "LANG": "C.UTF-8",
    }
    try:
        subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        LOG.warning("no shared matplotlib font cache for the grading sandboxes (%s)", exc)
        return None
    found = sorted(folder.glob("fontlist-*.json"))
    if len(found) != 1:
        LOG.warning("no shared matplotlib font cache for the grading sandboxes (found %s)", found)
        return None
    found[0].chmod(0o644)
    return found[0]


def _remove(path: Path) -> None:
    """Remove a file or a folder of any depth (shutil.rmtree recurses, ``rm`` does not)."""
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False)


def remove_tree(path: Path) -> None:
    """Remove a sandbox's folder on the grader's side, whatever the kernel left in it.

    A grading killed while its kernel ran leaves the socket folder read-only
    (:meth:`Sandbox.lock_sockets`); without root, ``rm`` cannot empty it until the owner may
    write to it again. ``chmod -R`` does not follow the symbolic links it meets.
    """
    if os.geteuid() != 0 and Path(path).is_dir() and not Path(path).is_symlink():
        subprocess.run(["chmod", "-R", "u+rwx", "--", str(path)], check=False, capture_output=True)
    _remove(path)


# ------------------------------------------------------------------ owners and the janitor
#: set by gmm_grader.classgrade for each nbgrader process it starts: the grading run (hex)
RUN_ENV = "GMM_GRADING_RUN"
WORK_PREFIX = "gmm-grading-"  #: a grading's work folder in the temporary folder
MPLCACHE_PREFIX = "gmm-mplcache-"  #: a grading process's shared font cache (:func:`font_cache`)
CGROUP_PREFIX = "gmm-lesson-"  #: a sandbox's cgroup folders


def owner_tag() -> str:
    """``<pid>.<run>``: who owns the work folder and cgroups made by this (nbgrader) process.

    ``pid`` is this process; ``run`` the grading run from ``GMM_GRADING_RUN`` (hex), or
    ``0`` outside a class grading. Work folders are ``gmm-grading-<pid>.<run>-*``, the font
    cache ``gmm-mplcache-<pid>.<run>-*`` and cgroups ``gmm-lesson-<pid>.<run>-*``, so
    :func:`remove_leftovers` can find exactly one process's, or one run's, leftovers.
    """
    run = os.environ.get(RUN_ENV, "")
    return f"{os.getpid()}.{run if re.fullmatch(r'[0-9a-f]{1,32}', run) else '0'}"


def remove_leftovers(run: str, pid: int | None = None) -> list[str]:
    """Remove the work folders, font caches and cgroups a killed grading of ``run`` (and ``pid``) left.

    Parameters
    ----------
    run : str
        The grading run (hex, as in ``GMM_GRADING_RUN``).
    pid : int, optional
        Only what the nbgrader process ``pid`` of that run made (default: the whole run's).

    Returns
    -------
    list of str
        The paths removed. Processes still in those cgroups are killed first.
    """
    if not isinstance(run, str) or re.fullmatch(r"[0-9a-f]{1,32}", run) is None:
        raise ValueError(f"run must be a hex str, got {run!r}")
    if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int) or pid < 1):
        raise ValueError(f"pid must be a positive int, got {pid!r}")
    tag = f"{'*' if pid is None else pid}.{run}-*"
    removed = []
    for prefix in (WORK_PREFIX, MPLCACHE_PREFIX):
        for folder in Path(tempfile.gettempdir()).glob(prefix + tag):
            remove_tree(folder)
            removed.append(str(folder))
    for base in cgroup_bases():
        for folder in base.glob(CGROUP_PREFIX + tag):
            for _ in range(50):
                try:
                    for leftover in (folder / "cgroup.procs").read_text().split():
                        try:
                            os.kill(int(leftover), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    folder.rmdir()
                    removed.append(str(folder))
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
    return removed


def _own_processes() -> int:
    """How many processes (and threads) this user runs now: RLIMIT_NPROC counts them all."""
    uid, count = str(os.getuid()), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        if fields.get("Uid", "").split()[:1] == [uid]:
            count += int(fields.get("Threads", "1").strip() or 1)
    return count


def _python_prefixes() -> list[str]:
    """The interpreter's installation and the virtual environment, to mount read-only."""
    return sorted({os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)})


def _parents(paths: list[str]) -> list[str]:
    """Every folder above the given mount points, shallowest first (bwrap makes them 0700)."""
    parents = {str(parent) for path in paths for parent in Path(path).parents if str(parent) != "/"}
    return sorted(parents, key=lambda p: (p.count("/"), p))


def _site_dirs() -> list[str]:
    """Site-packages folders of the virtual environment."""
    paths = sysconfig.get_paths()
    return sorted({os.path.realpath(paths["purelib"]), os.path.realpath(paths["platlib"])})


#: where any Python of the machine keeps third-party packages (Debian's python3-* packages,
#: pip's system-wide installs, other interpreters'): {prefix} is /usr, /usr/local and the
#: prefixes of the interpreter the environment was made from
SITE_PATTERNS = (
    "{prefix}/lib/python3*/site-packages",
    "{prefix}/lib/python3*/dist-packages",
    "{prefix}/lib64/python3*/site-packages",
    "{prefix}/lib64/python3*/dist-packages",
    "{prefix}/local/lib/python3*/site-packages",
    "{prefix}/local/lib/python3*/dist-packages",
)


def foreign_site_dirs(prefixes: list[str] | None = None, own: list[str] | None = None) -> list[str]:
    """Every site-packages or dist-packages folder in reach but the environment's own: emptied.

    The sandbox mounts ``/usr`` and the base interpreter's prefix read-only for the
    interpreter and its libraries; the packages installed there (``python3-sklearn`` in
    ``/usr/lib/python3/dist-packages``, say) would otherwise be one ``sys.path.append``
    away, whichever Python the environment was made from.

    Parameters
    ----------
    prefixes : list of str, optional
        Where to look (default: ``/usr``, and ``sys.base_prefix`` and ``sys.prefix``).
    own : list of str, optional
        Folders to keep (default: the environment's site-packages).
    """
    if prefixes is None:
        prefixes = ["/usr", *_python_prefixes()]
    keep = set(_site_dirs() if own is None else (os.path.realpath(f) for f in own))
    found = set()
    for prefix in prefixes:
        for pattern in SITE_PATTERNS:
            for folder in glob.glob(pattern.format(prefix=glob.escape(prefix.rstrip("/")))):
                if Path(folder).is_dir() and not Path(folder).is_symlink():
                    found.add(folder)
    # a folder holding the environment's own site-packages (or inside it) stays visible
    return sorted(
        f
        for f in found
        if not any(os.path.realpath(f) == k or k.startswith(os.path.realpath(f) + "/") for k in keep)
    )


def _copy_files(source: Path, dest: Path) -> None:
    """An assignment's files, without notebooks (the kernel is sent their cells) or links."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_symlink() or path.suffix == ".ipynb" or ".ipynb_checkpoints" in relative.parts:
            continue
        if path.is_dir():
            (dest / relative).mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / relative)


STUB = '''"""gmm_lesson.{module} is not available while your work is graded."""
{imports}

def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise ImportError(
        f"gmm_lesson.{module}.{{name}} is not available while your work is graded: the grading "
        "sandbox leaves it out so that every graded step is your own work (cells that are not "
        "graded cost no points)"
    )
'''


STUB_EXTRAS = {
    "em": "from gmm_lesson.params import COVARIANCE_TYPES, GMMParams  # parameters only",
    "widgets": (
        "def show_explorer(*args, **kwargs):\n"
        '    print("The explorer is not shown while your work is graded.")'
    ),
}


def _copy_package(dest: Path, allowed: tuple[str, ...] | None) -> None:
    """A copy of gmm_lesson with only the allowed modules; stubs stand in for the rest."""
    dest.mkdir(parents=True)
    shutil.copytree(PACKAGE_DIR / "data", dest / "data", ignore=shutil.ignore_patterns("__pycache__"))
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        module = path.stem
        if module == "__init__" or allowed is None or module in allowed:
            shutil.copyfile(path, dest / path.name)
        else:
            extras = STUB_EXTRAS.get(module, "")
            (dest / path.name).write_text(STUB.format(module=module, imports=extras))


#: where the machine's cgroup file systems are mounted
CGROUP_ROOT = Path("/sys/fs/cgroup")
#: cgroup v1 memory limits: RAM, then RAM and swap together (where swap is accounted)
V1_MEMORY_FILES = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes")
#: the leaf a grader moves itself into under cgroup v2, so that its own cgroup may have
#: children with controllers ("no internal processes": a cgroup that hands controllers to
#: its children holds no process itself)
GRADER_LEAF = "gmm-grader"


def cgroup_bases(root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> list[Path]:
    """The folders :class:`Cgroups` makes sandbox cgroups in, for this process (existing ones).

    cgroup v1: the grader's own ``memory`` and ``pids`` cgroups; v2: the grader's own cgroup
    (the parent of its ``gmm-grader`` leaf once it moved there). So a janitor looks exactly
    where this grader's sandboxes went, whatever the host's cgroup version.
    """
    root = Path(root)
    try:
        lines = [line.split(":", 2) for line in Path(proc_cgroup).read_text().splitlines() if line]
    except OSError:
        return []
    if (root / "cgroup.controllers").is_file():
        own = next((path for number, _, path in lines if number == "0"), None)
        if own is None:
            return []
        base = root / own.lstrip("/")
        bases = [base.parent if base.name == GRADER_LEAF else base]
    else:
        v1 = {c: path for _, controllers, path in lines for c in controllers.split(",") if c}
        bases = [root / c / v1[c].lstrip("/") for c in ("memory", "pids") if c in v1]
    return [base for base in bases if base.is_dir()]


class Cgroups:
    """Memory and process-count cgroups for one sandbox (v1, or v2 under a delegated subtree).

    Parameters
    ----------
    name : str
        The folder name of the sandbox's cgroup (one per kernel).
    limits : Limits
        ``memory`` (RAM and swap) and ``processes`` (the pids limit is twice it: threads too).
    root : Path
        Where the cgroup file systems are mounted (a simulated tree in tests).
    proc_cgroup : Path
        The ``/proc/<pid>/cgroup`` file naming the grader's own cgroups.

    Attributes
    ----------
    memory, pids : str or None
        ``"cgroup v1"``, ``"cgroup v2"`` or None: how each limit is set, if it is.
    why_not : str
        Why a limit could not be set (empty if both are).
    """

    def __init__(
        self,
        name: str,
        limits: Limits,
        root: Path = CGROUP_ROOT,
        proc_cgroup: Path = Path("/proc/self/cgroup"),
    ):
        self.dirs: list[Path] = []
        self.memory: str | None = None
        self.pids: str | None = None
        self.why_not = ""
        root = Path(root)
        try:
            lines = [line.split(":", 2) for line in Path(proc_cgroup).read_text().splitlines() if line]
        except OSError as exc:
            self.why_not = f"cannot read {proc_cgroup}: {exc.strerror}"
            return
        v1 = {c: path for _, controllers, path in lines for c in controllers.split(",") if c}
        if (root / "cgroup.controllers").is_file():  # the unified (v2) hierarchy only
            own = next((path for number, _, path in lines if number == "0"), None)
            if own is None:
                self.why_not = f"{proc_cgroup} names no cgroup v2 path"
                return
            self._make_v2(root, own, name, limits)
            return
        for controller, settings in (
            ("memory", dict.fromkeys(V1_MEMORY_FILES, limits.memory)),
            ("pids", {"pids.max": limits.processes * 2}),
        ):
            if controller not in v1:
                self.why_not += f"no cgroup v1 {controller} controller; "
                continue
            base = root / controller / v1[controller].lstrip("/")
            if not os.access(base, os.W_OK):
                self.why_not += f"{base} is not writable by this user; "
                continue
            folder = base / name
            try:
                folder.mkdir()
                for key, value in settings.items():
                    if (folder / key).exists():  # memsw only where swap is accounted
                        (folder / key).write_text(str(value))
            except OSError as exc:
                self.why_not += f"{folder}: {exc.strerror}; "
                _rmdir(folder)
                continue
            self.dirs.append(folder)
            setattr(self, controller, "cgroup v1")
        self.why_not = self.why_not.rstrip("; ")

    def _make_v2(self, root: Path, own: str, name: str, limits: Limits) -> None:
        """One child of the grader's own v2 cgroup, with memory.max, memory.swap.max, pids.max."""
        base = root / own.lstrip("/")
        if base.name == GRADER_LEAF:  # this grader (or another in its cgroup) moved there already
            base = base.parent
        if not os.access(base, os.W_OK):
            self.why_not = (
                f"the grader's cgroup {base} is not writable (not a delegated subtree); run "
                "grading as root or in a unit with Delegate=yes (systemd-run --scope -p Delegate=yes)"
            )
            return
        wanted = {"memory", "pids"}
        available = set(_read(base / "cgroup.controllers").split()) & wanted
        if not available:
            self.why_not = f"neither memory nor pids is in {base / 'cgroup.controllers'}"
            return
        missing = available - set(_read(base / "cgroup.subtree_control").split())
        if missing:
            enable = " ".join(f"+{c}" for c in sorted(missing))
            try:
                (base / "cgroup.subtree_control").write_text(enable)
            except OSError as exc:
                if exc.errno != errno.EBUSY:
                    self.why_not = f"cannot enable {enable} in {base}: {exc.strerror}"
                    return
                try:  # "no internal processes": this grader moves into a leaf of its own first
                    leaf = base / GRADER_LEAF
                    leaf.mkdir(exist_ok=True)
                    (leaf / "cgroup.procs").write_text(str(os.getpid()))
                    (base / "cgroup.subtree_control").write_text(enable)
                except OSError as again:
                    self.why_not = (
                        f"cannot enable {enable} in {base} ({again.strerror}): other processes "
                        "share the grader's cgroup; start grading in a cgroup of its own"
                    )
                    return
        folder = base / name
        settings = {"memory": {"memory.max": limits.memory}, "pids": {"pids.max": limits.processes * 2}}
        try:
            folder.mkdir()
            for controller in sorted(available):
                for key, value in settings[controller].items():
                    (folder / key).write_text(str(value))
        except OSError as exc:
            self.why_not = f"{folder}: {exc.strerror}"
            _rmdir(folder)
            return
        if "memory" in available:
            for key, value in (("memory.swap.max", 0), ("memory.oom.group", 1)):
                try:  # no swap past the limit; an out-of-memory kill takes the whole sandbox
                    (folder / key).write_text(str(value))
                except OSError:
                    pass  # swap not accounted on this machine, or an old kernel
        self.dirs.append(folder)
        self.memory = "cgroup v2" if "memory" in available else None
        self.pids = "cgroup v2" if "pids" in available else None
        if wanted - available:
            self.why_not = f"no {' '.join(sorted(wanted - available))} controller delegated in {base}"

    @property
    def procs(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.dirs]

    def remove(self, reap: Callable[[], object] | None = None) -> None:
        """Kill what is still in the cgroups, then remove them (never leaves a folder behind).

        Each folder is emptied by killing every process it lists, then removed as soon as
        the kernel counts it empty: on cgroup v2 that is an event (``populated 0`` in
        ``cgroup.events``), on v1 a short, growing pause between tries. A killed process
        holds its cgroup until its parent reaps it: :func:`reap_adopted` reaps the ones
        the grader adopted, so nothing waits on a slow init (PID 1); ``reap`` is called
        before every try, for processes adopted while this waits.
        """
        for folder in self.dirs:
            if not _empty_and_remove(folder, REMOVE_TIMEOUT, reap):  # loud, but it costs no student a grade
                LOG.warning("cgroup %s still holds processes %s s after a kill", folder, REMOVE_TIMEOUT)


#: seconds to wait for a killed sandbox's cgroup to empty before giving up loudly
REMOVE_TIMEOUT = 30.0


def _kill_listed(folder: Path) -> bool:
    """SIGKILL every process ``folder/cgroup.procs`` lists; False once it lists none."""
    try:
        pids = (folder / "cgroup.procs").read_text().split()
    except OSError:
        return False
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    return bool(pids)


def _empty_and_remove(folder: Path, timeout: float, reap: Callable[[], object] | None = None) -> bool:
    """Kill what ``folder`` holds and remove it; True once it is gone (or was never there)."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        _kill_listed(folder)
        if reap is not None:
            reap()
        try:
            folder.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            pass
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if not _wait_unpopulated(folder, min(left, 1.0)):
            # cgroup v1 gives no event: wait a little longer each time (1 ms, 2 ms ... 50 ms)
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)


def _wait_unpopulated(folder: Path, timeout: float) -> bool:
    """On cgroup v2, wait (no polling) until ``cgroup.events`` says ``populated 0``.

    Returns False where there is no such file (cgroup v1): the caller then pauses briefly.
    """
    events = folder / "cgroup.events"
    try:
        fd = os.open(events, os.O_RDONLY)
    except OSError:
        return False
    try:
        watcher = select.poll()
        watcher.register(fd, select.POLLPRI | select.POLLERR)
        deadline = time.monotonic() + timeout
        while True:
            os.lseek(fd, 0, os.SEEK_SET)
            if b"populated 0" in os.read(fd, 4096):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return True  # the caller tries again and keeps its own deadline
            watcher.poll(left * 1000)  # the kernel wakes us when cgroup.events changes
    finally:
        os.close(fd)


# ------------------------------------------------------------------ reaping
#: prctl option: orphaned descendants are re-parented to this process, not to PID 1
PR_SET_CHILD_SUBREAPER = 36


_adopting = {"kernels": 0}
_adopting_lock = threading.Lock()


def _set_subreaper(on: bool) -> bool:
    """``prctl(PR_SET_CHILD_SUBREAPER)`` for this process; True if the kernel accepted it."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0


def start_adopting() -> bool:
    """Make this process (the grader) adopt its orphaned descendants while a sandbox runs.

    A sandbox is ``bwrap`` outside its PID namespace and ``bwrap`` again as that
    namespace's init. When jupyter_client kills the kernel's process group, the outer
    bwrap dies and the inner one is orphaned: without this it goes to PID 1, which may
    take seconds to reap it (on some machines PID 1 is no real init), and until then the
    sandbox's cgroup cannot be removed. As a child subreaper the grader gets it and reaps
    it itself (:func:`reap_adopted`). Counted: :func:`stop_adopting` after the last
    sandbox's tear-down turns it off, so a process that only sometimes grades (a test
    session, a worker) does not keep adopting other daemons. Linux only; True if on.
    """
    with _adopting_lock:
        _adopting["kernels"] += 1
        return _set_subreaper(True)


def stop_adopting() -> None:
    """One sandbox fewer (see :func:`start_adopting`); off after the last one."""
    with _adopting_lock:
        _adopting["kernels"] = max(_adopting["kernels"] - 1, 0)
        if _adopting["kernels"] == 0:
            _set_subreaper(False)


def children(pid: int) -> dict[int, str]:
    """The children of process ``pid`` now, each with its start time (to know it again)."""
    found: set[int] = set()
    tasks = list(Path(f"/proc/{pid}/task").glob("*/children"))
    for path in tasks:
        try:
            found.update(int(child) for child in path.read_text().split())
        except OSError:
            continue
    if not tasks:  # kernels without CONFIG_PROC_CHILDREN: every process's parent
        for stat in Path("/proc").glob("[0-9]*/stat"):
            fields = _stat_fields(stat.parent.name)
            if fields and fields[1] == pid:
                found.add(int(stat.parent.name))
    started = {child: _stat_fields(child) for child in found}
    return {child: fields[2] for child, fields in started.items() if fields is not None}


def _stat_fields(pid: int | str) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of a process, from ``/proc/<pid>/stat``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name before it may hold anything
    return fields[0], int(fields[1]), fields[19]


def reap_adopted(expected: dict[int, str]) -> list[int]:
    """Kill and reap the processes of ``expected`` that are now this process's children.

    ``expected`` maps process ids to start times, as :func:`children` gave them for a
    sandbox's outer bwrap before it was killed: its orphans, adopted by the grader (see
    :func:`start_adopting`). Each one that is the grader's child now, with the same start
    time, is killed and waited for (``waitpid``: no polling, no sleep); an unreaped child
    keeps its id, so no other process can be hit. Returns the ids reaped.
    """
    me, reaped = os.getpid(), []
    for pid, started in expected.items():
        fields = _stat_fields(pid)
        if fields is None or fields[1] != me or fields[2] != started:
            continue  # gone, reaped by its own parent, or not (yet) ours
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:  # reaped meanwhile by whoever else waits for it
            continue
        reaped.append(pid)
    return reaped




def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _rmdir(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} B"


def limits_in_force(
    limits: Limits, root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")
) -> tuple[str, bool]:
    """One line saying which limits a sandbox gets here, and whether its memory is limited.

    A cgroup is made (and removed) to find out, as every kernel's will be.

    Parameters
    ----------
    limits : Limits
    root, proc_cgroup : Path
        As for :class:`Cgroups`.

    Returns
    -------
    line : str
    memory_limited : bool
    """
    probe = Cgroups(f"gmm-lesson-probe-{secrets.token_hex(4)}", limits, root, proc_cgroup)
    for folder in probe.dirs:  # empty: no process ever joined it
        _rmdir(folder)
    memory = f"memory {_size(limits.memory)} via {probe.memory}" if probe.memory else "memory: NONE"
    pids = f"pids {limits.processes * 2} via {probe.pids}" if probe.pids else "pids: none"
    line = (
        f"grading sandbox limits: {memory}; {pids}; rlimits: address space "
        f"{_size(limits.address_space)}, CPU {limits.cpu_seconds} s, {limits.processes} processes, "
        f"file size {_size(limits.file_size)}, {limits.open_files} open files; tmpfs "
        f"{_size(limits.tmpfs_size)} (/tmp, home), /dev/shm {_size(limits.shm_size)}"
    )
    if probe.why_not:
        line += f" ({probe.why_not})"
    return line, probe.memory is not None


def check_available() -> None:
    """Raise :class:`SandboxUnavailable`, naming the fix, unless a sandbox can start here."""
    for tool, package in (("bwrap", "bubblewrap"), ("setpriv", "util-linux"), ("prlimit", "util-linux")):
        if shutil.which(tool) is None:
            raise SandboxUnavailable(
                f"grading needs `{tool}` to sandbox each student's kernel; install it "
                f"(Debian/Ubuntu: sudo apt-get install {package}). Grading without a sandbox "
                "lets student code read answer keys and rewrite the gradebook; only for a trusted "
                "single-user setting, set c.JudgedExecute.sandbox = 'none'."
            )
    root = os.geteuid() == 0
    inside = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] if root else []
    probe = subprocess.run(
        [
            shutil.which("bwrap"),
            *([] if root else ["--unshare-user", "--disable-userns"]),
            *("--unshare-pid", "--unshare-net", "--die-with-parent", "--ro-bind", "/usr", "/usr"),
            *(
                "--symlink",
                "usr/bin",
                "/bin",
                "--symlink",
                "usr/lib",
                "/lib",
                "--symlink",
                "usr/lib64",
                "/lib64",
            ),
            *("--proc", "/proc", "--dev", "/dev", "--", *inside, "/bin/true"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if probe.returncode != 0:
        how = (
            "as root it needs PID and network namespaces"
            if root
            else "unprivileged it needs user namespaces (sysctl kernel.unprivileged_userns_clone=1 "
            "and user.max_user_namespaces > 0), or run nbgrader autograde as root"
        )
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox here ({how}): {probe.stderr.strip()}")


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that starts its kernel in a :class:`Sandbox`, over IPC sockets."""

    sandbox = AnyTrait(help="the Sandbox this kernel runs in")
    max_message = Integer(
        0, help="bytes of the largest message the grader accepts from the kernel (0: no limit)"
    )
    receive_queue = Integer(
        4,
        help="messages each of the grader's sockets holds unread (ZeroMQ's RCVHWM; 0: no limit). "
        "When the grader reads more slowly than the kernel sends, the rest wait in the kernel, "
        "inside its sandbox's limits, or are dropped there",
    )

    relay = Bool(
        True,
        help="read the kernel through a relay process (gmm_grader.relay) that passes only messages "
        "of at most max_message bytes in all their parts (needs max_message > 0)",
    )

    def client(self, **kwargs):
        """A client whose sockets hold few messages unread and refuse any over ``max_message`` bytes.

        With :attr:`relay` (and ``max_message``), the client connects to the kernel's relay,
        not to the kernel: no message of more than ``max_message`` bytes in all its parts
        reaches it (see :mod:`gmm_grader.relay` for why ZeroMQ's options alone cannot say so).

        ZeroMQ's ``RCVHWM`` (``receive_queue``): a socket holds at most that many messages
        the grader has not read yet; past it ZeroMQ stops reading from the kernel, whose
        own queue then fills and drops (the kernel's memory, bounded by its sandbox), so a
        flood costs the grader at most ``receive_queue + 1`` messages per socket, not
        ZeroMQ's default of 1000. ZeroMQ's ``MAXMSGSIZE``: the connection that carries a
        larger message part is dropped before the grader holds it, so one message part
        costs the grader at most ``max_message`` bytes, whatever the kernel sends.
        """
        if self._relay_ip is not None:
            kwargs.setdefault("ip", self._relay_ip)
        kc = super().client(**kwargs)
        self._iopub_lost = False  # a new client, a new connection
        if self.receive_queue > 0:  # a default for every socket the client makes from now on
            kc.context.setsockopt(zmq.RCVHWM, self.receive_queue)
        if self.max_message > 0:
            kc.context.setsockopt(zmq.MAXMSGSIZE, self.max_message)
            # ZeroMQ does not connect again after such a refusal: watch for it, so that the
            # kernel is replaced at once (is_alive) instead of after the cell's time limit
            monitor = kc.iopub_channel.socket.get_monitor_socket()
            self._monitor = (monitor, zmq.Socket.shadow(monitor.underlying))
        return kc

    def iopub_lost(self) -> bool:
        """Whether the grader's IOPub connection to this kernel was dropped (a refused message)."""
        if not self._iopub_lost and self._monitor is not None:
            while True:
                try:
                    event = parse_monitor_message(self._monitor[1].recv_multipart(zmq.NOBLOCK))
                except zmq.Again:
                    break
                except zmq.ZMQError:  # the client's sockets are closed: nothing more to learn
                    break
                if event["event"] == zmq.EVENT_DISCONNECTED:
                    self._iopub_lost = True
        return self._iopub_lost

    def message_refused(self, wait: float = 2.0) -> bool:
        """Whether this kernel was cut off for sending a message too large, not dead by itself.

        IOPub drops for both: a refused message (the kernel runs on, unheard) and a kernel
        that exited (``os._exit``, a crash). So the IOPub loss counts as a refusal only if
        the kernel's process is still running ``wait`` seconds later.
        """
        ended = self._relay_ended()
        if ended == relay_process.REFUSED:
            return True
        if not self.iopub_lost() and ended is None:
            return False
        process = getattr(self.provisioner, "process", None)
        if process is None:
            return False
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return True
        return False

    async def _async_is_alive(self) -> bool:
        self._note_orphans()  # nbclient asks after every cell: the init is known long before a kill
        if self.iopub_lost() or self._relay_ended() is not None:  # alive or not, it cannot be heard
            return False
        return await super()._async_is_alive()

    def _relay_ended(self) -> int | None:
        """The relay's exit status once it has ended (a negative signal number), else None."""
        return None if self._relay is None else self._relay.poll()

    is_alive = _async_is_alive

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.transport = "ipc"
        self.ip = str(self.sandbox.sockets / "kernel")
        self.connection_file = str(self.sandbox.sockets / "kernel.json")
        self._cgroups: Cgroups | None = None
        self._monitor = None
        self._iopub_lost = False
        self._relay: subprocess.Popen | None = None
        # the relay's sockets, in a folder of the grader's that no kernel can see
        self._relay_ip = None
        if self.relay and self.max_message > 0:
            folder = self.sandbox.root / f"relay-{secrets.token_hex(4)}"
            folder.mkdir(mode=0o700)
            self._relay_ip = str(folder / "kernel")
        self._orphans: dict[int, str] = {}  # the outer bwrap's children: see _note_orphans

    async def _async_pre_start_kernel(self, **kw):
        self.sandbox.unlock_sockets()
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        os.chmod(self.connection_file, 0o644)  # the kernel, another uid, must read it
        name = f"{CGROUP_PREFIX}{owner_tag()}-{self.sandbox.uid}-{secrets.token_hex(4)}"
        self._cgroups = Cgroups(name, self.sandbox.limits)
        kw["cwd"] = str(self.sandbox.root)
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL  # the kernel's own fds never reach the grader
        kw["stdin"] = subprocess.DEVNULL
        return self.sandbox.command(kernel_cmd, self._cgroups.procs), kw

    async def _async_interrupt_kernel(self) -> None:
        # A sandboxed kernel is not interrupted (it could ignore SIGINT): a cell past its
        # time limit has its kernel killed, and the grader starts a new one.
        await self._async_kill_kernel()

    interrupt_kernel = _async_interrupt_kernel

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        start_adopting()  # the sandbox's inner bwrap, orphaned when it is killed, comes to us
        self._adopting = True
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self._relay_ip is not None:
            ports = {name: getattr(self, f"{name}_port") for name in relay_process.CHANNELS}
            self._relay = subprocess.Popen(
                relay_process.command(self.ip, self._relay_ip, ports, self.max_message, 1),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "MALLOC_ARENA_MAX": "1"},  # no per-thread arenas in its address space
            )

    def _stop_relay(self) -> None:
        if self._relay is not None:
            if self._relay.poll() is None:
                self._relay.kill()
            self._relay.wait()

    def _note_orphans(self) -> None:
        """Remember the outer bwrap's children (the namespace's init): orphaned if it dies first."""
        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() is None:  # poll() also reaps it once it exited
            self._orphans.update(children(process.pid))

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        self._note_orphans()
        await super()._async_kill_kernel(restart=restart)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        process = getattr(self.provisioner, "process", None)
        self._note_orphans()
        await super()._async_cleanup_resources(restart=restart)
        self._stop_relay()
        if self._monitor is not None:
            self._monitor[0].close(linger=0)
            self._monitor = None

        def reap() -> None:
            if process is not None:
                process.poll()  # the outer bwrap, if a slow kill left it unreaped
            reap_adopted(self._orphans)

        try:
            reap()
            if self._cgroups is not None:
                self._cgroups.remove(reap)
            self._orphans = {}
        finally:
            if getattr(self, "_adopting", False):
                self._adopting = False
                stop_adopting()

    cleanup_resources = _async_cleanup_resources
