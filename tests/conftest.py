"""Shared pytest set-up: every browser and nbgrader test also counts as slow.

``python3 run.py test -m "not slow"`` is the quick developer loop; the full command
(and ``.ci/run``) still runs everything.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("nbgrader"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL server for the whole session (tests/postgres_cluster.py).

    Debian's ``postgresql`` must be installed (``python3 run.py test`` installs it as root);
    a missing server fails the tests that need it rather than skipping them.
    """
    from postgres_cluster import PostgresCluster, postgres_bindir

    bindir = postgres_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL is missing: apt-get install postgresql (python3 run.py test does it as root)")
    cluster = PostgresCluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
