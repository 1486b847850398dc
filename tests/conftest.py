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
