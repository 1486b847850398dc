"""The grading sandbox's limits, on every host: output bytes, cgroups v1/v2, mounts, uids.

Fast tests check the pieces: :class:`Limits` from a config mapping, cgroup v2 on a
**simulated** cgroup tree (a temporary folder laid out like ``/sys/fs/cgroup`` under
cgroup v2: this machine runs cgroup v1, so v2 is never made for real here), cgroup v1
for real (as root), the uid pool with real ``flock`` locks and a killed holder, and the
site folders hidden from a kernel.

A few submissions are graded with stock ``nbgrader autograde`` and the course's own
config (real bubblewrap kernels) in the session's graded class (tests/graded_class.py;
the honest controls are the hostile class's ``honest_full`` and ``basics_full``, graded
once for both), and every test of the real sandbox reads those gradings: floods of every
output kind cost only their own cell, one message of many parts is refused by the relay
(:mod:`gmm_grader.relay`, whose mechanism the fast tests check on stand-in kernels), the
autograded notebooks stay small, Debian's ``/usr/lib/python3/dist-packages`` is out of
reach of an em_step_by_step kernel, ``/dev`` is read-only with a sized ``/dev/shm``,
``/etc`` is readable (no Fontconfig error), and each batch's log says which limits are in
force.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import graded_class as gc
import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import psutil
import pytest
from gmm_grader import grading, probe, relay, sandbox
from nbformat.v4 import new_code_cell

EM = "em_step_by_step"
BASICS = "gmm_basics"
MIB = 2**20


# ---------------------------------------------------------------- Limits from the config
def test_limits_from_a_mapping_change_only_what_is_named():
    limits = sandbox.Limits.from_mapping({"memory": 2 * 2**30, "processes": 64})
    assert limits.memory == 2 * 2**30 and limits.processes == 64
    assert limits.cpu_seconds == sandbox.Limits().cpu_seconds


@pytest.mark.parametrize(
    "values, error, words",
    [
        ({"memroy": 1}, ValueError, "unknown limit 'memroy'"),
        ({"memory": -1}, ValueError, "'memory'] must be positive"),
        ({"memory": 0}, ValueError, "must be positive"),
        ({"memory": 1.5e9}, TypeError, "whole number"),
        ({"processes": True}, TypeError, "whole number"),
        ({"memory": "2G"}, TypeError, "whole number"),
        ([("memory", 1)], TypeError, "must be a dict"),
    ],
)
def test_bad_limits_are_refused_naming_the_setting(values, error, words):
    with pytest.raises(error, match=r"limits") as info:
        sandbox.Limits.from_mapping(values, name="JudgedExecute.limits")
    assert words in str(info.value) and "JudgedExecute.limits" in str(info.value)


def test_bad_limits_in_the_config_stop_grading_at_once():
    with pytest.raises(ValueError, match="unknown limit 'memroy'"):
        grading.JudgedExecute(limits={"memroy": 2**30})
    assert grading.JudgedExecute(limits={"memory": 2**30}).limits == {"memory": 2**30}


@pytest.mark.parametrize("value, allowed", [(None, False), ("0", False), ("1", True)])
def test_the_course_config_sets_limits_and_no_opt_out(monkeypatch, value, allowed):
    from traitlets.config.loader import PyFileConfigLoader  # what nbgrader loads it with

    if value is None:
        monkeypatch.delenv("GMM_LESSON_ALLOW_NO_MEMORY_LIMIT", raising=False)
    else:
        monkeypatch.setenv("GMM_LESSON_ALLOW_NO_MEMORY_LIMIT", value)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(h.COURSE)).load_config()
    assert config.JudgedExecute.limits == {}
    assert config.JudgedExecute.allow_no_memory_limit is allowed
    execute = grading.JudgedExecute(config=config)
    assert sandbox.Limits.from_mapping(execute.limits) == sandbox.Limits()


# ---------------------------------------------------------------- cgroup v2, simulated
def v2_tree(tmp: Path, controllers: str = "memory pids", enabled: str = "memory pids") -> tuple[Path, Path]:
    """A folder laid out like /sys/fs/cgroup under cgroup v2, the grader in a delegated scope.

    A plain folder cannot refuse writes as cgroupfs does ("no internal processes", EBUSY)
    and does not make the interface files of a new child: those parts are not simulated.
    """
    root = tmp / "cgroup"
    own = root / "user.slice" / "grading.scope"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma misc\n")
    (own / "cgroup.controllers").write_text(controllers + "\n")
    (own / "cgroup.subtree_control").write_text(enabled + "\n")
    (own / "cgroup.procs").write_text("")
    proc = tmp / "proc-self-cgroup"
    proc.write_text("0::/user.slice/grading.scope\n")
    return root, proc


def test_cgroup_v2_child_under_the_graders_own_cgroup(tmp_path):
    root, proc = v2_tree(tmp_path)
    limits = sandbox.Limits(memory=300 * MIB, processes=10)
    groups = sandbox.Cgroups("gmm-lesson-box", limits, root=root, proc_cgroup=proc)
    child = root / "user.slice" / "grading.scope" / "gmm-lesson-box"
    assert groups.dirs == [child]
    assert groups.procs == [str(child / "cgroup.procs")]
    assert (groups.memory, groups.pids, groups.why_not) == ("cgroup v2", "cgroup v2", "")
    assert (child / "memory.max").read_text() == str(300 * MIB)
    assert (child / "memory.swap.max").read_text() == "0"
    assert (child / "memory.oom.group").read_text() == "1"
    assert (child / "pids.max").read_text() == "20"


def test_cgroup_v2_enables_the_controllers_it_needs(tmp_path):
    root, proc = v2_tree(tmp_path, enabled="")
    groups = sandbox.Cgroups("box", sandbox.Limits(), root=root, proc_cgroup=proc)
    own = root / "user.slice" / "grading.scope"
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert groups.memory == "cgroup v2"


def test_cgroup_v2_from_the_graders_leaf_uses_its_parent(tmp_path):
    root, proc = v2_tree(tmp_path)
    proc.write_text(f"0::/user.slice/grading.scope/{sandbox.GRADER_LEAF}\n")
    groups = sandbox.Cgroups("box", sandbox.Limits(), root=root, proc_cgroup=proc)
    assert groups.dirs == [root / "user.slice" / "grading.scope" / "box"]


def test_cgroup_v2_without_a_memory_controller_says_so(tmp_path):
    root, proc = v2_tree(tmp_path, controllers="pids", enabled="pids")
    groups = sandbox.Cgroups("box", sandbox.Limits(processes=7), root=root, proc_cgroup=proc)
    assert (groups.memory, groups.pids) == (None, "cgroup v2")
    assert "no memory controller delegated" in groups.why_not
    assert not (root / "user.slice" / "grading.scope" / "box" / "memory.max").exists()
    line, limited = sandbox.limits_in_force(sandbox.Limits(processes=7), root=root, proc_cgroup=proc)
    assert not limited and "memory: NONE" in line and "pids 14 via cgroup v2" in line


def test_limits_line_on_cgroup_v2(tmp_path):
    root, proc = v2_tree(tmp_path)
    line, limited = sandbox.limits_in_force(sandbox.Limits(memory=2 * 2**30), root=root, proc_cgroup=proc)
    assert limited
    assert line.startswith("grading sandbox limits: memory 2 GiB via cgroup v2; pids 256 via cgroup v2;")
    assert "rlimits: address space 4 GiB, CPU 900 s, 128 processes" in line
    assert "/dev/shm 64 MiB" in line


def test_no_cgroup_at_all_is_no_memory_limit(tmp_path):
    proc = tmp_path / "cgroup"
    proc.write_text("1:name=systemd:/\n")
    line, limited = sandbox.limits_in_force(sandbox.Limits(), root=tmp_path / "none", proc_cgroup=proc)
    assert not limited and "memory: NONE; pids: none" in line and "no cgroup v1 memory controller" in line


# ------------------------------------------------- the hub: a delegated subtree per instructor
HUB = Path(__file__).resolve().parents[1] / "deploy" / "hub"


def hub_cgroups():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gmm_hub_cgroups", HUB / "hub_cgroups.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hub_delegates_a_subtree_where_grading_then_limits_memory(tmp_path):
    """Simulated cgroup v2: hub -> instructor's server (delegated) -> a sandbox with memory.max."""
    cg = hub_cgroups()
    root, proc = v2_tree(tmp_path, enabled="")
    hub = root / "user.slice" / "grading.scope"  # here: the hub's own cgroup
    base, why = cg.prepare(root, proc, pid=4321)
    assert (base, why) == (hub, "")
    assert (hub / "cgroup.subtree_control").read_text() == "+memory +pids"
    server = hub / "gmm-server-ada"
    for folder in (server, server / sandbox.GRADER_LEAF):  # as the kernel would make them
        folder.mkdir()
        (folder / "cgroup.controllers").write_text("memory pids\n")  # what the parent hands on
        for name in ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads"):
            (folder / name).write_text("")
    uid, gid = (4242, 4343) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    leaf = cg.delegate(base, "ada", uid, gid, pid=5555)
    assert leaf == server / sandbox.GRADER_LEAF == server / cg.SERVER_LEAF
    assert (leaf / "cgroup.procs").read_text() == "5555"
    assert (server / "cgroup.subtree_control").read_text() == "+memory +pids"
    files = [server / "cgroup.procs", server / "cgroup.subtree_control", leaf / "cgroup.procs"]
    for path in [server, leaf, *files]:
        assert (path.stat().st_uid, path.stat().st_gid) == (uid, gid), path
    # the instructor's grader, in that leaf, makes each sandbox's cgroup beside it
    grader = tmp_path / "grader-cgroup"
    grader.write_text(f"0::/user.slice/grading.scope/gmm-server-ada/{sandbox.GRADER_LEAF}\n")
    limits = sandbox.Limits(memory=MIB * 512)
    line, limited = sandbox.limits_in_force(limits, root=root, proc_cgroup=grader)
    assert limited and "memory 512 MiB via cgroup v2" in line
    groups = sandbox.Cgroups("gmm-lesson-box", limits, root=root, proc_cgroup=grader)
    assert groups.dirs == [server / "gmm-lesson-box"]
    assert (server / "gmm-lesson-box" / "memory.max").read_text() == str(512 * MIB)
    with pytest.raises(ValueError, match="user"):
        cg.delegate(base, "../x", uid, gid, pid=1)


def test_the_hub_says_why_it_cannot_delegate(tmp_path):
    cg = hub_cgroups()
    root, proc = v2_tree(tmp_path, controllers="pids", enabled="pids")
    base, why = cg.prepare(root, proc, pid=1)
    assert base is None and "no memory controller" in why
    proc.write_text("1:name=systemd:/\n")
    assert cg.prepare(tmp_path / "v1", proc, pid=1) == (
        None,
        f"no cgroup v2 hierarchy at {tmp_path / 'v1'} (cgroup v1: only root can set a memory limit)",
    )


@pytest.mark.parametrize(
    "delegated, explicit, allow, words",
    [
        (True, None, "0", "delegated cgroup v2 subtree"),
        (False, None, "1", "no memory limit per grading sandbox on this host (cgroup v1 here)"),
        (False, "1", "1", "WITHOUT a memory limit"),
        (True, "1", "1", "WITHOUT a memory limit"),
        (False, "0", "0", "will refuse"),
        (True, "0", "0", "delegated cgroup v2 subtree"),
    ],
)
def test_the_hub_opts_out_of_the_memory_limit_only_where_it_must(tmp_path, delegated, explicit, allow, words):
    cg = hub_cgroups()
    base = tmp_path if delegated else None
    value, line = cg.memory_limit_choice(base, "" if delegated else "cgroup v1 here", explicit)
    assert value == allow and words in line and "\n" not in line


def test_the_hub_config_on_this_host_opts_out_in_one_line(monkeypatch, capsys):
    """This machine runs cgroup v1: the hub's config opts out, and says why, once."""
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.delenv("GMM_LESSON_ALLOW_NO_MEMORY_LIMIT", raising=False)
    monkeypatch.setenv("GMM_LESSON_INSTRUCTORS", "ada")
    assert not (sandbox.CGROUP_ROOT / "cgroup.controllers").is_file()  # the premise: cgroup v1
    config = PyFileConfigLoader("jupyterhub_config.py", path=str(HUB)).load_config()
    assert config.Spawner.environment["GMM_LESSON_ALLOW_NO_MEMORY_LIMIT"] == "1"
    assert config.JupyterHub.spawner_class == "localprocess"
    lines = [line for line in capsys.readouterr().err.splitlines() if "gmm-lesson hub" in line]
    assert len(lines) == 1 and "no memory limit per grading sandbox on this host (no cgroup v2" in lines[0]


def test_grading_refuses_without_a_memory_limit_unless_opted_out(monkeypatch, caplog):
    monkeypatch.setattr(grading.JudgedExecute, "_limits_checked", {})
    none = ("grading sandbox limits: memory: NONE", False)
    monkeypatch.setattr(sandbox, "limits_in_force", lambda limits: none)
    with pytest.raises(sandbox.SandboxUnavailable, match="allow_no_memory_limit = True"):
        grading.JudgedExecute()._check_limits(sandbox.Limits())
    caplog.set_level("INFO")
    grading.JudgedExecute(allow_no_memory_limit=True)._check_limits(sandbox.Limits())
    assert "GRADING WITHOUT A MEMORY LIMIT" in caplog.text


# ---------------------------------------------------------------- cgroup v1, for real
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="makes cgroups and sandbox uids: root only")
v1_host = pytest.mark.skipif(
    not Path("/sys/fs/cgroup/memory").is_dir(), reason="this machine has no cgroup v1 memory controller"
)


@needs_root
@v1_host
def test_cgroup_v1_for_real():
    name = f"gmm-lesson-test-{os.getpid()}"
    groups = sandbox.Cgroups(name, sandbox.Limits(memory=200 * MIB, processes=16))
    try:
        assert (groups.memory, groups.pids) == ("cgroup v1", "cgroup v1"), groups.why_not
        memory, pids = groups.dirs
        assert int((memory / "memory.limit_in_bytes").read_text()) == 200 * MIB
        assert (pids / "pids.max").read_text().strip() == "32"
        join = "; ".join(f'echo $$ > "{p}"' for p in groups.procs)
        child = subprocess.Popen(["/bin/sh", "-c", f"{join}; exec sleep 60"])
        for _ in range(100):
            if str(child.pid) in (memory / "cgroup.procs").read_text().split():
                break
            time.sleep(0.05)
        assert str(child.pid) in (pids / "cgroup.procs").read_text().split()
    finally:
        groups.remove()  # kills what is left, then removes the folders
    assert child.wait(timeout=10) == -signal.SIGKILL
    assert not memory.exists() and not pids.exists()


@needs_root
def test_as_another_user_on_cgroup_v1_memory_is_not_limited():
    """An unprivileged grader on this (cgroup v1) machine cannot make a memory cgroup: said so."""
    code = "from gmm_grader import sandbox; print(sandbox.limits_in_force(sandbox.Limits())[1])"
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
    )
    if out.returncode != 0 and "Permission denied" in out.stderr:
        pytest.fail(f"the venv must be readable by nobody for this test: {out.stderr[-300:]}")
    assert out.stdout.strip() == "False", out.stderr


# ---------------------------------------------------------------- the uid pool
LEASE = textwrap.dedent(
    """
    import sys, time
    from gmm_grader import sandbox
    lease = sandbox.UidLease(sys.argv[1], range(int(sys.argv[2]), int(sys.argv[3])))
    print(lease.uid, flush=True)
    time.sleep(120)
    """
)


def hold(folder: Path, pool: range) -> tuple[subprocess.Popen, int]:
    """Another grader process holding a uid from the pool."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LEASE, str(folder), str(pool.start), str(pool.stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(proc.stderr.read())
    return proc, int(line)


def test_concurrent_graders_never_share_a_uid(tmp_path):
    pool = range(900_000, 900_004)
    holders = [hold(tmp_path / "locks", pool) for _ in range(3)]
    try:
        mine = sandbox.UidLease(tmp_path / "locks", pool)
        uids = sorted([uid for _, uid in holders] + [mine.uid])
        assert uids == list(pool)
        with pytest.raises(sandbox.SandboxUnavailable, match="in use"):
            sandbox.UidLease(tmp_path / "locks", pool)
        mine.release()
        again = sandbox.UidLease(tmp_path / "locks", pool)
        assert again.uid == mine.uid
        again.release()
    finally:
        for proc, _ in holders:
            proc.kill()
            proc.wait()


def test_a_killed_graders_uid_is_reclaimed(tmp_path):
    pool = range(900_010, 900_011)
    proc, uid = hold(tmp_path / "locks", pool)
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox.UidLease(tmp_path / "locks", pool)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    lease = sandbox.UidLease(tmp_path / "locks", pool)
    assert lease.uid == uid
    lease.release()
    assert not (tmp_path / "locks" / str(uid)).exists()


def test_the_lock_folder_must_be_private(tmp_path):
    folder = tmp_path / "locks"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    with pytest.raises(sandbox.SandboxUnavailable, match="no one else can write"):
        sandbox.UidLease(folder, range(900_020, 900_021))
    with pytest.raises(ValueError, match="pool"):
        sandbox.UidLease(tmp_path / "other", range(5, 5))


# ---------------------------------------------------------------- site folders in reach
def test_foreign_site_folders_are_hidden_but_the_environments_own(tmp_path):
    base, venv = tmp_path / "base", tmp_path / "venv"
    for folder in (
        base / "lib/python3.11/site-packages",
        base / "lib/python3/dist-packages",
        base / "local/lib/python3.11/dist-packages",
        base / "lib/python3.11/lib-dynload",
        venv / "lib/python3.11/site-packages",
    ):
        folder.mkdir(parents=True)
    found = sandbox.foreign_site_dirs(
        [str(base), str(venv)], own=[str(venv / "lib/python3.11/site-packages")]
    )
    assert found == [
        str(base / "lib/python3.11/site-packages"),
        str(base / "lib/python3/dist-packages"),
        str(base / "local/lib/python3.11/dist-packages"),
    ]


def test_debians_dist_packages_are_on_the_default_list():
    if not Path("/usr/lib/python3/dist-packages").is_dir():
        pytest.fail("this test expects a Debian host with /usr/lib/python3/dist-packages")
    assert "/usr/lib/python3/dist-packages" in sandbox.foreign_site_dirs()
    # the positive control: outside the sandbox, the environment's Python imports them from there
    code = "import sys; sys.path.append('/usr/lib/python3/dist-packages'); import apt_pkg, dbus"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
    own = {os.path.realpath(p) for p in sandbox._site_dirs()}
    assert not own & set(sandbox.foreign_site_dirs())


# ---------------------------------------------------------------- counting output bytes
def test_message_size_counts_content_and_buffers():
    msg = {"content": {"data": {"text/plain": "x" * 1000}}, "buffers": [b"y" * 500, memoryview(b"z" * 7)]}
    assert grading.message_size(msg) == len(json.dumps(msg["content"])) + 507


def test_the_graders_sockets_refuse_large_messages(tmp_path):
    import zmq

    box = sandbox.Sandbox(tmp_path / "box", None)
    try:
        km = sandbox.SandboxKernelManager(kernel_name="python3", sandbox=box, max_message=12345)
        kc = km.client()
        assert kc.iopub_channel.socket.getsockopt(zmq.MAXMSGSIZE) == 12345
        assert kc.shell_channel.socket.getsockopt(zmq.MAXMSGSIZE) == 12345
        # the client reads the kernel's relay, in a folder of the grader's the kernel cannot see
        assert Path(kc.ip).parent.parent == box.root and Path(kc.ip).parent != box.sockets
        assert Path(km.ip).parent == box.sockets
        for channel in (kc.iopub_channel, kc.shell_channel, kc.stdin_channel, kc.control_channel):
            assert channel.socket.getsockopt(zmq.RCVHWM) == km.receive_queue == 4
        assert not km.iopub_lost()
        kc.stop_channels()
    finally:
        box.release()


@pytest.mark.parametrize("queue", [4, 0])
def test_the_graders_iopub_holds_few_unread_messages(tmp_path, queue):
    """A kernel that sends faster than the grader reads fills its own queue, not the grader's.

    A stand-in kernel (a PUB socket holding one message, so that what it cannot deliver
    is dropped on its side, as a flooding kernel's full queue is) sends 200 messages of
    1 MiB to a grader client that reads none of them until the kernel is done; the
    grader then finds at most ``receive_queue`` messages and a few in flight, where
    ZeroMQ's default queue of 1000 (``receive_queue=0``, the control) holds most of them.
    """
    import zmq

    box = sandbox.Sandbox(tmp_path / "box", None)
    kernel = zmq.Context()
    try:
        km = sandbox.SandboxKernelManager(kernel_name="python3", sandbox=box, receive_queue=queue)
        km.write_connection_file()
        publisher = kernel.socket(zmq.PUB)
        publisher.setsockopt(zmq.SNDHWM, 1)
        publisher.bind(f"ipc://{km.ip}-{km.iopub_port}")
        kc = km.client()
        socket = zmq.Socket.shadow(kc.iopub_channel.socket.underlying)  # read it without asyncio
        socket.setsockopt(zmq.SUBSCRIBE, b"")
        time.sleep(0.5)  # the subscription reaches the publisher
        for number in range(200):
            publisher.send_multipart([b"x" * MIB, str(number).encode()])
            time.sleep(0.01)
        time.sleep(1.0)
        received = 0
        while socket.poll(1000):
            socket.recv_multipart()
            received += 1
        if queue:
            assert 1 <= received <= queue + 4, received
        else:  # the control: ZeroMQ's default queue held most of them (the rest dropped on the way)
            assert received > 100, received
        kc.stop_channels()
    finally:
        kernel.destroy(linger=0)
        box.release()


# ---------------------------------------------------------------- the relay (gmm_grader.relay)
class StandInKernel:
    """The five sockets of a kernel (PUB for IOPub, ROUTER for the others), its relay, and a client."""

    def __init__(self, folder: Path, max_message: int, kernel_queue: int = 1000):
        import zmq

        self.zmq = zmq
        self.context = zmq.Context()
        self.kernel_ip, relay_ip = str(folder / "kernel"), str(folder / "relay")
        self.ports = {name: number for number, name in enumerate(relay.CHANNELS, start=1)}
        self.sockets = {}
        for name in relay.CHANNELS:
            self.sockets[name] = self.context.socket(zmq.PUB if name == "iopub" else zmq.ROUTER)
            self.sockets[name].setsockopt(zmq.SNDHWM, kernel_queue)  # before its connections
            self.sockets[name].bind(f"ipc://{self.kernel_ip}-{self.ports[name]}")
        self.process = subprocess.Popen(
            relay.command(self.kernel_ip, relay_ip, self.ports, max_message, 1),
            env={**os.environ, "MALLOC_ARENA_MAX": "1"},
        )
        self.iopub = self.context.socket(zmq.SUB)
        self.iopub.setsockopt(zmq.RCVHWM, 4)  # as the grader's (SandboxKernelManager.receive_queue)
        self.iopub.setsockopt(zmq.SUBSCRIBE, b"")
        self.iopub.connect(f"ipc://{relay_ip}-{self.ports['iopub']}")
        self.shell = self.context.socket(zmq.DEALER)
        self.shell.connect(f"ipc://{relay_ip}-{self.ports['shell']}")
        self.hb = self.context.socket(zmq.REQ)
        self.hb.connect(f"ipc://{relay_ip}-{self.ports['hb']}")

    def subscribed(self) -> None:
        """Publish until the client hears (its subscription went through the relay)."""
        for _ in range(100):
            self.sockets["iopub"].send_multipart([b"hello"])
            if self.iopub.poll(100):
                while self.iopub.poll(200):
                    assert self.iopub.recv_multipart() == [b"hello"]
                return
        pytest.fail("the client's subscription never reached the kernel through the relay")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.context.destroy(linger=0)


@pytest.fixture
def stand_in(tmp_path):
    kernels = []

    def make(max_message: int, **options) -> StandInKernel:
        kernels.append(StandInKernel(tmp_path, max_message, **options))
        return kernels[-1]

    yield make
    for kernel in kernels:
        kernel.close()


def test_the_relay_passes_every_channel_both_ways(stand_in):
    kernel = stand_in(4 * MIB)
    kernel.shell.send_multipart([b"", b"request"])
    assert kernel.sockets["shell"].poll(10_000)
    envelope = kernel.sockets["shell"].recv_multipart()
    assert envelope[-2:] == [b"", b"request"]  # the relay's and the client's identities before it
    kernel.sockets["shell"].send_multipart(envelope[:-1] + [b"reply"])
    assert kernel.shell.poll(10_000) and kernel.shell.recv_multipart() == [b"", b"reply"]
    kernel.hb.send(b"ping")  # the heartbeat: the kernel echoes what it gets
    assert kernel.sockets["hb"].poll(10_000)
    kernel.sockets["hb"].send_multipart(kernel.sockets["hb"].recv_multipart())
    assert kernel.hb.poll(10_000) and kernel.hb.recv() == b"ping"
    kernel.subscribed()
    parts = [b"header", b"x" * MIB, b"y" * (3 * MIB - 100)]  # 4 MiB - 94 bytes in all: passes
    kernel.sockets["iopub"].send_multipart(parts)
    assert kernel.iopub.poll(10_000) and kernel.iopub.recv_multipart() == parts
    assert kernel.process.poll() is None


@pytest.mark.parametrize(
    "parts, status",
    [
        # many parts, each under the limit (ZeroMQ's MAXMSGSIZE lets each through): the relay counts
        ([b"m" * MIB] * 5, relay.REFUSED),
        # one part over the limit: ZeroMQ's MAXMSGSIZE on the relay's socket drops the connection
        ([b"h" * (4 * MIB + 1)], relay.KERNEL_LOST),
    ],
    ids=["many_parts", "one_part"],
)
def test_the_relay_ends_on_a_message_over_the_limit_and_passes_none_of_it(stand_in, parts, status):
    kernel = stand_in(4 * MIB)
    kernel.subscribed()
    kernel.sockets["iopub"].send_multipart(parts)
    assert kernel.process.wait(timeout=30) == status
    assert not kernel.iopub.poll(500)  # nothing of it reached the client


def test_the_relays_memory_is_bounded_by_its_address_space(stand_in):
    """One message of 400 parts of 1 MiB (each within the limit) cannot make the relay hold 400 MiB.

    ZeroMQ holds every part before the last arrives, so the relay cannot count first: its
    address-space limit (``relay.address_space``, 100 MiB here) stops it, and it ends.
    """
    kernel = stand_in(MIB)
    kernel.subscribed()
    watched = psutil.Process(kernel.process.pid)
    peak = 0
    kernel.sockets["iopub"].send_multipart([b"m" * MIB] * 400, copy=False)
    deadline = time.monotonic() + 60
    while kernel.process.poll() is None and time.monotonic() < deadline:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)
    status = kernel.process.wait(timeout=5)
    assert status in (relay.KERNEL_LOST, -signal.SIGABRT), status  # ZeroMQ's allocation failed
    assert peak < relay.address_space(MIB), peak
    assert not kernel.iopub.poll(500)


def test_a_flood_past_the_queues_is_dropped_in_the_kernel_not_held_by_the_relay(stand_in):
    """200 messages of 1 MiB to a grader that reads none until the end: few arrive, the rest drop.

    The relay reads from the kernel only while the grader keeps up (back-pressure), so
    what the grader does not read waits in the kernel's own queue (one message here, so
    the rest are dropped there, as a flooding kernel's full queue drops them), not in the
    relay or the grader: the grader then finds at most its queue of 4 and the few held
    on the way (one in each of the relay's queues), and the relay's memory stays flat.
    """
    kernel = stand_in(4 * MIB, kernel_queue=1)
    kernel.subscribed()
    watched = psutil.Process(kernel.process.pid)
    before = watched.memory_info().rss
    peak = before
    for number in range(200):
        kernel.sockets["iopub"].send_multipart([b"x" * MIB, str(number).encode()])
        peak = max(peak, watched.memory_info().rss)
        time.sleep(0.01)
    time.sleep(1.0)
    received = []
    while kernel.iopub.poll(1000):
        received.append(int(kernel.iopub.recv_multipart()[1]))
    assert 1 <= len(received) <= 4 + 6, received
    assert received == sorted(received)  # in order, the first ones: the rest were dropped
    assert peak - before < 16 * MIB, (before, peak)  # a few messages' worth, not 200 MiB
    assert kernel.process.poll() is None


def test_the_relay_command_is_checked_and_limited():
    ports = dict.fromkeys(relay.CHANNELS, 1)
    cmd = relay.command("/k/kernel", "/r/relay", ports, 40_000_000, 1)
    assert f"--as={relay.BASE_ADDRESS_SPACE + 160_000_000}" in cmd
    assert cmd[cmd.index("--") + 1 :][:3] == [sys.executable, "-m", "gmm_grader.relay"]
    with pytest.raises(ValueError, match="max_message must be positive"):
        relay.command("/k/kernel", "/r/relay", ports, 0, 1)
    with pytest.raises(ValueError, match="ports: missing hb"):
        relay.command("/k/kernel", "/r/relay", {k: v for k, v in ports.items() if k != "hb"}, 1, 1)


def test_the_relay_ends_with_the_grader(tmp_path):
    """A grader killed (SIGKILL) leaves no relay behind: the relay sees its parent change."""
    code = (
        "import subprocess, sys, time\n"
        "from gmm_grader import relay\n"
        "ports = dict.fromkeys(relay.CHANNELS, 1)\n"
        f"kernel, relay_ip = {str(tmp_path / 'k')!r}, {str(tmp_path / 'r')!r}\n"
        "p = subprocess.Popen(relay.command(kernel, relay_ip, ports, 2**20, 1))\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    grader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid = int(grader.stdout.readline())
    time.sleep(1.0)
    assert psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the relay outlived its grader")


# ---------------------------------------------------------------- one real batch
FLOOD = 16 * MIB
REPORT_FLOOD = f"""
from IPython.display import display
for _ in range(24):
    display({{{probe.MIME!r}: {{"token": "0" * 16, "report": "x" * {FLOOD}}}}}, raw=True)
print("report flood sent")
"""
COMM_FLOOD = f"""
from comm import create_comm
channel = create_comm(target_name="jupyter.widget", data={{"state": {{"value": "x" * {FLOOD}}}}})
for _ in range(24):
    channel.send({{"method": "update", "state": {{"value": "y" * {FLOOD}}}}})
print("comm flood sent")
"""
DISPLAY_FLOOD = f"""
from IPython.display import clear_output, display
handle = display("small", display_id=True)
for _ in range(24):
    handle.update("u" * {FLOOD})
for _ in range(24):
    print("p" * 1_500_000)
    clear_output()
print("display flood sent")
"""
# one message larger than the grader accepts (4 x (report_limit + output_limit) = 40 MB)
ONE_HUGE_MESSAGE = """
import time
print("before")
display("h" * 100 * 2**20)
time.sleep(5)  # long enough for the grader to see its relay gone and replace the kernel
print("after")
"""
# one message of many parts, each under ZeroMQ's MAXMSGSIZE (sent without copies, it costs
# the kernel one part): 3 x 16 MiB, counted and refused by the relay; 24 x 16 MiB, more than
# the relay's address space holds
MULTIPART = """
import time
print("before", flush=True)  # sent before the message: ipykernel flushes on display, not here
kernel = get_ipython().kernel
part = b"m" * {size}
content = {{"data": {{"text/plain": "parts"}}, "metadata": {{}}}}
parent = kernel.get_parent()
kernel.session.send(kernel.iopub_socket, "display_data", content, parent=parent, buffers=[part] * {parts})
time.sleep(5)
print("after")
"""
MULTIPART_COUNTED = MULTIPART.format(size=FLOOD, parts=3)
MULTIPART_FLOOD = MULTIPART.format(size=FLOOD, parts=24)
PROBE = """
import json, os, sys
facts = {}
sys.path.append("/usr/lib/python3/dist-packages")
try:
    import apt_pkg  # Debian's python3-apt, a compiled module for this Python version
    facts["apt_pkg"] = apt_pkg.__file__
except ImportError as exc:
    facts["apt_pkg"] = type(exc).__name__
try:
    import dbus  # Debian's python3-dbus (pure Python)
    facts["dbus"] = dbus.__file__
except ImportError as exc:
    facts["dbus"] = type(exc).__name__
facts["dist_packages"] = sorted(os.listdir("/usr/lib/python3/dist-packages"))
facts["etc_mode"] = oct(os.stat("/etc").st_mode & 0o777)
facts["fonts_readable"] = os.access("/etc/fonts/fonts.conf", os.R_OK)
try:
    open("/dev/hog", "wb").write(b"x" * 2**20)
    facts["dev"] = "written"
except OSError as exc:
    facts["dev"] = type(exc).__name__
dev = [line.split() for line in open("/proc/self/mountinfo") if line.split()[4] == "/dev"]
facts["dev_options"] = dev[-1][5].split(",")
written, errno = 0, None
try:  # files of 16 MiB (under the 64 MiB file-size rlimit): only the tmpfs size can stop them
    for number in range(16):
        with open(f"/dev/shm/hog{number}", "wb") as out:
            for _ in range(16):
                out.write(b"x" * 2**20)
                out.flush()
                written += 1
except OSError as exc:
    errno = exc.errno
facts["shm_mib"], facts["shm_errno"] = written, errno
for name in os.listdir("/dev/shm"):
    os.remove("/dev/shm/" + name)
print("FACTS " + json.dumps(facts))
"""
PLOT = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.set_title("fonts")
fig.canvas.draw()
print("drawn")
"""

STUDENTS = {
    # student: (assignment, inserted code cells after the imports)
    "honest": (EM, []),
    "honest_basics": (BASICS, []),
    "report_flood": (EM, [REPORT_FLOOD]),
    "comm_flood": (EM, [COMM_FLOOD]),
    "display_flood": (EM, [DISPLAY_FLOOD, ONE_HUGE_MESSAGE]),
    "multipart_flood": (EM, [MULTIPART_COUNTED, MULTIPART_FLOOD]),
    "reach": (EM, [PROBE, PLOT]),
}
#: the honest controls are the hostile class's own notebooks (the course's solutions),
#: graded once for both modules
CLASS_ID = {"honest": "honest_full", "honest_basics": "basics_full"}


def builder(name: str, inserted: list[str]):
    """``build(release_nb, folder)``: the course's solutions, with ``inserted`` after the imports."""

    def build(release_nb, folder: Path) -> None:
        nb = nbformat.from_dict(release_nb)
        h.fill_solutions(nb, h.read(h.source_notebook_path(name)))
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        for offset, code in enumerate(inserted, start=1):
            nb.cells.insert(first_code + offset, new_code_cell(code.strip("\n"), id=f"inserted-{offset}"))
        nbformat.write(nb, folder / f"{name}.ipynb")

    return build


attacks.register(*CLASS_ID.values())
for _student, (_name, _inserted) in STUDENTS.items():
    if _student not in CLASS_ID:
        gc.register(
            _student, _name, builder(_name, _inserted), gc.expected_scores(_name, set()),
            origin="test_sandbox_limits", feedback=False,  # the course's own limits: 30 s a cell
        )


class Batch:
    """These students' notebooks in the session's graded class (tests/graded_class.py)."""

    def __init__(self, graded: gc.GradedClass):
        self.graded = graded
        self.root = graded.root
        #: the log of every autograde batch that graded one of them
        limits = {(name, graded.entry(name, self.id(s)).limits) for s, (name, _) in STUDENTS.items()}
        labels = {gc.batch_label(name, group) for name, group in limits}
        self.logs = {label: graded.logs[f"autograde {label}"] for label in labels}

    @staticmethod
    def id(student: str) -> str:
        return CLASS_ID.get(student, student)

    def autograded(self, student: str):
        return self.graded.autograded(STUDENTS[student][0], self.id(student))

    def size(self, student: str) -> int:
        return self.graded.autograded_path(STUDENTS[student][0], self.id(student)).stat().st_size

    def scores(self, student: str) -> dict[str, float]:
        return self.graded.scores(STUDENTS[student][0], self.id(student))


@pytest.fixture(scope="module")
def batch(graded_class) -> Batch:
    out = Batch(graded_class)
    for student, (name, _) in STUDENTS.items():
        proc, seconds = graded_class.batch(name, out.id(student))
        assert proc.returncode == 0, f"autograde {name}: {seconds:.0f} s\n{proc.stdout}{proc.stderr}"
    return out


def full_marks(assignment: str) -> dict[str, float]:
    return h.autograded_points(h.read(h.source_notebook_path(assignment)))


def cell_text(nb, cell_id: str) -> str:
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_every_submission_scores_full_marks(batch, student):
    """Floods and probes sit in ungraded cells of otherwise correct work: they cost nothing."""
    assert batch.scores(student) == full_marks(STUDENTS[student][0])


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
@pytest.mark.parametrize("student, said", [
    ("report_flood", "reports passed 8000000 bytes"),
    ("comm_flood", "more than 2000000 bytes of output"),
    ("display_flood", "more than 2000000 bytes of output"),
])
def test_a_flood_is_cut_off_in_its_own_cell(batch, student, said):
    nb = batch.autograded(student)
    text = cell_text(nb, "inserted-1")
    assert text.count("[output truncated: ") == 1 and said in text
    assert batch.size(student) < 4 * MIB  # 24 x 16 MiB were sent


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
def test_one_message_too_large_is_refused_unread(batch):
    """100 MiB in one message: refused unread by the relay's socket (ZeroMQ MAXMSGSIZE).

    The relay then ends (gmm_grader.relay), so the kernel is replaced at once with a clear
    error in that cell (not after the cell's time limit); the cells after it run in the new
    kernel (full marks above).
    """
    nb = batch.autograded("display_flood")
    text = cell_text(nb, "inserted-2")
    assert "before" in text and "after" not in text
    assert h.error_details(nb)["inserted-2"] == (
        "OutputLimitError",
        "this cell sent one message of more than 40000000 bytes; it was not read and the kernel "
        "was replaced",
    )
    assert "h" * 1000 not in nbformat.writes(nb)


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
@pytest.mark.parametrize("cell", ["inserted-1", "inserted-2"])
def test_one_message_of_many_parts_is_refused_by_the_relay(batch, cell):
    """48 MiB and 384 MiB in one message of 16 MiB parts: the relay passes none of it.

    Each part is under ZeroMQ's MAXMSGSIZE, so the grader's own socket would have taken
    the whole message; the relay (gmm_grader.relay) refuses it, the kernel is replaced at
    once with a clear error in that cell, and the cells after it run in a new kernel
    (full marks above). bench/bench_flood.py measures the grader's memory meanwhile.
    """
    nb = batch.autograded("multipart_flood")
    text = cell_text(nb, cell)
    assert "before" in text and "after" not in text
    assert h.error_details(nb)[cell] == (
        "OutputLimitError",
        "this cell sent one message of more than 40000000 bytes; it was not read and the kernel "
        "was replaced",
    )
    assert batch.size("multipart_flood") < MIB


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
def test_honest_notebooks_are_not_cut(batch):
    for student in ("honest", "honest_basics"):
        assert "[output truncated" not in nbformat.writes(batch.autograded(student))


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
def test_no_reference_in_reach_and_dev_is_bounded(batch):
    text = cell_text(batch.autograded("reach"), "inserted-1")
    facts = json.loads(text.split("FACTS ", 1)[1])
    assert facts["apt_pkg"] == "ModuleNotFoundError"
    assert facts["dbus"] == "ModuleNotFoundError"
    assert facts["dist_packages"] == []
    assert facts["dev"] in ("PermissionError", "OSError")  # EACCES (another uid) or EROFS
    assert "ro" in facts["dev_options"]
    assert facts["shm_mib"] == 64 and facts["shm_errno"] == errno.ENOSPC
    assert facts["etc_mode"] == "0o755" and facts["fonts_readable"] is True


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
def test_no_fontconfig_error_in_any_graded_notebook(batch):
    assert "drawn" in cell_text(batch.autograded("reach"), "inserted-2")
    for student in STUDENTS:
        assert "Fontconfig" not in nbformat.writes(batch.autograded(student)), student


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(3600)  # one batch of seven gradings, on a shared machine
def test_one_log_line_says_which_limits_are_in_force(batch):
    for name, log in batch.logs.items():
        lines = [line for line in log.splitlines() if "grading sandbox limits:" in line]
        assert len(lines) == 1, (name, lines)
        if os.geteuid() == 0 and Path("/sys/fs/cgroup/memory").is_dir():
            assert "memory 3 GiB via cgroup v1; pids 256 via cgroup v1" in lines[0]


def test_the_janitor_looks_where_sandbox_cgroups_are_made_on_v1_and_v2(tmp_path):
    """classgrade's janitor (sandbox.remove_leftovers) searches sandbox.cgroup_bases()."""
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    for controller in ("memory", "pids"):
        (v1 / controller / "grading").mkdir(parents=True)
    proc1 = tmp_path / "proc1"
    proc1.write_text("7:memory:/grading\n5:pids:/grading\n0::/\n")
    assert sandbox.cgroup_bases(v1, proc1) == [v1 / "memory" / "grading", v1 / "pids" / "grading"]
    (v2 / "user.slice" / "grader" / sandbox.GRADER_LEAF).mkdir(parents=True)
    (v2 / "cgroup.controllers").write_text("memory pids\n")
    proc2 = tmp_path / "proc2"
    proc2.write_text("0::/user.slice/grader\n")
    assert sandbox.cgroup_bases(v2, proc2) == [v2 / "user.slice" / "grader"]
    proc2.write_text(f"0::/user.slice/grader/{sandbox.GRADER_LEAF}\n")  # moved into its leaf
    assert sandbox.cgroup_bases(v2, proc2) == [v2 / "user.slice" / "grader"]
    assert sandbox.cgroup_bases(v2, tmp_path / "missing") == []
