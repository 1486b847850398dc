"""Start a real, isolated JupyterLab server for the browser tests, and stop it for sure.

The server is the virtualenv's own ``jupyter lab`` (so its kernel is the venv's python,
which can import ``gmm_lesson``), listening on 127.0.0.1 on a free port with a random
token. Everything it could write lives under one temporary directory:

* ``root/``        the notebook root (tests copy or write notebooks here, never lesson files)
* ``settings/``    JupyterLab user settings: autosave off, no news or update checks
* ``workspaces/``  JupyterLab workspaces, so no earlier layout reopens another notebook
* ``config/``, ``runtime/``, ``ipython/``  Jupyter config, connection files, IPython profile

Only the *user* Jupyter directories are redirected: JupyterLab still finds the
extensions installed in the venv (``sys.prefix/share/jupyter/labextensions``, e.g.
the ipywidgets manager) and the server extensions enabled under
``sys.prefix/etc/jupyter``, because those are on Jupyter's environment path.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

#: JupyterLab user settings written for every test server. Autosave off keeps the
#: test's outputs out of any file; news/update checks would reach for the internet.
USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def end_process_group(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM the process's whole group, then SIGKILL if it has not ended in ``timeout`` s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            continue


def venv_jupyter() -> Path:
    """The ``jupyter`` script beside the running python (the project's venv)."""
    bindir = Path(sys.executable).parent
    for name in ("jupyter", "jupyter.exe"):
        if (bindir / name).exists():
            return bindir / name
    raise FileNotFoundError(f"no jupyter script beside {sys.executable}; install the project first")


class LabServer:
    """A JupyterLab server in its own process group under ``base_dir``.

    Use as a context manager, or call :meth:`start` and :meth:`stop` (``stop`` is
    safe to call twice and always ends the process group).
    """

    def __init__(self, base_dir: Path, startup_timeout: float = 180.0) -> None:
        self.base_dir = Path(base_dir)
        self.root_dir = self.base_dir / "root"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base_dir / "jupyter-lab.log"
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self._log = None

    # -- set-up -----------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_RUNTIME_DIR": "runtime",
            "JUPYTERLAB_SETTINGS_DIR": "settings",
            "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
            "IPYTHONDIR": "ipython",
        }
        env = dict(os.environ)
        for var, sub in dirs.items():
            path = self.base_dir / sub
            path.mkdir(parents=True, exist_ok=True)
            env[var] = str(path)
        # A JUPYTER_PATH or JUPYTER_DATA_DIR set by the caller could hide the venv's
        # extensions or add stray ones; the venv's own data path is all we want.
        env.pop("JUPYTER_PATH", None)
        env.pop("JUPYTER_DATA_DIR", None)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _write_settings(self) -> None:
        for rel, value in USER_SETTINGS.items():
            path = self.base_dir / "settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value, indent=2), encoding="utf-8")

    def command(self) -> list[str]:
        return [
            str(venv_jupyter()),
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> LabServer:
        self.root_dir.mkdir(parents=True, exist_ok=True)
        env = self._environment()
        self._write_settings()
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() can end all of it
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.proc.returncode} before it was ready:\n"
                    + self.log_tail()
                )
            try:
                status = self.api("GET", "/api/status", timeout=5)
                if "started" in status:
                    # The lab page itself must be served too (extensions loaded).
                    self.request("GET", "/lab", timeout=30)
                    return
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"jupyter lab not ready after {self.startup_timeout:.0f} s:\n" + self.log_tail())

    def stop(self) -> None:
        """Shut kernels and server down politely, then end the whole process group."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                # Kernels run in their own sessions (jupyter_client starts them so), so
                # killing the server's group would orphan them: ask the server first.
                for kernel in self.api("GET", "/api/kernels", timeout=10):
                    self.request("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
                self.request("POST", "/api/shutdown", timeout=10)
                proc.wait(timeout=30)
            except (OSError, urllib.error.URLError, ValueError, subprocess.TimeoutExpired):
                pass
            end_process_group(proc, timeout=15)
        if proc is not None:
            # Reap any stragglers left in the group once the leader has gone.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- HTTP -------------------------------------------------------------------------

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> bytes:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        raw = self.request(method, path, body, timeout)
        return json.loads(raw) if raw else None

    def lab_url(self, notebook: str) -> str:
        """The URL that opens ``notebook`` (relative to the root) alone in a fresh layout."""
        return f"{self.url}/lab/tree/{notebook}?reset&token={self.token}"

    def log_tail(self, n_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-n_chars:]
        except OSError:
            return "(no server log)"
