"""The mistake catalogue through stock nbgrader: each mistake costs its own points, by name.

tests/test_mistake_catalogue.py runs the judges in-process on fresh draws; this module
grades a few submissions holding the catalogue's mistakes with the course's own
configuration (sandboxed kernels, hidden checks judged outside them), in the session's
one graded class (tests/graded_class.py), so the suite grades no class of its own. Since
each graded function is scored on its own (stand-ins for the learner's earlier
functions), one submission can hold one mistake per function: four submissions carry
14 mistakes across every assignment with graded code or values. For each, the test
asserts the exact score of every test cell and that the message in each failing cell
names its mistake.
"""

from __future__ import annotations

import graded_class as gc
import nbformat
import nbgrader_helpers as h
import pytest
from test_mistake_catalogue import CATALOGUE

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(1800)]

EM, DEPTH, CHOOSING = "em_step_by_step", "em_in_depth", "choosing_k"

#: a catalogue mistake written as the notebook's answer cell (value answers use the notebook's names)
IN_NOTEBOOK = {
    "best_k_zero_based_argmin": (
        "best_k_answer",
        "bic = [em.fit(Z_faithful, K, seed=0).bic(Z_faithful) for K in range(1, 7)]\n"
        "best_k = int(np.argmin(bic))\n",
    ),
    "anomaly_flagged_as_a_mask": (
        "anomaly_answer",
        "threshold = np.quantile(density.score_samples(Z, model.params), 0.01)\n"
        "flagged = density.score_samples(X_new, model.params) < threshold\n",
    ),
    "heldout_scored_on_training_data": (
        "heldout_answer",
        "X_train, X_test = density.held_out_split(Z, 72, seed=0)\n"
        "held_out = {K: density.best_of_starts(X_train, K, range(5)).score(X_train) for K in range(1, 7)}\n"
        "best_k_heldout = max(held_out, key=held_out.get)\n",
    ),
}

#: student -> (assignment, {mistake: {failing test cell: a phrase of its message}})
STUDENTS = {
    "catalogue_em_a": (
        EM,
        {
            "log_gaussian_no_D": {"test_log_gaussian": "the D is missing"},
            "log_likelihood_no_log_weights": {"test_log_likelihood": "the weights are missing"},
            "e_step_wrong_axis": {"test_e_step": "must sum to 1", "test_e_step_far_points": "log-sum-exp"},
            "m_step_global_mean": {"test_m_step_covariances": "about the mean of all the data"},
            "run_em_params_one_behind": {
                "test_run_em": "parameters after the last iteration",
                "test_run_em_stops": "parameters of its last iteration",
            },
        },
    ),
    "catalogue_em_b": (
        EM,
        {
            "log_gaussian_det_not_log_det": {"test_log_gaussian": "the determinant |Sigma|"},
            "log_likelihood_mean_not_total": {"test_log_likelihood": "the mean per point"},
            "e_step_no_log_sum_exp": {"test_e_step_far_points": "log-sum-exp"},
            "m_step_no_reg_covar": {
                "test_m_step_weights_means": "reg_covar",
                "test_m_step_covariances": "reg_covar",
            },
            "run_em_tol_on_the_total": {"test_run_em_stops": "divide the change of the total by N"},
        },
    ),
    "catalogue_depth": (
        DEPTH,
        {
            "anomaly_flagged_as_a_mask": {"test_anomaly": "boolean mask"},
            "heldout_scored_on_training_data": {"test_heldout": "its own training points"},
            "n_parameters_tied_per_component": {"test_n_parameters": "tied covariance once per component"},
        },
    ),
    "catalogue_k": (CHOOSING, {"best_k_zero_based_argmin": {"choosing_best_k": "0-based"}}),
}


def _answers(mistakes) -> dict[str, str]:
    """{solution cell: code} of a submission's mistakes."""
    answers = {}
    for mistake in mistakes:
        if mistake in IN_NOTEBOOK:
            cell, code = IN_NOTEBOOK[mistake]
        else:
            names, code, _, _ = CATALOGUE[mistake]
            cell = {"n_parameters": "n_parameters_answer"}.get(names[0], names[0])
        answers[cell] = code
    return answers


def _builder(assignment: str, answers: dict[str, str]):
    def build(release_nb: nbformat.NotebookNode, folder) -> None:
        source_nb = h.read(h.source_notebook_path(assignment))
        nbformat.write(h.fill_solutions(release_nb, source_nb, answers), folder / f"{assignment}.ipynb")

    return build


def _failing(mistakes) -> dict[str, str]:
    return {cell: phrase for cells in mistakes.values() for cell, phrase in cells.items()}


for _student, (_assignment, _mistakes) in STUDENTS.items():
    gc.register(
        _student,
        _assignment,
        _builder(_assignment, _answers(_mistakes)),
        gc.expected_scores(_assignment, set(_failing(_mistakes))),
        origin="test_mistake_catalogue_graded",
    )


@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_each_mistake_costs_its_own_points_and_is_named(graded_class, student):
    assignment, mistakes = STUDENTS[student]
    proc, seconds = graded_class.batch(assignment, student)
    assert proc.returncode == 0, f"autograde {assignment} failed after {seconds:.0f} s\n{proc.stderr}"
    assert graded_class.scores(assignment, student) == graded_class.expected(assignment, student)
    graded = graded_class.autograded(assignment, student)
    errors = h.error_details(graded)
    for grade_id, phrase in _failing(mistakes).items():
        cell_id = h.cell_by_grade_id(graded, grade_id).id
        assert cell_id in errors, (grade_id, errors)
        assert phrase in errors[cell_id][1], (grade_id, errors[cell_id])
