"""A sandbox's tear-down: nothing is orphaned to PID 1, no cgroup is left, the font cache is shared.

tests/test_grading.py checks what a sandboxed kernel can see; these tests check what is
left once it is gone (issue 19: the grader waited on zombies that only PID 1 could reap)
and that every sandbox reads one matplotlib font cache instead of rebuilding its own.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from gmm_grader import sandbox
from nbclient.util import run_sync

PR_GET_CHILD_SUBREAPER = 37


def subreaper() -> bool:
    """Whether this process adopts its orphaned descendants now."""
    flag = ctypes.c_int(-1)
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0
    return bool(flag.value)


def identity(pid: int) -> tuple[int, str] | None:
    """(pid, start time) of a live or zombie process, None once it is gone (reaped)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return pid, text[text.rindex(")") + 2 :].split()[19]  # field 22, starttime


def state(pid: int) -> str | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()[0]


def descendants(root: int) -> list[int]:
    """Every process below ``root`` now (walking the parent links in /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(text[text.rindex(")") + 2 :].split()[1])
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def test_an_adopted_orphan_is_killed_and_reaped_and_nothing_else():
    """The grader reaps an orphan of a kernel's process group itself, with no wait on PID 1."""
    assert sandbox.start_adopting()
    try:
        # a shell that leaves a child behind: the child's parent exits, so it is orphaned
        shell = subprocess.run(
            ["/bin/sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"],
            capture_output=True,
            text=True,
            start_new_session=True,
        )
        orphan = int(shell.stdout.split()[0])
        deadline = time.monotonic() + 30
        while Path(f"/proc/{orphan}/stat").read_text().split(")")[-1].split()[1] != str(os.getpid()):
            assert time.monotonic() < deadline, "the orphan was not re-parented to this process"
            time.sleep(0.01)
        started = dict([identity(orphan)])
        assert sandbox.reap_adopted({**started, orphan + 10**7: started[orphan]}) == [orphan]
        assert identity(orphan) is None  # killed and reaped: not even a zombie is left
        assert sandbox.reap_adopted(started) == []  # gone: nothing else is touched
    finally:
        sandbox.stop_adopting()
    assert not subreaper()


INSIDE = textwrap.dedent(
    r"""
    import json, logging, os
    records = []
    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())
    logging.getLogger("matplotlib").addHandler(Keep())
    logging.getLogger("matplotlib").setLevel(logging.INFO)
    import matplotlib
    import matplotlib.font_manager as fm
    import matplotlib.pyplot as plt
    cache = [n for n in os.listdir(matplotlib.get_cachedir()) if n.startswith("fontlist")]
    try:
        with open(os.path.join(matplotlib.get_cachedir(), cache[0]), "a") as out:
            out.write("{}")
        writable = True
    except OSError as exc:
        writable = type(exc).__name__
    font = fm.findfont("DejaVu Sans", fallback_to_default=False)
    print(json.dumps({"cachedir": matplotlib.get_cachedir(), "cache": cache, "writable": writable,
                      "records": records, "font": os.path.isfile(font)}))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("kill_outer_first", [False, True], ids=["shutdown", "outer-bwrap-killed-first"])
def test_a_sandboxed_kernel_leaves_no_process_no_cgroup_and_shares_the_font_cache(tmp_path, kill_outer_first):
    box = sandbox.Sandbox(tmp_path / "box", None)
    km = sandbox.SandboxKernelManager(kernel_name="python3", sandbox=box)
    run_sync(km.start_kernel)()
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=120)
        box.lock_sockets()
        assert subreaper()  # while a sandbox runs, its orphans come to the grader
        outer = km.provisioner.process.pid
        processes = [p for p in map(identity, [outer, *descendants(outer)]) if p is not None]
        assert run_sync(km.is_alive)()  # as nbclient asks after every cell
        outputs = []
        run_sync(kc.execute_interactive)(INSIDE, timeout=120, output_hook=outputs.append)
        text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        facts = json.loads(text.strip().splitlines()[-1])
        cgroups = list(km._cgroups.dirs)
    finally:
        kc.stop_channels()
        if kill_outer_first:  # the outer bwrap dies first, not by the manager's kill (OOM killer, ...)
            os.kill(outer, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while state(outer) != "Z":  # dead, not yet reaped: the manager learns it only now
                assert time.monotonic() < deadline
                time.sleep(0.01)
        run_sync(km.shutdown_kernel)()  # as nbclient does: graceful (the sandbox kills it)
    # the outer bwrap, the namespace's init and the kernel: all gone, none a zombie of PID 1
    assert len(processes) >= 3
    left = [(pid, state(pid)) for pid, start in processes if identity(pid) == (pid, start)]
    assert left == []
    assert all(not folder.exists() for folder in cgroups)
    assert not subreaper()  # off again after the last sandbox
    # matplotlib read the batch's cache, read-only, and did not rebuild it
    assert facts["cachedir"] == "/tmp/matplotlib"
    assert facts["cache"] == [sandbox.font_cache().name]
    assert facts["writable"] in ("OSError", "PermissionError")
    rebuilt = [r for r in facts["records"] if "generated new fontManager" in r or "building the font" in r]
    assert rebuilt == []
    assert facts["font"] is True


@pytest.mark.slow
def test_a_killed_graders_font_cache_is_left_for_the_janitor_alone(tmp_path, monkeypatch):
    """SIGKILL skips the atexit that removes the font cache: remove_leftovers finds it by its owner tag."""
    run = secrets.token_hex(6)
    env = {**os.environ, "TMPDIR": str(tmp_path), sandbox.RUN_ENV: run}
    grader = subprocess.Popen(
        [sys.executable, "-c", "import time\nfrom gmm_grader import sandbox\n"
         "print(sandbox.font_cache(), flush=True)\ntime.sleep(600)"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        cache = Path(grader.stdout.readline().strip())
    finally:
        grader.kill()
        grader.wait(timeout=60)
    folder = cache.parent
    assert folder.parent == tmp_path and cache.name.startswith("fontlist-")
    assert folder.name.startswith(f"{sandbox.MPLCACHE_PREFIX}{grader.pid}.{run}-")
    assert cache.is_file()  # the killed grader left it
    other_run = tmp_path / f"{sandbox.MPLCACHE_PREFIX}{grader.pid}.{'f' * 12}-x"
    other_run.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert sandbox.remove_leftovers(run, grader.pid) == [str(folder)]
    assert not folder.exists() and other_run.is_dir()
