"""The README's first promise: `python3 run.py lab` sets up and opens the lesson."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow  # each test makes student versions with nbgrader

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "course" / "source").iterdir() if p.is_dir())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_py_lab_serves_student_versions_of_every_assignment(tmp_path):
    exercises = tmp_path / "exercises"
    port, token = _free_port(), "gmm-lesson-test-token"
    env = {**os.environ, "GMM_LESSON_EXERCISES": str(exercises), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "run.py"),
            "lab",
            "--no-browser",
            # no --allow-root: as root (as here, in CI and in containers) run.py adds it
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        contents = None
        deadline = time.monotonic() + 600  # making five student versions first: minutes on a busy machine
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={token}"
                with urllib.request.urlopen(url, timeout=5) as reply:
                    contents = json.load(reply)
                break
            except OSError:
                time.sleep(1)
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
        assert contents is not None, "JupyterLab did not answer within 600 s"
        # the server's root is the exercises folder: one folder per assignment, and where to start
        names = sorted(item["name"] for item in contents["content"])
        assert names == sorted([*ASSIGNMENTS, "START-HERE.ipynb"])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=30) as reply:
            assert reply.status == 200
            page = reply.read().decode()
        assert "JupyterLab" in page
        # the learner's Lab: nbgrader's instructor tools are switched off (menus and server side)
        data = re.search(r"<script id=\"jupyter-config-data\" type=\"application/json\">(.*?)</script>", page,
                         re.S)
        config = json.loads(data.group(1))
        for plugin in ("formgrader", "create-assignment", "course-list"):
            assert f"@jupyter/nbgrader:{plugin}" in config["disabledExtensions"], plugin
        for path in ("formgrader", "formgrader/api/assignments"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}?token={token}", timeout=30)
            assert refused.value.code == 404, path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for name in ASSIGNMENTS:
        student = nbformat.read(exercises / name / f"{name}.ipynb", as_version=4)
        text = "\n".join(cell.source for cell in student.cells)
        # student versions: solutions stripped, hidden tests (and their keys) gone
        assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
        assert "expected =" not in text


def test_run_py_lab_never_overwrites_a_learners_work(tmp_path):
    exercises = tmp_path / "exercises"
    env = {**os.environ, "GMM_LESSON_EXERCISES": str(exercises)}
    code = "import run; run.make_exercises()"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    notebook = exercises / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb"
    notebook.write_text(notebook.read_text().replace("NotImplementedError", "MyAnswer", 1))
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    assert "MyAnswer" in notebook.read_text()


def _run_module():
    spec = importlib.util.spec_from_file_location("gmm_run", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("euid", [0, 1000])
def test_run_py_lab_passes_allow_root_only_as_root(monkeypatch, euid):
    run = _run_module()
    monkeypatch.setattr(run.os, "geteuid", lambda: euid)
    command = run.lab_command(["--no-browser"])
    assert command[:2] == [str(run.BIN / "jupyter"), "lab"]
    assert command[-2:] == ["--no-browser", "START-HERE.ipynb"]
    # a file of the user's own is opened instead of START-HERE
    assert run.lab_command(["gmm_basics/gmm_basics.ipynb"])[-1] == "gmm_basics/gmm_basics.ipynb"
    assert command.count("--allow-root") == (1 if euid == 0 else 0)
    # given by the user too: passed once
    assert run.lab_command(["--allow-root"]).count("--allow-root") == 1


def test_run_py_without_a_known_command_prints_its_usage():
    result = subprocess.run([sys.executable, str(ROOT / "run.py")], capture_output=True, text=True)
    assert result.returncode == 2
    for command in ("lab", "test", "explorer", "lite", "exercises"):
        assert f"python3 run.py {command}" in result.stdout


def test_an_unsupported_python_gets_one_clear_line_and_no_traceback(tmp_path):
    run = _run_module()
    assert run.python_too_old((3, 11, 2)) is None and run.python_too_old((3, 13, 0)) is None
    import tomllib

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=" + ".".join(map(str, run.PYTHON_NEEDED))
    message = run.python_too_old((3, 10, 12))
    assert "needs Python 3.11 or newer; this is Python 3.10.12" in message and "\n" not in message
    # run.py itself parses on Python 3.10, so that line is what an older Python prints
    import ast

    ast.parse((ROOT / "run.py").read_text(), feature_version=(3, 10))
    # and main() stops with it before installing anything
    probe = tmp_path / "old.py"
    probe.write_text(
        "import sys, runpy\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "module = runpy.run_path(" + repr(str(ROOT / "run.py")) + ", run_name='not_main')\n"
        "module['main'].__globals__['python_too_old'] = lambda: module['python_too_old']((3, 10, 12))\n"
        "sys.exit(module['main'](['lab']))\n"
    )
    result = subprocess.run([sys.executable, probe], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"[run.py] {message}"]
