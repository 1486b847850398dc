"""The course on a real JupyterHub: one Unix account per person, nbgrader's stock exchange.

As root, the test creates one instructor and three students as real Unix users
(``useradd``; removed at the end), installs what ``python3 run.py hub`` installs
(``deploy/hub/hub.py``: configurable-http-proxy from npm, the users' environment), and
starts ``deploy/hub/hub.py`` on 127.0.0.1 with ``deploy/hub/jupyterhub_config.py`` (plus a
test service that may start servers and make tokens) and a course id that is not the
default (a second section, configured without editing a file). The local-process spawner
starts each person's JupyterLab as that person. Then, only through the hub's REST API and
the single-user servers' HTTP APIs, each with the person's own token:

* the instructor's formgrader generates and releases ``gmm_basics``;
* each student fetches it (nbgrader's Assignments API), edits the answers (contents API)
  and submits: one all right, one with a wrong answer, one with an answer that is right
  only if the grading kernel cannot see the instructor's course folder (the sandbox);
* the instructor collects, autogrades each student (sandboxed), generates and releases
  feedback; the scores are exact; ``nbgrader`` typed in the instructor's own JupyterLab
  terminal finds the course;
* each student fetches feedback and gets their own only.

Before that, a student logs in through the hub's form with a Unix password (PAM, the
deployment's authenticator) and a wrong one is refused; a student's server has no
formgrader and its Lab page hides the instructor tools. Isolation is checked as the
students' own uids (``runuser``): a student cannot list the exchange's inbound or feedback
folders, nor read another's home or nbgrader cache (which holds the secret that names a
feedback file), nor another's submission or feedback file even by its exact path
(``grader/gmm_grader/exchange.py``); and one student's token cannot reach another's server.
Quick tests check ``run.py hub`` itself, and that the users' environment has the lesson's
pinned versions.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psutil
import pytest
from lab_server import end_process_group, free_port

ROOT = Path(__file__).resolve().parents[1]
HUB_DIR = ROOT / "deploy" / "hub"
ASSIGNMENT = "gmm_basics"
COURSE_ID = "gmm-section-b"  # not the default: a second section needs only the variable
SUFFIX = secrets.token_hex(2)
INSTRUCTOR = f"gmm{SUFFIX}prof"
STUDENTS = {"ann": f"gmm{SUFFIX}ann", "ben": f"gmm{SUFFIX}ben", "cat": f"gmm{SUFFIX}cat"}

ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="creates Unix users and starts a hub: root only"
)


def _hub_module():
    spec = importlib.util.spec_from_file_location("gmm_hub", HUB_DIR / "hub.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def http(method: str, url: str, token: str, body: dict | None = None, timeout: float = 600):
    """(status, parsed JSON or text) of one request with ``Authorization: token``."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


def quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/")


def ok(result, what: str):
    status, body = result
    assert 200 <= status < 300, f"{what}: HTTP {status}: {str(body)[:3000]}"
    return body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def pam_login(url: str, user: str, password: str) -> tuple[int, set[str]]:
    """Log in through the hub's own form, as a browser does: (status, cookies set)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    with opener.open(f"{url}/hub/login", timeout=60) as resp:
        page = resp.read().decode()
    xsrf = re.search(r'name="_xsrf"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": user, "password": password, "_xsrf": xsrf}).encode()
    try:
        with opener.open(f"{url}/hub/login", data=form, timeout=120) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
    return status, {cookie.name for cookie in jar}


def as_user(user: str, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True, text=True, timeout=60)


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def hub_install():
    """What ``python3 run.py hub`` installs (skipped when already there)."""
    hub = _hub_module()
    hub.install()
    return hub


@pytest.fixture(scope="module")
def unix_users():
    """One Unix account per person, homes 0700; removed with everything they ran."""
    names = [INSTRUCTOR, *STUDENTS.values()]
    made = []
    try:
        for name in names:
            subprocess.run(["useradd", "-m", "-K", "HOME_MODE=0700", "-s", "/bin/bash", name], check=True)
            made.append(name)
        yield names
    finally:
        uids = set()
        for name in made:
            try:
                uids.add(pwd.getpwnam(name).pw_uid)
            except KeyError:
                pass
        for proc in psutil.process_iter(["uids"]):  # only processes of the users made here
            if proc.info["uids"] and proc.info["uids"].real in uids:
                try:
                    proc.send_signal(signal.SIGKILL)
                except psutil.Error:
                    pass
        for name in made:
            subprocess.run(["userdel", "-r", "-f", name], capture_output=True)
            shutil.rmtree(f"/home/{name}", ignore_errors=True)


@pytest.fixture(scope="module")
def hub(hub_install, unix_users):
    """The hub on 127.0.0.1 with the deployment's config; stopped (and its servers) at the end."""
    state = Path(tempfile.mkdtemp(prefix="gmm-hub-state-"))
    shared = Path(tempfile.mkdtemp(prefix="gmm-hub-exchange-"))
    shared.chmod(0o755)  # every user must reach the exchange below it
    exchange = shared / "exchange"
    port, token = free_port(), secrets.token_hex(32)
    config = state / "test_config.py"
    config.write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(HUB_DIR / 'jupyterhub_config.py')!r})  # noqa: F821\n"
        f"c.JupyterHub.services = [{{'name': 'course-test', 'api_token': {token!r}}}]\n"
        "c.JupyterHub.load_roles = [{'name': 'course-test', 'services': ['course-test'],\n"
        "    'scopes': ['admin:users', 'admin:servers', 'tokens', 'read:users']}]\n"
    )
    env = {
        **os.environ,
        "GMM_LESSON_INSTRUCTORS": INSTRUCTOR,
        "GMM_LESSON_STUDENTS": ",".join(STUDENTS.values()),
        "GMM_LESSON_COURSE_ID": COURSE_ID,
        "GMM_LESSON_EXCHANGE": str(exchange),
        "GMM_LESSON_HUB_STATE": str(state),
        "GMM_LESSON_HUB_PORT": str(port),
        "GMM_LESSON_HUB_API_PORT": str(free_port()),
        "GMM_LESSON_PROXY_API_PORT": str(free_port()),
    }
    log = open(state / "hub.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, str(HUB_DIR / "hub.py"), "-f", str(config)],
        cwd=state,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    info = {"url": url, "token": token, "exchange": exchange, "state": state, "proc": proc}
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, "the hub exited:\n" + (state / "hub.log").read_text()[-5000:]
            try:
                if http("GET", f"{url}/hub/api/", token, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "hub not ready:\n" + (state / "hub.log").read_text()[-5000:]
            time.sleep(0.5)
        info["ready_after"] = time.monotonic() - (deadline - 300)
        yield info
    finally:
        try:
            for name in unix_users:
                http("DELETE", f"{url}/hub/api/users/{name}/server", token, timeout=60)
        except OSError:
            pass
        end_process_group(proc, timeout=60)  # the hub stops the proxy and the servers it runs
        log.close()
        print((state / "hub.log").read_text(errors="replace")[-3000:])
        shutil.rmtree(state, ignore_errors=True)
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(shared)], check=False)


@pytest.fixture(scope="module")
def servers(hub, unix_users):
    """Every person's server, started through the REST API; {name: (server URL, their token)}."""
    api, token = f"{hub['url']}/hub/api", hub["token"]
    tokens, started = {}, time.monotonic()
    for name in unix_users:
        ok(http("POST", f"{api}/users/{name}/server", token), f"start {name}'s server")
        body = ok(
            http("POST", f"{api}/users/{name}/tokens", token, {"note": "test", "expires_in": 3600}), "token"
        )
        tokens[name] = body["token"]
    deadline = started + 600
    pending = set(unix_users)
    while pending:
        for name in sorted(pending):
            model = ok(http("GET", f"{api}/users/{name}", token), "user model")
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                pending.discard(name)
        assert time.monotonic() < deadline, (
            f"servers not ready: {pending}\n" + (hub["state"] / "hub.log").read_text()[-5000:]
        )
        time.sleep(1)
    print(f"{len(unix_users)} servers ready {time.monotonic() - started:.1f} s after they were asked for")
    return {name: (f"{hub['url']}/user/{name}", tokens[name]) for name in unix_users}


# ------------------------------------------------------------------------------ helpers
def formgrader(servers, action: str, path: str):
    url, token = servers[INSTRUCTOR]
    body = ok(http("POST", f"{url}/formgrader/api/{path}", token), f"formgrader {action}")
    assert body.get("success"), f"formgrader {action} failed: {json.dumps(body)[:4000]}"
    return body


def student_action(servers, student: str, action: str):
    url, token = servers[student]
    body = ok(
        http(
            "POST",
            f"{url}/assignments/{action}",
            token,
            {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT},
        ),
        f"{student} {action}",
    )
    if isinstance(body, dict):  # a failure comes back as {"success": false, "value": traceback}
        assert body.get("success", True), f"{student} {action} failed: {body}"
    return body


def run_in_terminal(servers, name: str, command: str, timeout: float = 300) -> str:
    """What ``command`` prints in a terminal of ``name``'s JupyterLab (terminado websocket)."""
    import websocket

    url, token = servers[name]
    terminal = ok(http("POST", f"{url}/api/terminals", token), "open a terminal")["name"]
    marker = secrets.token_hex(4)
    ws_url = f"ws{url[4:]}/terminals/websocket/{terminal}"
    ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=timeout)
    try:
        # the shell echoes END-""<marker> as typed; only the command's echo prints END-<marker>
        ws.send(json.dumps(["stdin", f'{command}; echo END-""{marker}\r']))
        out, deadline = "", time.monotonic() + timeout
        while f"END-{marker}" not in out:
            message = json.loads(ws.recv())
            if message[0] == "stdout":
                out += message[1]
            assert time.monotonic() < deadline, out
    finally:
        ws.close()
        http("DELETE", f"{url}/api/terminals/{terminal}", token)
    return out


def lab_disabled(servers, name: str) -> set[str]:
    """The JupyterLab plugins switched off in ``name``'s Lab page (its page config)."""
    url, token = servers[name]
    page = ok(http("GET", f"{url}/lab", token), f"{name}'s lab page")
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    return set(json.loads(found.group(1))["disabledExtensions"])


def answer_cell(nb: dict, grade_id: str) -> dict:
    (cell,) = [
        c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
    ]
    return cell


def answers_for(student: str, course_folder: str) -> dict[str, str]:
    """What each student types. ann: all right; ben: q2 wrong; cat: q1 right only if the
    grading kernel cannot see the instructor's course folder, q2 and q3 left undone."""
    sign = f"# answered by {student}\n"
    if student == STUDENTS["ann"]:
        return {
            f"basics_q{i}_answer": f"{sign}answer_q{i} = {key!r}" for i, key in ((1, "A"), (2, "C"), (3, "D"))
        }
    if student == STUDENTS["ben"]:
        return {
            f"basics_q{i}_answer": f"{sign}answer_q{i} = {key!r}" for i, key in ((1, "A"), (2, "B"), (3, "D"))
        }
    return {
        "basics_q1_answer": f"{sign}import os\nanswer_q1 = 'B' if os.path.exists({course_folder!r}) else 'A'",
    }


EXPECTED = {"ann": 3.0, "ben": 2.0, "cat": 1.0}


# ------------------------------------------------------------------------------ the tests
def test_run_py_hub_refuses_to_run_unless_root(monkeypatch, capsys):
    hub = _hub_module()
    monkeypatch.setattr(hub.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(hub, "install", lambda: pytest.fail("installed as a normal user"))
    assert hub.main([]) == 2
    assert "as root" in capsys.readouterr().out


def test_hub_command_uses_the_course_config_unless_given_one():
    hub = _hub_module()
    assert hub.hub_command([])[1:] == ["-f", str(HUB_DIR / "jupyterhub_config.py")]
    assert hub.hub_command(["-f", "mine.py", "--debug"])[1:] == ["-f", "mine.py", "--debug"]
    assert hub.hub_command(["--config=mine.py"])[1:] == ["--config=mine.py"]
    assert hub.hub_command([])[0] == str(hub.USERS_VENV / "bin" / "jupyterhub")


def test_run_py_hub_runs_deploy_hub(monkeypatch):
    spec = importlib.util.spec_from_file_location("gmm_run_for_hub", ROOT / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    calls = []
    monkeypatch.setattr(run, "ensure_venv", lambda *a: pytest.fail("the hub needs no .venv"))
    monkeypatch.setattr(run.subprocess, "call", lambda cmd, **kw: calls.append([str(c) for c in cmd]) or 0)
    assert run.main(["hub", "--install-only"]) == 0
    assert calls == [[sys.executable, str(HUB_DIR / "hub.py"), "--install-only"]]


USERS_VERSIONS = """
import json, sys
from importlib import metadata
from packaging.requirements import Requirement
pins = {}
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if line:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate():
            pins[req.name.lower().replace("_", "-")] = next(iter(req.specifier)).version
installed = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in metadata.distributions()}
print(json.dumps({"pins": pins, "installed": installed, "python": sys.version_info[:3]}))
"""


@ROOT_ONLY
@pytest.mark.slow
@pytest.mark.timeout(2400)  # the first time, this installs the users' environment
def test_the_users_environment_has_the_lessons_versions(hub_install):
    """Every package of the users' environment that constraints.txt pins is at its pin,
    read by the users' own python, run as an unprivileged user (so it is readable by all)."""
    script = Path(tempfile.mkdtemp(prefix="gmm-hub-versions-"))
    try:
        (script / "check.py").write_text(USERS_VERSIONS)
        shutil.copyfile(ROOT / "constraints.txt", script / "constraints.txt")
        script.chmod(0o755)
        python = str(hub_install.users_python())
        result = as_user("nobody", python, str(script / "check.py"), str(script / "constraints.txt"))
    finally:
        shutil.rmtree(script)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    pins, installed = found["pins"], found["installed"]
    for name in ("gmm-lesson", "jupyterlab", "nbgrader", "jupyterhub", "ipykernel", "numpy", "scikit-learn"):
        assert name in installed, name
    wrong = {n: (v, pins[n]) for n, v in installed.items() if n in pins and v != pins[n]}
    assert not wrong, wrong
    if tuple(found["python"]) < (3, 11, 5):  # Debian 12's python3: the marked soupsieve pin applies
        assert installed["soupsieve"] == "2.10"


def _feedback_file(tmp_path: Path) -> Path:
    released = tmp_path / "feedback.html"
    released.write_text("<html>feedback</html>")
    released.chmod(0o644)
    return released


def test_feedback_keeps_nbgraders_mode_when_no_acl_can_be_set(tmp_path, monkeypatch, caplog):
    """A student id that is no Unix user, or no setfacl: the file stays 0644, with a warning."""
    from gmm_grader.exchange import PrivateReleaseFeedback
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    release = PrivateReleaseFeedback(coursedir=CourseDirectory(), authenticator=Authenticator())
    release.log = logging.getLogger("test_hub.feedback")
    released = _feedback_file(tmp_path)
    if shutil.which("setfacl"):
        with caplog.at_level("WARNING", logger="test_hub.feedback"):
            release._restrict(f"no-such-user-{SUFFIX}", released)
        assert released.stat().st_mode & 0o777 == 0o644
        assert "stays readable by all" in caplog.text
        caplog.clear()
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with caplog.at_level("WARNING", logger="test_hub.feedback"):
        release._restrict("root", released)
    assert released.stat().st_mode & 0o777 == 0o644
    assert "no setfacl" in caplog.text


@ROOT_ONLY
@pytest.mark.nbgrader
@pytest.mark.timeout(2400)
def test_a_class_on_the_hub(hub, servers):
    instructor_url, instructor_token = servers[INSTRUCTOR]
    course_folder = str(Path(pwd.getpwnam(INSTRUCTOR).pw_dir) / "course")

    # the instructor's own server has the formgrader; a student's does not
    ok(http("GET", f"{instructor_url}/formgrader/api/status", instructor_token), "formgrader status")
    ann_url, ann_token = servers[STUDENTS["ann"]]
    assert http("GET", f"{ann_url}/formgrader/api/status", ann_token)[0] == 404
    tools = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"}
    assert tools <= lab_disabled(servers, STUDENTS["ann"])
    assert not tools & lab_disabled(servers, INSTRUCTOR)
    # one student's token does not open another's server
    ben_url, _ = servers[STUDENTS["ben"]]
    assert http("GET", f"{ben_url}/api/contents", ann_token)[0] == 403
    # log-in is the deployment's PAM: a Unix password lets its user in, a wrong one does not
    ann = STUDENTS["ann"]
    subprocess.run(["chpasswd"], input=f"{ann}:Pw-{SUFFIX}-ann\n", text=True, check=True)
    status, cookies = pam_login(hub["url"], ann, f"Pw-{SUFFIX}-ann")
    assert status == 302 and "jupyterhub-hub-login" in cookies, (status, cookies)
    status, cookies = pam_login(hub["url"], ann, "not-the-password")
    assert status == 403 and "jupyterhub-hub-login" not in cookies, (status, cookies)
    # the course folder was copied for the instructor, owned by the instructor
    assert Path(course_folder, "nbgrader_config.py").stat().st_uid == pwd.getpwnam(INSTRUCTOR).pw_uid

    formgrader(servers, "generate", f"assignment/{ASSIGNMENT}/assign")
    formgrader(servers, "release", f"assignment/{ASSIGNMENT}/release")
    course_exchange = hub["exchange"] / COURSE_ID
    assert (course_exchange / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()

    for student in STUDENTS.values():
        url, token = servers[student]
        student_action(servers, student, "fetch")
        path = f"{url}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        model = ok(http("GET", path, token), "read the fetched notebook")
        nb = model["content"]
        for grade_id, code in answers_for(student, course_folder).items():
            answer_cell(nb, grade_id)["source"] = code
        ok(http("PUT", path, token, {"type": "notebook", "format": "json", "content": nb}), "save")
        listing = student_action(servers, student, "submit")
        assert any(a["status"] == "submitted" for a in listing["value"]), listing

    # nbgrader filed each submission under its student (the OS user of the server)
    inbound = course_exchange / "inbound"
    filed = sorted(p.name.split("+")[0] for p in inbound.iterdir())
    assert filed == sorted(STUDENTS.values())
    for entry in inbound.iterdir():
        assert entry.stat().st_uid == pwd.getpwnam(entry.name.split("+")[0]).pw_uid

    formgrader(servers, "collect", f"assignment/{ASSIGNMENT}/collect")
    started = time.monotonic()
    for student in STUDENTS.values():
        formgrader(servers, f"autograde {student}", f"submission/{ASSIGNMENT}/{student}/autograde")
    print(
        f"autograde (sandboxed, as the instructor): {(time.monotonic() - started) / 3:.1f} s per submission"
    )
    scores = {
        s["student"]: s["score"]
        for s in ok(
            http("GET", f"{instructor_url}/formgrader/api/submissions/{ASSIGNMENT}", instructor_token),
            "scores",
        )
    }
    assert scores == {STUDENTS[k]: v for k, v in EXPECTED.items()}
    # nbgrader in the instructor's own terminal, from the home folder, finds the course too
    listed = run_in_terminal(servers, INSTRUCTOR, "cd ~ && nbgrader db student list")
    assert all(student in listed for student in STUDENTS.values()), listed
    formgrader(servers, "generate feedback", f"assignment/{ASSIGNMENT}/generate_feedback")
    formgrader(servers, "release feedback", f"assignment/{ASSIGNMENT}/release_feedback")

    for key, student in STUDENTS.items():
        url, token = servers[student]
        student_action(servers, student, "fetch_feedback")
        folder = ok(http("GET", f"{url}/api/contents/{ASSIGNMENT}/feedback", token), "feedback folder")
        (stamp,) = folder["content"]  # one submission, one feedback folder
        files = ok(http("GET", f"{url}/api/contents/{quote(stamp['path'])}", token), "feedback files")[
            "content"
        ]
        assert [f["name"] for f in files] == [f"{ASSIGNMENT}.html"]
        html = ok(
            http("GET", f"{url}/api/contents/{quote(files[0]['path'])}?format=text&type=file", token), "html"
        )["content"]
        assert f"(Score: {EXPECTED[key]} / 3.0)" in html
        assert f"answered by {student}" in html
        assert not any(f"answered by {other}" in html for other in STUDENTS.values() if other != student)

    # as another student's uid: nothing of ann's is in reach
    ben = STUDENTS["ben"]
    for folder in (inbound, course_exchange / "feedback"):
        listing = as_user(ben, "ls", str(folder))
        assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing
    ann_home = pwd.getpwnam(ann).pw_dir
    cache = as_user(ben, "ls", f"{ann_home}/.local/share/jupyter/nbgrader_cache")
    assert cache.returncode != 0 and "Permission denied" in cache.stderr, cache
    notebook = as_user(ben, "cat", f"{ann_home}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    assert notebook.returncode != 0 and "Permission denied" in notebook.stderr, notebook
    # ...nor her submission or her feedback in the exchange, even knowing their names
    (submitted,) = [p for p in inbound.iterdir() if p.name.startswith(f"{ann}+")]
    (feedback,) = [
        p for p in (course_exchange / "feedback").iterdir() if f"answered by {ann}" in p.read_text()
    ]
    for path in (submitted / f"{ASSIGNMENT}.ipynb", feedback):
        stolen = as_user(ben, "cat", str(path))
        assert stolen.returncode != 0 and "Permission denied" in stolen.stderr, (path, stolen)
        assert as_user(ann, "cat", str(path)).returncode == 0  # while ann reads her own
    assert as_user(ann, "ls", f"{ann_home}/.local/share/jupyter/nbgrader_cache").returncode == 0
    print(f"hub ready after {hub['ready_after']:.1f} s")
