"""``gmm_grader.autograde_many``: the one nbgrader process that grades a slice of students.

Grading through it is tested end to end in tests/test_classgrade.py; these are the
checks it makes before nbgrader starts.
"""

from __future__ import annotations

import os

import pytest
from gmm_grader import autograde_many

pytestmark = pytest.mark.fast


def test_the_token_leaves_the_environment_before_any_kernel_can_inherit_it(monkeypatch):
    monkeypatch.setenv(autograde_many.TOKEN_ENV, "s3cret")
    with pytest.raises(ValueError, match="student"):
        autograde_many.main(["em_step_by_step", "alice", "[b]ob"])  # refused before nbgrader starts
    assert autograde_many.TOKEN_ENV not in os.environ


def test_without_a_token_or_students_it_refuses(monkeypatch, capsys):
    monkeypatch.delenv(autograde_many.TOKEN_ENV, raising=False)
    assert autograde_many.main(["em_step_by_step", "alice"]) == 2
    assert autograde_many.TOKEN_ENV in capsys.readouterr().err
    monkeypatch.setenv(autograde_many.TOKEN_ENV, "s3cret")
    assert autograde_many.main(["em_step_by_step"]) == 2
    assert "usage" in capsys.readouterr().err
