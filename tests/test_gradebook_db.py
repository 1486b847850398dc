"""The gradebook's database: SQLite by default, PostgreSQL through ``GMM_LESSON_DB_URL``.

The course config turns a plain ``postgresql://`` URL into one that names psycopg 3 (the
driver the ``class`` extra installs) and keeps every other URL as written; a plain URL
then really opens an nbgrader gradebook in a throwaway PostgreSQL cluster. A grading round
trip on PostgreSQL (two students, beside the full one on SQLite) is in
tests/test_nbgrader_e2e.py.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbgrader_helpers as h
import pytest
from traitlets.config.loader import PyFileConfigLoader


def course_db_url(monkeypatch, value: str | None) -> str:
    """``CourseDirectory.db_url`` as course/nbgrader_config.py sets it for ``GMM_LESSON_DB_URL``."""
    if value is None:
        monkeypatch.delenv("GMM_LESSON_DB_URL", raising=False)
    else:
        monkeypatch.setenv("GMM_LESSON_DB_URL", value)
    return PyFileConfigLoader("nbgrader_config.py", path=str(h.COURSE)).load_config().CourseDirectory.db_url


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (None, f"sqlite:///{h.COURSE / 'gradebook.db'}"),
        ("", f"sqlite:///{h.COURSE / 'gradebook.db'}"),
        ("postgresql://grader@db:5432/gmm", "postgresql+psycopg://grader@db:5432/gmm"),
        ("postgres://grader@db/gmm", "postgresql+psycopg://grader@db/gmm"),
        ("postgresql+psycopg2://grader@db/gmm", "postgresql+psycopg2://grader@db/gmm"),
        ("sqlite:////srv/grades.db", "sqlite:////srv/grades.db"),
    ],
)
def test_course_config_db_url(monkeypatch, given, used):
    assert course_db_url(monkeypatch, given) == used


@pytest.mark.slow
def test_plain_postgresql_url_opens_a_gradebook(monkeypatch, postgres_cluster):
    from nbgrader.api import Gradebook

    plain = postgres_cluster.create_database("config_check")
    assert plain.startswith("postgresql://")
    url = course_db_url(monkeypatch, plain)
    monkeypatch.setenv("PATH", f"{h.VENV_BIN}{os.pathsep}{os.environ['PATH']}")  # nbgrader runs alembic
    with Gradebook(url, course_id=h.COURSE_ID) as gb:
        assert gb.engine.dialect.name == "postgresql" and gb.engine.dialect.driver == "psycopg"
        gb.add_student("zoe", first_name="Zoë")
    assert postgres_cluster.psql("SELECT id, first_name FROM student", "config_check").strip() == "zoe|Zoë"


@pytest.mark.slow
def test_a_cluster_leaves_nothing_behind():
    import socket

    from postgres_cluster import PostgresCluster, postgres_bindir

    cluster = PostgresCluster(postgres_bindir()).start()
    try:
        pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
        assert cluster.psql("SELECT current_user").strip() == "gradebook"
        if os.geteuid() == 0:  # PostgreSQL refuses root: the server runs as another user
            assert os.stat(f"/proc/{pid}").st_uid != 0
    finally:
        cluster.stop()
    assert not cluster.folder.exists()
    # pg_ctl stop -w returns once postmaster.pid is gone, a moment before the process ends
    assert wait_for(lambda: not alive(pid)), f"the server (pid {pid}) is still running"
    with socket.socket() as sock:
        assert sock.connect_ex((cluster.host, cluster.port)) != 0  # nothing listens any more


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def wait_for(condition, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True
