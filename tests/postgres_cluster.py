"""A throwaway PostgreSQL server for the gradebook tests: Debian's ``postgresql``, a cluster
made by ``initdb`` in a temporary directory, listening on 127.0.0.1 on a free port.

``initdb`` and ``postgres`` refuse to run as root, so as root the cluster belongs to the
``postgres`` user that Debian's package creates (``nobody`` if it is missing) and every
server command runs as that user (``subprocess``'s ``user=``/``group=``); as a normal user
it is simply yours. Connections use ``trust`` authentication on 127.0.0.1 only (no
password anywhere), and the Unix socket lives inside the cluster's own folder.

Use the ``postgres_cluster`` fixture (tests/conftest.py, session scope) and ask it for a
fresh database per test module::

    url = postgres_cluster.create_database("gradebook_e2e")   # postgresql://...

``stop()`` ends the server and removes the folder (the fixture calls it at the end).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from lab_server import free_port

SUPERUSER = "gradebook"


def postgres_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb`` (Debian's layout)."""
    candidates = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(
        "running as root, but there is neither a 'postgres' nor a 'nobody' user to run PostgreSQL"
    )


class PostgresCluster:
    """One PostgreSQL server in a temporary directory; :meth:`stop` removes every trace."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.account = _server_account()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.folder = Path(tempfile.mkdtemp(prefix="gmm-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.started = False
        if self.account is not None:
            # mkdtemp makes the folder 0700 and ours: hand it to the server's account
            os.chown(self.folder, self.account.pw_uid, self.account.pw_gid)

    def _run(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run a server program as the cluster's account; fail with its output."""
        as_user = {}
        if self.account is not None:
            as_user = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        proc = subprocess.run(
            args, cwd=self.folder, env=env, capture_output=True, text=True, timeout=120, **as_user, **kwargs
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(map(str, args))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}\n"
                + (self.log.read_text(errors="replace") if self.log.exists() else "")
            )
        return proc

    def start(self) -> PostgresCluster:
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ]
        )
        options = (
            f"-c listen_addresses={self.host} -p {self.port} -c unix_socket_directories={self.folder} "
            "-c fsync=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "start",
            ]
        )
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        """The plain SQLAlchemy URL of ``database`` (SQLAlchemy 2.1 connects it with psycopg 3)."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with Debian's ``psql`` client; return its unaligned, tuples-only output."""
        proc = self._run(
            [
                str(self.bindir / "psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                SUPERUSER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ]
        )
        return proc.stdout

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` (letters, digits, _) and return its URL."""
        if not name.replace("_", "").isalnum() or not name[0].isalpha():
            raise ValueError(f"database name must be letters, digits and _, starting with a letter: {name!r}")
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown, then immediate) and remove its folder."""
        if self.started:
            for mode in ("fast", "immediate"):
                try:
                    self._run(
                        [
                            str(self.bindir / "pg_ctl"),
                            "-D",
                            str(self.data),
                            "-m",
                            mode,
                            "-w",
                            "-t",
                            "30",
                            "stop",
                        ]
                    )
                    break
                except RuntimeError:
                    continue
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)
