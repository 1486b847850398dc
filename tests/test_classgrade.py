"""Grading a whole class (gmm_grader.classgrade): exact scores, exactly once, a private control plane.

Two batches, each graded once, every notebook graded for one purpose:

* ``local``: ``python -m gmm_grader.classgrade`` (what ``python3 run.py grade`` runs) with
  its default in-process cluster grades a small class holding ids nbgrader would glob or
  split (``[b]ob``, ``x,alice`` beside ``bob`` and ``alice``) and a notebook that is not
  JSON. While it grades, one nbgrader process is killed, and a real other local account
  (``useradd``) tries to reach the grading's dask scheduler. Then the command is run again.
* ``remote``: a real ``dask scheduler`` and ``dask worker`` over mutual TLS, both as an
  unprivileged account, grade another small class (with a few attacks of
  tests/grading_attacks.py: reading the keys, an output flood, a fork bomb, graded in the
  unprivileged sandbox); the worker process is killed while it grades.

Every score is compared with the exact points the submission earns
(``graded_class.expected_scores``), not with a second grading.
"""

from __future__ import annotations

import collections
import io
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import graded_class as gc
import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import psutil
import pytest
from gmm_grader import classgrade, sandbox
from nbgrader.api import Gradebook

pytestmark = [pytest.mark.nbgrader, pytest.mark.slow, pytest.mark.timeout(1800)]

EM = attacks.EM
LIMITS = ["--Execute.timeout=10", "--JudgedExecute.notebook_timeout=45"]
PYTHON = str(h.VENV_BIN / "python")
#: student id -> the submission (tests/grading_attacks.py) in their folder
LOCAL = {
    "honest_full": "honest_full",
    "honest_wrong_q1": "honest_wrong_q1",
    "honest_e_step_mean": "honest_e_step_mean",
    "bob": "honest_wrong_q2",
    "alice": "honest_wrong_covariance",
    "[b]ob": "honest_full",
    "x,alice": "honest_full",
}
REFUSED = ["[b]ob", "x,alice"]
GRADED_LOCAL = sorted(set(LOCAL) - set(REFUSED))
REMOTE = {
    "honest_full": "honest_full",
    "honest_raises": "honest_raises",
    "lying_arrays": "lying_arrays",
    # the attacks that matter most where the sandbox runs unprivileged (the hub's workers):
    # the keys in the worker account's own files, an output flood, a fork bomb held by
    # RLIMIT_NPROC alone (no cgroup is delegated to the account here)
    "read_keys_from_disk": "read_keys_from_disk",
    "output_flood": "output_flood",
    "fork_bomb": "fork_bomb",
}
CORRUPT = "not_a_notebook"
#: the certificates of docs/README-instructors.md ("Several machines"), command for command
MAKE_CERTIFICATES = """
openssl req -x509 -newkey rsa:3072 -nodes -days 365 -subj /CN=gmm-grading-ca \\
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \\
    -keyout ca.key -out ca.pem
printf '%s\\n' basicConstraints=CA:FALSE keyUsage=digitalSignature,keyEncipherment \\
    extendedKeyUsage=serverAuth,clientAuth subjectKeyIdentifier=hash authorityKeyIdentifier=keyid \\
    > leaf.ext
for who in scheduler worker client; do
    openssl req -newkey rsa:3072 -nodes -subj "/CN=gmm-$who" -keyout "$who.key" -out "$who.csr"
    openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \\
        -extfile leaf.ext -out "$who.pem"
done
chmod 600 *.key
"""


def make_class(root: Path, students: dict[str, str], corrupt: bool = False) -> None:
    """The class's submissions in ``submitted/``, as ``nbgrader collect`` leaves them."""
    for student, submission in students.items():
        folder = root / "submitted" / student / EM
        folder.mkdir(parents=True)
        release = h.read(root / "release" / EM / f"{EM}.ipynb")
        nbformat.write(attacks.notebook(attacks.SUBMISSIONS[submission], release), folder / f"{EM}.ipynb")
        (folder / "timestamp.txt").write_text("2026-11-20 09:00:00.000000 UTC")
    if corrupt:
        folder = root / "submitted" / CORRUPT / EM
        folder.mkdir(parents=True)
        (folder / f"{EM}.ipynb").write_text("{this is not a notebook")
        (folder / "timestamp.txt").write_text("2026-11-20 09:00:00.000000 UTC")


def scores(root: Path, students) -> dict[str, dict[str, float | None]]:
    points = h.autograded_points(h.read(h.source_notebook_path(EM)))
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        return {s: {gid: gb.find_grade(gid, EM, EM, s).auto_score for gid in points} for s in students}


def want(students: dict[str, str], graded) -> dict[str, dict[str, float]]:
    subs = {s: attacks.SUBMISSIONS[students[s]] for s in graded}
    return {s: gc.expected_scores(sub.assignment, sub.failing) for s, sub in subs.items()}


def leftovers(pid: int, tmp: Path) -> list[str]:
    """The work folders and font cache (in the temporary folder ``tmp``) and sandbox cgroups
    the nbgrader process ``pid`` made (any run)."""
    prefixes = (sandbox.WORK_PREFIX, sandbox.MPLCACHE_PREFIX)
    found = [str(p) for prefix in prefixes for p in tmp.glob(f"{prefix}{pid}.*")]
    for base in sandbox.cgroup_bases():
        found += [str(p) for p in base.glob(f"{sandbox.CGROUP_PREFIX}{pid}.*")]
    return found


def nbgrader_processes(root: Path) -> list[psutil.Process]:
    """The nbgrader processes grading a slice in ``root`` (``python -m gmm_grader.autograde_many``)
    whose kernel is running."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmd = proc.info["cmdline"] or []
            if cmd[1:3] != ["-m", "gmm_grader.autograde_many"] or proc.cwd() != str(root):
                continue
            if any("bwrap" in " ".join(c.cmdline()) for c in proc.children(recursive=True)):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_for_grading(root: Path, tmp: Path, timeout: float = 900) -> psutil.Process:
    """An nbgrader process of ``root`` well inside a submission, with its work folder made."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in nbgrader_processes(root):
            if leftovers(proc.pid, tmp):
                time.sleep(1.0)
                return proc
        time.sleep(0.2)
    raise TimeoutError(f"no nbgrader process started grading in {root}")


@pytest.fixture(scope="module")
def other_user():
    """A real other local account (not root, not the instructor), removed afterwards."""
    name = f"gmmcl{secrets.token_hex(3)}"
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", "-f", name], capture_output=True)


PROBE = """
import json, os, sys
from distributed import Client
results = {}
for address in sys.argv[1:]:
    try:
        with Client(address, timeout=5) as client:
            results[address] = "ran as uid %d" % client.submit(os.getuid).result(timeout=10)
    except Exception as exc:
        results[address] = "refused: %s: %s" % (type(exc).__name__, str(exc)[:200])
print(json.dumps(results))
"""


def probe_as(user: str, addresses: list[str]) -> dict[str, str]:
    """As ``user``: connect a dask Client to each address and run ``os.getuid`` there."""
    proc = subprocess.run(
        ["runuser", "-u", user, "--", PYTHON, "-c", PROBE, *addresses],
        capture_output=True,
        text=True,
        timeout=300,
        cwd="/",
        env={"PATH": os.environ["PATH"], "HOME": "/tmp", "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def listening(pid: int) -> list[str]:
    """The TCP addresses the process ``pid`` listens on."""
    return [
        f"tcp://{'127.0.0.1' if c.laddr.ip in ('0.0.0.0', '::') else c.laddr.ip}:{c.laddr.port}"
        for c in psutil.Process(pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]


@pytest.fixture(scope="module")
def local(tmp_path_factory, other_user):
    tmp = tmp_path_factory.mktemp("classgrade")
    course = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp)
    h.nbgrader(["generate_assignment", EM], cwd=course, env=env)
    make_class(course, LOCAL, corrupt=True)
    # the grading's own temporary folder (short: kernels' socket paths live below it), so
    # that nothing here sees or disturbs other gradings on this machine
    private = Path(tempfile.mkdtemp(prefix="gmmcl-"))
    env = {**env, "TMPDIR": str(private)}
    # another grading's leftovers in it, owned by a live process (this one)
    foreign = Path(tempfile.mkdtemp(prefix=f"{sandbox.WORK_PREFIX}{os.getpid()}.{'f' * 12}-", dir=private))
    seen: dict = {}
    start = time.perf_counter()
    grading = subprocess.Popen(
        [PYTHON, "-m", "gmm_grader.classgrade", EM, "--course", str(course), "--workers", "2", "--", *LIMITS],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def during() -> None:
        try:
            victim = wait_for_grading(course, private)
            seen["victim_leftovers"] = leftovers(victim.pid, private)
            seen["victim"] = victim.pid
            victim.kill()
            seen["listening"] = listening(grading.pid)
            seen["threads_only"] = [  # children of the command other than nbgrader (and the one killed)
                " ".join(c.cmdline())
                for c in psutil.Process(grading.pid).children()
                if c.pid != victim.pid and c.cmdline()[1:3] != ["-m", "gmm_grader.autograde_many"]
            ]
            # every port it listens on, and dask's usual ones (scheduler, HTTP)
            ports = [*seen["listening"], "tcp://127.0.0.1:8786", "tcp://127.0.0.1:8787"]
            seen["probe"] = probe_as(other_user, ports)
            seen["still_grading"] = grading.poll() is None
        except Exception as exc:  # noqa: BLE001 -- reported by the tests
            seen["error"] = repr(exc)

    thread = threading.Thread(target=during, daemon=True)
    thread.start()
    stdout, stderr = grading.communicate(timeout=1500)
    seconds = time.perf_counter() - start
    thread.join(timeout=60)
    yield {
        "course": course,
        "env": env,
        "proc": grading,
        "stdout": stdout,
        "stderr": stderr,
        "seconds": seconds,
        "seen": seen,
        "foreign": foreign,
        "tmp": private,
    }
    shutil.rmtree(private, ignore_errors=True)


def test_local_grading_finished_with_exact_scores(local):
    stdout = local["stdout"]
    assert local["proc"].returncode == 1, stdout + local["stderr"]  # the refused ids and the corrupt one fail
    # retried alone: the corrupt notebook's student, and those of the killed process's slice
    # it had not finished (1 or 2, as the kill came during its first or second student)
    summary = re.search(r"(\d+) graded, (\d+) failed, (\d+) skipped \((\d+) retried alone\)", stdout)
    assert summary is not None, stdout
    assert summary.groups()[:3] == (str(len(GRADED_LOCAL)), "3", "0"), stdout
    assert summary.group(4) in ("2", "3"), stdout
    assert "on 2 workers" in stdout
    assert scores(local["course"], GRADED_LOCAL) == want(LOCAL, GRADED_LOCAL)
    for student in GRADED_LOCAL:
        path = local["course"] / "autograded" / student / EM / f"{EM}.ipynb"
        assert classgrade._notebook_executed(path), student


def test_ids_nbgrader_would_glob_or_split_are_refused_and_never_graded(local):
    course, stdout = local["course"], local["stdout"]
    for student in REFUSED:
        line = next(line for line in stdout.splitlines() if line.startswith(student + " "))
        assert " failed " in line and "is refused" in line and "not graded" in line, line
        assert not (course / "autograded" / student).exists()
    # each of the others graded exactly once: one "graded" progress line each
    progress = [line.split()[1] for line in stdout.splitlines() if line.startswith("graded ")]
    assert collections.Counter(progress) == dict.fromkeys(GRADED_LOCAL, 1)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        assert sorted(s.id for s in gb.students) == sorted([*GRADED_LOCAL, CORRUPT])


def test_a_killed_process_is_retried_alone_and_its_leftovers_removed(local):
    seen, stdout = local["seen"], local["stdout"]
    assert "error" not in seen, seen
    assert seen["still_grading"]
    assert any(sandbox.WORK_PREFIX in p for p in seen["victim_leftovers"])  # it had made them
    assert any(sandbox.MPLCACHE_PREFIX in p for p in seen["victim_leftovers"])  # its font cache too
    assert not leftovers(seen["victim"], local["tmp"])  # and they are gone
    assert local["foreign"].is_dir()  # another grading's are untouched
    # table rows: student, outcome, score / max, attempts, reason
    rows = {line.split()[0]: line.split() for line in stdout.splitlines()[:-1] if len(line.split()) >= 2}
    retried = [s for s in GRADED_LOCAL if rows[s][1] == "graded" and rows[s][5] == "2"]
    # the killed process's students it had not finished (its slice holds 2), each then graded alone
    assert 1 <= len(retried) <= 2, stdout
    assert all(rows[s][5] == "1" for s in GRADED_LOCAL if s not in retried)


def test_no_other_user_can_reach_the_grading_cluster(local, other_user):
    seen = local["seen"]
    assert "error" not in seen, seen
    assert seen["listening"] == []  # the default is threads of the command: no port at all
    assert seen["threads_only"] == []  # and no worker process (nothing of dask runs as root)
    assert seen["probe"] and all(r.startswith("refused") for r in seen["probe"].values()), seen["probe"]


def test_an_unreadable_notebook_fails_with_its_reason(local):
    line = next(line for line in local["stdout"].splitlines() if line.startswith(CORRUPT + " "))
    assert " failed " in line and "NotJSONError" in line, line


def test_rerun_from_the_command_line_is_a_no_op(local):
    course = local["course"]
    notebooks = {s: course / "autograded" / s / EM / f"{EM}.ipynb" for s in GRADED_LOCAL}
    before = {s: (p.stat().st_mtime_ns, p.read_bytes()) for s, p in notebooks.items()}
    scores_before = scores(course, GRADED_LOCAL)
    proc = subprocess.run(
        [PYTHON, "-m", "gmm_grader.classgrade", EM, "--course", str(course), "--workers", "1", "--", *LIMITS],
        env=local["env"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 1, proc.stderr
    assert f"0 graded, 3 failed, {len(GRADED_LOCAL)} skipped" in proc.stdout, proc.stdout + proc.stderr
    assert {s: (p.stat().st_mtime_ns, p.read_bytes()) for s, p in notebooks.items()} == before
    assert scores(course, GRADED_LOCAL) == scores_before


@pytest.fixture(scope="module")
def small_course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classgrade-args")
    root = h.copy_course(tmp / "course")
    env = h.nbgrader_env(tmp)
    h.nbgrader(["generate_assignment", EM], cwd=root, env=env)
    return root, env


@pytest.mark.parametrize(
    ("kwargs", "error", "names"),
    [
        ({"assignment": "no_such_assignment"}, ValueError, "assignment"),
        ({"assignment": ""}, ValueError, "assignment"),
        ({"workers": 0}, ValueError, "workers"),
        ({"workers": -2}, ValueError, "workers"),
        ({"workers": "2"}, TypeError, "workers"),
        ({"workers": 2.0}, TypeError, "workers"),
        ({"slice_size": 0}, ValueError, "slice_size"),
        ({"scheduler": 8786}, TypeError, "scheduler"),
        ({"scheduler": "tcp://127.0.0.1:1", "workers": 2}, ValueError, "workers"),
        ({"nbgrader_args": "--force"}, TypeError, "nbgrader_args"),
    ],
)
def test_bad_arguments_are_refused_by_name(small_course, monkeypatch, kwargs, error, names):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    kwargs = {"assignment": EM, **kwargs}
    with pytest.raises(error, match=names):
        classgrade.grade_class(kwargs.pop("assignment"), root, **kwargs)


def test_unknown_assignment_names_the_known_ones(small_course, monkeypatch):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=r"'em_stepbystep' is not in the gradebook.*known: em_step_by_step"):
        classgrade.grade_class("em_stepbystep", root)


def test_a_folder_without_course_is_refused(tmp_path):
    with pytest.raises(ValueError, match="course"):
        classgrade.grade_class(EM, tmp_path)


def test_command_line_errors_are_clear(small_course):
    root, env = small_course
    for args, message in [
        ([EM, "--workers", "0"], "workers must be at least 1"),
        (["nope"], "assignment: 'nope' is not in the gradebook"),
    ]:
        proc = subprocess.run(
            [sys.executable, "-m", "gmm_grader.classgrade", *args, "--course", str(root)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr


def test_nobody_to_grade_starts_no_cluster(small_course, monkeypatch):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    report = classgrade.grade_class(EM, root, workers=2)
    assert report.outcomes == {} and report.workers == 0 and report.ok


def test_progress_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = classgrade.Progress(4, stream)
    for student in ["a", "b"]:
        progress.step(student)
    progress.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 and "2/4 graded" in text and "#" * 15 in text
    assert text.endswith("\n")


def test_reasons_read_from_nbgrader_output():
    assert "signal 9 (SIGKILL)" in classgrade._reason("", -9)
    log = "  Traceback (most recent call last):\n  nbformat.reader.NotJSONError: not JSON\n[X | ERROR] It was"
    assert classgrade._reason(log, 1) == "nbformat.reader.NotJSONError: not JSON"
    assert classgrade._reason("[AutogradeApp | ERROR] No notebooks found\n", 1) == "No notebooks found"
    assert "exited 1" in classgrade._reason("", 1)


def test_a_root_worker_elsewhere_refuses_to_grade(small_course):
    """A task that is not in the submitting process refuses to run nbgrader as root."""
    root, _ = small_course
    with pytest.raises(PermissionError, match="unprivileged account"):
        classgrade.grade_slice(str(root), EM, ["bob"], origin=["elsewhere", 1])
    with pytest.raises(ValueError, match=r"'\[b\]ob' is refused"):
        classgrade.grade_slice(str(root), EM, ["bob", "[b]ob"], origin=["elsewhere", 1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheduler": "tcp://127.0.0.1:1"}, "plain TCP"),
        ({"scheduler": "127.0.0.1:1"}, "plain TCP"),
        ({"scheduler": "tls://127.0.0.1:1"}, "tls_ca_file"),
        (
            {
                "scheduler": "tls://127.0.0.1:1",
                "tls_ca_file": "/nonexistent",
                "tls_cert": "/x",
                "tls_key": "/y",
            },
            "tls_ca_file: /nonexistent is not a file",
        ),
        ({"scheduler": "ws://127.0.0.1:1", "insecure": True}, "neither tls:// nor tcp://"),
        ({"tls_cert": "/x"}, "only with scheduler"),
        ({"insecure": True}, "only with scheduler"),
        ({"insecure": "yes", "scheduler": "tcp://127.0.0.1:1"}, "insecure must be a bool"),
        ({"nbgrader_args": ["--CourseDirectory.student_id=*"]}, "nbgrader_args"),
    ],
)
def test_unsafe_control_planes_are_refused(small_course, monkeypatch, kwargs, message):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises((ValueError, TypeError), match=message):
        classgrade.grade_class(EM, root, **kwargs)


def test_insecure_never_sends_a_password(small_course, monkeypatch):
    root, env = small_course
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GMM_LESSON_DB_URL", "postgresql://grader:s3cret@db.example/gradebook")
    with pytest.raises(ValueError, match="GMM_LESSON_DB_URL would be sent in clear"):
        classgrade.grade_class(EM, root, scheduler="tcp://127.0.0.1:1", insecure=True)


@pytest.fixture(scope="module")
def remote(tmp_path_factory, other_user):
    """A TLS dask scheduler and worker, run as an unprivileged account; the worker is killed mid-grading."""
    from distributed import Security
    from lab_server import end_process_group, free_port

    account = f"gmmwk{secrets.token_hex(3)}"
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", account], check=True)
    user = pwd.getpwnam(account)
    tmp = Path(tempfile.mkdtemp(prefix="gmmcr-"))  # the account's, outside root's 0700 tmp; short
    processes = []
    try:
        course = h.copy_course(tmp / "course")
        env = h.nbgrader_env(tmp)
        h.nbgrader(["generate_assignment", EM], cwd=course, env=env)
        make_class(course, REMOTE)
        tls = tmp / "tls"
        tls.mkdir()
        subprocess.run(["sh", "-e", "-c", MAKE_CERTIFICATES], cwd=tls, check=True, capture_output=True)
        (tmp / "home").mkdir()
        (tmp / "t").mkdir()  # the workers' temporary folder
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(tmp)], check=True)
        tmp.chmod(0o700)
        port = free_port()
        address = f"tls://127.0.0.1:{port}"

        def files(who: str) -> list[str]:
            return [
                "--tls-ca-file",
                str(tls / "ca.pem"),
                "--tls-cert",
                str(tls / f"{who}.pem"),
                "--tls-key",
                str(tls / f"{who}.key"),
            ]

        # an unprivileged worker gets no memory cgroup on this machine (no delegated subtree), so
        # grading refuses unless told, loudly, to go on without one: the documented opt-out
        worker_env = {**env, "HOME": str(tmp / "home"), "TMPDIR": str(tmp / "t"),
                      "GMM_LESSON_ALLOW_NO_MEMORY_LIMIT": "1"}
        dask = str(h.VENV_BIN / "dask")
        common = {
            "env": worker_env,
            "cwd": tmp,
            "start_new_session": True,
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
        }
        processes.append(
            subprocess.Popen(
                [
                    "runuser",
                    "-u",
                    account,
                    "--",
                    dask,
                    "scheduler",
                    "--protocol",
                    "tls",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-dashboard",
                    *files("scheduler"),
                ],
                **common,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    "runuser",
                    "-u",
                    account,
                    "--",
                    dask,
                    "worker",
                    address,
                    "--nthreads",
                    "2",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    *files("worker"),
                ],
                **common,
            )
        )
        seen: dict = {}

        def kill_worker(_client) -> None:
            def run() -> None:
                try:
                    victim = wait_for_grading(course, tmp / "t")
                    worker = victim.parent()
                    seen["worker_user"] = worker.username()
                    seen["worker_cmdline"] = " ".join(worker.cmdline())
                    seen["victim"] = victim.pid
                    seen["victim_leftovers"] = leftovers(victim.pid, tmp / "t")
                    worker.kill()
                    victim.wait(timeout=30)  # dies with its worker (PR_SET_PDEATHSIG)
                    seen["probe"] = probe_as(other_user, [address, f"tcp://127.0.0.1:{port}"])
                except Exception as exc:  # noqa: BLE001 -- reported by the tests
                    seen["error"] = repr(exc)

            seen["thread"] = threading.Thread(target=run, daemon=True)
            seen["thread"].start()

        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            from distributed import Client

            security = Security(
                tls_ca_file=str(tls / "ca.pem"),
                tls_client_cert=str(tls / "client.pem"),
                tls_client_key=str(tls / "client.key"),
                require_encryption=True,
            )
            with Client(address, security=security, timeout=120) as client:
                client.wait_for_workers(1, timeout=120)
            start = time.perf_counter()
            report = classgrade.grade_class(
                EM,
                course,
                scheduler=address,
                tls_ca_file=tls / "ca.pem",
                tls_cert=tls / "client.pem",
                tls_key=tls / "client.key",
                nbgrader_args=LIMITS,
                stream=io.StringIO(),
                on_submit=kill_worker,
            )
            seconds = time.perf_counter() - start
        seen["thread"].join(timeout=120)
        yield {"course": course, "report": report, "seen": seen, "seconds": seconds, "tmp": tmp / "t"}
    finally:
        from lab_server import end_process_group

        for proc in reversed(processes):
            end_process_group(proc, 30)
        subprocess.run(["userdel", "-f", account], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_tls_cluster_of_an_unprivileged_account_grades_exactly(remote):
    report = remote["report"]
    assert report.students(classgrade.GRADED) == sorted(REMOTE), report.table()
    assert report.workers == 2
    assert scores(remote["course"], sorted(REMOTE)) == want(REMOTE, sorted(REMOTE))
    assert collections.Counter(report.completions) == dict.fromkeys(REMOTE, 1)


def test_a_killed_worker_costs_nobody_a_grade_and_leaves_nothing(remote):
    seen, report = remote["seen"], remote["report"]
    assert "error" not in seen, seen
    assert seen["worker_user"].startswith("gmmwk")  # not root
    assert "distributed" in seen["worker_cmdline"] or "spawn" in seen["worker_cmdline"]
    assert seen["victim_leftovers"]  # the killed grading's work folder, then
    assert any(sandbox.MPLCACHE_PREFIX in p for p in seen["victim_leftovers"])  # and its font cache
    assert not leftovers(seen["victim"], remote["tmp"])  # gone (swept by the restarted worker)
    assert report.students(classgrade.GRADED) == sorted(REMOTE)  # the killed one's students too, once each
    assert collections.Counter(report.completions) == dict.fromkeys(REMOTE, 1)


def test_the_tls_scheduler_refuses_a_client_without_a_certificate(remote):
    probe = remote["seen"]["probe"]
    assert len(probe) == 2 and all(r.startswith("refused") for r in probe.values()), probe


def test_the_janitor_removes_only_its_own(tmp_path, monkeypatch):
    """remove_leftovers: one process's folders, or one run's, never another grading's."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    made = {
        (pid, run): Path(tempfile.mkdtemp(prefix=f"{sandbox.WORK_PREFIX}{pid}.{run}-"))
        for pid, run in [(101, "abc"), (102, "abc"), (101, "def"), (7, "abc")]
    }
    for folder in made.values():  # what a sandbox leaves: read-only folders inside
        (folder / "box" / "sockets").mkdir(parents=True)
        (folder / "box").chmod(0o500)
    # a grading process's font cache (sandbox.font_cache), which its atexit removes unless killed
    caches = {p: Path(tempfile.mkdtemp(prefix=f"{sandbox.MPLCACHE_PREFIX}{p}.abc-")) for p in [101, 102]}
    other = tmp_path / "gmm-grading-fgqd5ep5"  # an older grading's name: no owner, left alone
    other.mkdir()
    assert sorted(sandbox.remove_leftovers("abc", 101)) == sorted([str(made[101, "abc"]), str(caches[101])])
    assert sorted(sandbox.remove_leftovers("abc")) == sorted(
        [str(made[102, "abc"]), str(made[7, "abc"]), str(caches[102])]
    )
    assert [p.exists() for p in made.values()] == [False, False, True, False]
    assert not any(p.exists() for p in caches.values())
    assert other.exists()
    for bad in ("", "a*", "../x", 5):
        with pytest.raises(ValueError, match="run"):
            sandbox.remove_leftovers(bad)
    with pytest.raises(ValueError, match="pid"):
        sandbox.remove_leftovers("abc", 0)
    monkeypatch.setenv(sandbox.RUN_ENV, "abc")
    assert sandbox.owner_tag() == f"{os.getpid()}.abc"
    monkeypatch.setenv(sandbox.RUN_ENV, "*,../x")
    assert sandbox.owner_tag() == f"{os.getpid()}.0"
