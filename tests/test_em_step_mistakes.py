"""The common mistakes of em_step_by_step, each submitted and graded by stock nbgrader.

For each mistake of issue 8 (Sigma for its inverse, no log-sum-exp, the mean for the
total, the axes of ``resp`` swapped, ``np.cov``'s N_k - 1) a submission holding the
course's solutions with that one function wrong is autograded with the course's own
configuration (sandboxed kernels, hidden checks judged outside them), in the session's
one graded class (tests/graded_class.py: these are the hostile class's ``honest_*``
submissions, graded once for both modules). The test asserts the message the learner
reads in the failing test cell, and the exact score of every test cell in the gradebook:
the mistake costs its own function's points, no more.
"""

from __future__ import annotations

import grading_attacks as attacks
import nbgrader_helpers as h
import pytest

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(1800)]

EM = attacks.EM

#: student -> (submission, {failing test cell: what its error says})
MISTAKES = {
    "honest_sigma_not_inverse": (
        attacks.SUBMISSIONS["honest_sigma_not_inverse"],
        {"test_log_gaussian": "you multiplied by Sigma where its inverse belongs"},
    ),
    "honest_no_log_sum_exp": (
        attacks.SUBMISSIONS["honest_no_log_sum_exp"],
        {"test_log_likelihood": "exp() underflowed to 0. Use the log-sum-exp trick"},
    ),
    "honest_e_step_mean": (
        attacks.SUBMISSIONS["honest_e_step_mean"],
        {
            "test_e_step": "that is the mean log-likelihood per point: return the total",
            "test_e_step_far_points": "is the mean per point: return the total",  # the hidden test's
        },
    ),
    "honest_resp_swapped": (
        attacks.SUBMISSIONS["honest_resp_swapped"],
        {
            "test_e_step": "its axes are swapped. It must be (N, K)",
            "test_e_step_far_points": "has its axes swapped",  # square: only the hidden test sees it
        },
    ),
    "honest_np_cov": (
        attacks.SUBMISSIONS["honest_np_cov"],
        {"test_m_step_covariances": "Divide by N_k, not N_k - 1"},
    ),
}


RIGHT = "honest_full"  # the course's solutions, every answer right
attacks.register(RIGHT, *MISTAKES)


@pytest.fixture(scope="module")
def graded(graded_class):
    for student in (RIGHT, *MISTAKES):  # the batches that graded them
        proc, seconds = graded_class.batch(EM, student)
        assert proc.returncode == 0, f"autograde {EM} failed after {seconds:.0f} s\n{proc.stderr}"
    return graded_class


def _scores(batch, student):
    points = h.autograded_points(h.read(h.source_notebook_path(EM)))
    return points, batch.scores(EM, student), batch.total(EM, student)


def test_the_right_answers_score_every_point(graded):
    points, cells, total = _scores(graded, RIGHT)
    assert cells == points and total == sum(points.values()) == 16


@pytest.mark.parametrize("student", sorted(MISTAKES))
def test_a_mistake_costs_its_own_points_and_is_named(graded, student):
    sub, messages = MISTAKES[student]
    points, cells, total = _scores(graded, student)
    assert set(messages) == sub.failing
    assert cells == {gid: 0.0 if gid in sub.failing else p for gid, p in points.items()}
    assert total == 16 - sum(points[gid] for gid in sub.failing)
    errors = h.error_details(graded.autograded(EM, student))
    for gid, message in messages.items():
        cell_id = h.cell_by_grade_id(graded.autograded(EM, student), gid).id
        assert cell_id in errors, (gid, errors)
        assert message in errors[cell_id][1], (gid, errors[cell_id])
