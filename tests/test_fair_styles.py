"""Every honest style of correct work scores full marks (issue 15, item 7).

Each submission below is right in a way the visible tests accept but a stricter grader
would not: a pair returned as a list, numbers as 0-d arrays, steps called by keyword, a
callable object for a function, slow exploration cells, deleted test cells (nbgrader
puts them back), a module the grading sandbox does not have imported at the top of the
imports cell. All are graded by stock ``nbgrader autograde`` with the course's own
configuration (sandboxed kernels, hidden checks judged outside), in the session's one
graded class (tests/graded_class.py: em_step_by_step's in one batch of their own with a
10 s cell limit; ``all_right`` is the hostile class's ``honest_full``, graded once for
both), and the test asserts the exact score of every test cell in the gradebook.

Where a submission also holds a wrong ``e_step`` (the mean for the total), its E-step
tests score 0 and nothing else does: that shows the hidden checks of ``run_em`` gave the
right E-step results to a loop that calls ``e_step`` by keyword, or that is an object.
"""

from __future__ import annotations

from pathlib import Path

import graded_class as gc
import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import numpy as np
import pytest
from gmm_grader import judge, probe
from gmm_grader.grading import GradingConfigError, _hide_library_names, _import_statements
from nbformat.v4 import new_code_cell

from gmm_lesson import em

EM = attacks.EM
# seconds per cell in the graded class's "fair" limits (tests/graded_class.py), whose
# max_restarts of 1 is less than the two restarts the two slow ungraded cells cause
TIMEOUT = gc.LIMITS["fair"]["Execute.timeout"]

E_STEP_MEAN = attacks.SUBMISSIONS["honest_e_step_mean"].answers["e_step"]

E_STEP_LIST_0D = '''
def e_step(X, params):
    """Responsibilities and the total, as a list; the total as a 0-d array."""
    a = np.column_stack([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])
    m = a.max(axis=1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
    return [np.exp(a - log_norm[:, None]), np.asarray(log_norm.sum())]
'''

RUN_EM_LIST_0D = '''
def run_em(X, params, tol=1e-3, max_iter=100):
    """(params, history) as a list; every log-likelihood a 0-d array."""
    resp, total = e_step(X, params)
    history = [np.array(total)]
    for _ in range(max_iter):
        params = m_step(X, resp)
        resp, total = e_step(X, params)
        history.append(np.array(total))
        if abs(history[-1] - history[-2]) / len(X) < tol:
            break
    return [params, history]
'''

RUN_EM_KEYWORDS = '''
def run_em(data, start, tol=1e-3, max_iter=100):
    """The steps called by keyword, with names of the student's own."""
    params = start
    resp, total = e_step(X=data, params=params)
    history = [total]
    for _ in range(max_iter):
        params = m_step(resp=resp, X=data)
        resp, total = e_step(params=params, X=data)
        history.append(total)
        if abs(history[-1] - history[-2]) / len(data) < tol:
            break
    return params, tuple(history)
'''

RUN_EM_OBJECT = '''
class EMLoop:
    """run_em as a callable object."""

    def __init__(self, e, m):
        self.names = (e, m)

    def __call__(self, X, params, tol=1e-3, max_iter=100):
        e, m = (globals()[name] for name in self.names)
        resp, total = e(X, params)
        history = [total]
        for _ in range(max_iter):
            params = m(X, resp)
            resp, total = e(X, params)
            history.append(total)
            if abs(history[-1] - history[-2]) / len(X) < tol:
                break
        return params, history


run_em = EMLoop("e_step", "m_step")
'''

E_STEP_LOGSUMEXP = '''
def e_step(X, params):
    """With scipy's logsumexp, which the grading sandbox of this assignment does not have."""
    a = np.column_stack([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])
    log_norm = logsumexp(a, axis=1)
    return np.exp(a - log_norm[:, None]), float(log_norm.sum())
'''

COUNT_BY_LIBRARY = '''
def n_parameters(covariance_type, n_components, n_features):
    """Delegated to the library's own count."""
    K, D = n_components, n_features
    covariances = {"full": np.broadcast_to(np.eye(D), (K, D, D)), "diag": np.ones((K, D)),
                   "spherical": np.ones(K), "tied": np.eye(D)}[covariance_type]
    return em.GMMParams(np.full(K, 1 / K), np.zeros((K, D)), covariances, covariance_type).n_parameters()
'''

COUNT_BY_SKLEARN = '''
def n_parameters(covariance_type, n_components, n_features):
    """Delegated to scikit-learn's count."""
    model = GaussianMixture(n_components, covariance_type=covariance_type)
    model.means_ = np.zeros((n_components, n_features))
    return int(model._n_parameters())
'''

COUNT_BY_HAND_WITH_HELPER = '''
def n_parameters(covariance_type, n_components, n_features):
    """Counted by hand, with a helper from an earlier cell of the student's own."""
    K, D = n_components, n_features
    return covariance_count(covariance_type, K, D) + K * D + (K - 1)
'''

HELPER = '''
def covariance_count(covariance_type, K, D):
    counts = {"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K, "tied": D * (D + 1) // 2}
    return counts[covariance_type]
'''

#: helpers a test notebook needs around E_STEP_MEAN: the course's right log_gaussian and m_step
RUN_EM_MEAN_STEP_HELPERS = '''
def log_gaussian(X, mean, cov):
    diff = X - mean
    _, log_det = np.linalg.slogdet(cov)
    mahalanobis_sq = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)
    return -0.5 * (X.shape[1] * np.log(2 * np.pi) + log_det + mahalanobis_sq)


def m_step(X, resp, reg_covar=1e-6):
    return em.m_step(X, resp, reg_covar=reg_covar)
'''

SLOW = "import time\n\ntime.sleep(3 * {timeout})  # an honest exploration, slower than the grader allows"

#: student -> (answers by grade id, edits, the test cells that must score 0)
STUDENTS = {
    "all_right": ({}, {}, set()),
    "pairs_as_lists_numbers_as_0d": ({"e_step": E_STEP_LIST_0D, "run_em": RUN_EM_LIST_0D}, {}, set()),
    "steps_by_keyword": ({"e_step": E_STEP_MEAN, "run_em": RUN_EM_KEYWORDS}, {}, attacks.E_STEP_TESTS),
    "callable_object": ({"e_step": E_STEP_MEAN, "run_em": RUN_EM_OBJECT}, {}, attacks.E_STEP_TESTS),
    "slow_exploration": ({}, {"slow_cells": 2}, set()),
    "deleted_test_cells": ({}, {"delete_tests": True}, set()),
    "scipy_import_first": (
        {"e_step": E_STEP_LOGSUMEXP},
        {"first_import": "from scipy.special import logsumexp"},
        attacks.E_STEP_TESTS,
    ),
}


DEPTH = "em_in_depth"
#: em_in_depth's students: the parameter count is graded where neither scikit-learn nor
#: GMMParams.n_parameters exists (course/nbgrader_config.py, JudgedExecute.isolated_checks)
DEPTH_STUDENTS = {
    "count_by_hand": ({"n_parameters_answer": COUNT_BY_HAND_WITH_HELPER}, {"helper": HELPER}, set()),
    "count_by_library": ({"n_parameters_answer": COUNT_BY_LIBRARY}, {}, {"test_n_parameters"}),
    "count_by_sklearn": ({"n_parameters_answer": COUNT_BY_SKLEARN}, {}, {"test_n_parameters"}),
}


def build(release_nb: nbformat.NotebookNode, answers: dict, edits: dict, name: str = EM):
    """A student's notebook: the release with the solutions, ``answers`` in place, ``edits`` made."""
    nb = nbformat.from_dict(release_nb)
    h.fill_solutions(nb, h.read(h.source_notebook_path(name)), {g: a.strip("\n") for g, a in answers.items()})
    imports = next(c for c in nb.cells if c.cell_type == "code")
    if "helper" in edits:
        nb.cells.insert(nb.cells.index(imports) + 1, new_code_cell(edits["helper"].strip("\n"), id="helper"))
    if "first_import" in edits:
        imports.source = f"{edits['first_import']}\n{imports.source}"
    at = nb.cells.index(imports) + 1
    for n in range(edits.get("slow_cells", 0)):
        nb.cells.insert(at, new_code_cell(SLOW.format(timeout=TIMEOUT), id=f"slow-{n}"))
    if edits.get("delete_tests"):
        nb.cells = [c for c in nb.cells if not h.is_autograded_test(c)]
    return nb


def builder(answers: dict, edits: dict, name: str):
    def write(release_nb: nbformat.NotebookNode, folder: Path) -> None:
        nbformat.write(build(release_nb, answers, edits, name), folder / f"{name}.ipynb")

    return write


#: the honest styles that are the hostile class's own notebooks (graded once, for both)
CLASS_ID = {"all_right": "honest_full"}
attacks.register(*CLASS_ID.values())
for _name, _students, _limits in ((EM, STUDENTS, "fair"), (DEPTH, DEPTH_STUDENTS, "class")):
    for _student, (_answers, _edits, _failing) in _students.items():
        if _student not in CLASS_ID:
            gc.register(
                _student, _name, builder(_answers, _edits, _name), gc.expected_scores(_name, _failing),
                origin="test_fair_styles", limits=_limits, feedback=False,
            )


@pytest.fixture(scope="module")
def graded(graded_class) -> gc.GradedClass:
    """The session's graded class (tests/graded_class.py): these students' batches finished."""
    for name, students in ((EM, STUDENTS), (DEPTH, DEPTH_STUDENTS)):
        for student in students:
            proc, seconds = graded_class.batch(name, CLASS_ID.get(student, student))
            assert proc.returncode == 0, f"autograde {name} failed after {seconds:.0f} s\n{proc.stderr}"
    return graded_class


def _scores(course: gc.GradedClass, student: str, name: str = EM) -> tuple[dict[str, float], float]:
    student = CLASS_ID.get(student, student)
    return course.scores(name, student), course.total(name, student)


def _autograded(course: gc.GradedClass, student: str, name: str = EM) -> nbformat.NotebookNode:
    return course.autograded(name, CLASS_ID.get(student, student))


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("student", sorted(STUDENTS))
def test_each_honest_style_scores_what_its_work_is_worth(graded, student):
    points = h.autograded_points(h.read(h.source_notebook_path(EM)))
    failing = STUDENTS[student][2]
    cells, total = _scores(graded, student)
    assert cells == {gid: 0.0 if gid in failing else p for gid, p in points.items()}
    assert total == 16 - sum(points[gid] for gid in failing)


def _test_cell_errors(nb) -> dict[str, str]:
    errors = h.errors(nb)
    return {h.grade_id(c): errors[c.id] for c in nb.cells if h.is_autograded_test(c) and c.id in errors}


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(1800)
def test_the_slow_cells_timed_out_and_cost_nothing_else(graded):
    nb = _autograded(graded, "slow_exploration")
    errors = h.error_details(nb)
    for n in range(2):
        assert f"slow-{n}" in errors, errors
        assert "time limit" in errors[f"slow-{n}"][1], errors[f"slow-{n}"]
    assert "NotRun" not in {name for name, _ in errors.values()}, errors
    assert _test_cell_errors(nb) == {}


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(1800)
def test_the_deleted_test_cells_were_put_back_and_ran(graded):
    nb = _autograded(graded, "deleted_test_cells")
    assert set(h.autograded_points(nb)) == set(h.autograded_points(h.read(h.source_notebook_path(EM))))
    assert _test_cell_errors(nb) == {}


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(1800)
def test_a_missing_module_costs_only_the_names_it_binds(graded):
    nb = _autograded(graded, "scipy_import_first")
    imports = next(c for c in nb.cells if c.cell_type == "code")
    assert [e.ename for e in imports.outputs if e.output_type == "error"] == ["ModuleNotFoundError"]
    assert set(_test_cell_errors(nb)) == attacks.E_STEP_TESTS
    message = h.error_details(nb)[h.cell_by_grade_id(nb, "test_e_step").id][1]
    assert "logsumexp" in message, message


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("student", sorted(DEPTH_STUDENTS))
def test_the_parameter_count_is_graded_without_the_library_count(graded, student):
    points = h.autograded_points(h.read(h.source_notebook_path(DEPTH)))
    failing = DEPTH_STUDENTS[student][2]
    cells, total = _scores(graded, student, DEPTH)
    assert cells == {gid: 0.0 if gid in failing else p for gid, p in points.items()}
    assert total == sum(points.values()) - sum(points[gid] for gid in failing)
    if failing:  # the visible tests passed where the student worked; the isolated kernel has no count
        nb = _autograded(graded, student, DEPTH)
        name, message = h.error_details(nb)[h.cell_by_grade_id(nb, "test_n_parameters").id]
        assert name in ("AttributeError", "NameError"), (name, message)


# ---------------------------------------------------------------- fast: the pieces, in this process
def _notebook(source: str) -> dict:
    namespace: dict = {"np": np, "em": em}
    exec(compile(source, "<notebook>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("source", [RUN_EM_KEYWORDS, RUN_EM_OBJECT])
def test_stand_ins_answer_keyword_calls_and_callable_objects(source):
    """A run_em calling wrong steps by keyword, or an object, is scored on its own."""
    notebook = _notebook(E_STEP_MEAN + RUN_EM_MEAN_STEP_HELPERS + source)
    request = judge.JUDGES["run_em"].request(np.random.default_rng(1))
    report = probe.run(judge.for_kernel(request), notebook["run_em"])
    assert judge.JUDGES["run_em"].verdict(request, report) is None
    without = dict(judge.for_kernel(request), stand_ins={})  # the student's wrong e_step is seen
    assert judge.JUDGES["run_em"].verdict(request, probe.run(without, notebook["run_em"])) is not None
    assert notebook["e_step"].__name__ == "e_step" and "m_step" in notebook  # put back afterwards


def test_a_keyword_call_that_does_not_bind_reaches_the_students_function():
    notebook = _notebook("def e_step(X, params):\n    return 'own'\n")
    table = [{"args": [{"array": [[0.0]]}, {"array": [1.0]}], "returned": "table"}]
    stand_in = probe._stand_in("e_step", table, notebook["e_step"])
    X, params = np.zeros((1, 1)), np.ones(1)
    assert stand_in(params=params, X=X) == "table"
    assert stand_in(X, params=params) == "table"
    assert stand_in(X + 1, params=params) == "own"
    with pytest.raises(TypeError):
        stand_in(Y=X, params=params)  # what the student's own function says


def test_pairs_as_lists_and_numbers_as_0d_arrays_are_read():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 2))
    params = em.GMMParams([0.4, 0.6], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(2)])
    resp, total = em.e_step(X, params)
    case = {"what": "K=2, D=2", "resp": resp.tolist(), "total": total}
    for returned in ((resp, total), [resp, total], [resp, np.asarray(total)], (resp, np.float64(total))):
        assert judge._e_step_compare(probe.encode(returned), case) is None, returned
    three = probe.encode([resp, total, 0])
    assert judge._e_step_compare(three, case).startswith("e_step should return a pair")
    assert judge._number(probe.encode(np.array(2.5))) == 2.5
    assert np.isnan(judge._number(probe.encode(np.array(np.inf))))
    assert judge._number(probe.encode(np.array([2.5]))) is None  # an array of one is not a number


def test_a_history_of_0d_arrays_is_a_history_of_numbers():
    call = judge._run_em_fixed_calls(np.random.default_rng(3))[0]
    case = call[2]
    params = probe.encode(em.GMMParams(**{name: np.array(v) for name, v in case["want"].items()}))
    for history in (case["history"], tuple(case["history"]), np.array(case["history"]),
                    [np.array(v) for v in case["history"]]):
        reported = probe.encode(history)
        assert judge._run_em_compare([params, reported], case) is None, history
    wrong = probe.encode([np.array(v) for v in case["history"]] + [np.array(1.0)])
    assert "run_em should run" in judge._run_em_compare([params, wrong], case)
    strings = probe.encode(["a"] * len(case["history"]))
    problem = judge._run_em_compare([params, strings], case)
    assert "history should hold only numbers, but it holds str" in problem


def test_only_a_cell_of_imports_is_run_again_import_by_import():
    cell = nbformat.v4.new_code_cell
    assert _import_statements(cell("from scipy.special import logsumexp\nimport numpy as np\n")) == [
        "from scipy.special import logsumexp",
        "import numpy as np",
    ]
    assert _import_statements(cell("import numpy as np\nx = 1\n")) is None  # not only imports
    assert _import_statements(cell("import numpy as np\n")) is None  # one import: nothing to gain
    assert _import_statements(cell("%matplotlib inline\nimport numpy as np\n")) is None


def test_a_hidden_library_name_is_cut_out_of_the_sandbox_copy(tmp_path):
    import shutil
    import subprocess
    import sys

    package = tmp_path / "gmm_lesson"
    shutil.copytree(h.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    _hide_library_names(package, ["params.GMMParams.n_parameters"])
    assert "n_parameters" not in (package / "params.py").read_text()  # neither the name nor its code
    probe_code = (
        "from gmm_lesson import em\n"
        "p = em.GMMParams([1.0], [[0.0]], [[[1.0]]])\n"
        "print(hasattr(em.GMMParams, 'n_parameters'), p.weights.tolist())"
    )
    out = subprocess.run([sys.executable, "-c", probe_code], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "[1.0]"], out.stderr
    for bad in ("params", "params.GMMParams.nothing", "params.Nope.n_parameters", "nomodule.x", "params.x;y"):
        with pytest.raises(GradingConfigError):
            _hide_library_names(package, [bad])
