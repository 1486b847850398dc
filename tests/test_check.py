"""``gmm-check``: a self-paced learner grades their own notebooks (issue 16).

(The hidden checks a wrong answer cannot pass by luck, each classic mistake on 50 fresh
draws of the hidden inputs and named in its message: tests/test_mistake_catalogue.py.)

A batch of em_step_by_step notebooks (right, and with mistakes) graded
once by ``gmm-check --json`` and once by stock ``nbgrader autograde`` with the course's
config, in the session's graded class (tests/graded_class.py; four of them are the
hostile class's ``honest_*`` notebooks, autograded once for both modules): the same
score for every item; no message shows a line of a solution or a key.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

import graded_class as gc
import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import pytest

E_STEP_WRONG_AXIS = """
def e_step(X, params):
    a = np.column_stack([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])
    m = a.max(axis=0, keepdims=True)  # normalised over the points, not the components
    log_norm = m[0] + np.log(np.exp(a - m).sum(axis=0))
    resp = np.exp(a - log_norm[None, :])
    return resp, float(np.log(np.exp(a).sum(axis=1)).sum())
"""

E_STEP_NO_WEIGHTS = """
def e_step(X, params):
    a = np.column_stack([
        log_gaussian(X, params.means[k], params.covariances[k])  # no log pi_k
        for k in range(len(params.weights))
    ])
    m = a.max(axis=1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
    return np.exp(a - log_norm[:, None]), float(log_norm.sum())
"""

M_STEP_HARD = """
def m_step(X, resp, reg_covar=1e-6):
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    hard = np.zeros_like(resp)
    hard[np.arange(len(resp)), resp.argmax(axis=1)] = 1.0  # each point to its likeliest component
    Nk = hard.sum(axis=0)
    means = (hard.T @ X) / Nk[:, None]
    covariances = []
    for k in range(hard.shape[1]):
        diff = X - means[k]
        covariances.append((hard[:, k, None] * diff).T @ diff / Nk[k] + reg_covar * np.eye(X.shape[1]))
    return em.GMMParams(Nk / len(X), means, np.array(covariances))
"""

N_PARAMETERS_TIED_PER_COMPONENT = """
def n_parameters(covariance_type, n_components, n_features):
    K, D = n_components, n_features
    covariance = {"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K, "tied": K * D * (D + 1) // 2}
    return covariance[covariance_type] + K * D + (K - 1)
"""

# ------------------------------------------------------------------ slow: gmm-check against stock autograde
EM = attacks.EM
#: student -> submission; graded once by stock nbgrader autograde (in the session's graded
#: class, tests/graded_class.py) and once by gmm-check
STUDENTS = {
    "all_right": attacks.SUBMISSIONS["honest_full"],
    "untouched": attacks.SUBMISSIONS["honest_untouched"],
    "e_step_no_weights": attacks.Submission(EM, "full", attacks.E_STEP_TESTS, {"e_step": E_STEP_NO_WEIGHTS}),
    "e_step_wrong_axis": attacks.Submission(EM, "full", attacks.E_STEP_TESTS, {"e_step": E_STEP_WRONG_AXIS}),
    "m_step_hard_argmax": attacks.Submission(EM, "full", attacks.M_STEP_TESTS, {"m_step": M_STEP_HARD}),
    "np_cov": attacks.SUBMISSIONS["honest_np_cov"],
    "wrong_letter": attacks.SUBMISSIONS["honest_wrong_q1"],
}
#: the hostile class's students whose notebooks these are (autograded once, for both modules)
CLASS_ID = {
    "all_right": "honest_full",
    "untouched": "honest_untouched",
    "np_cov": "honest_np_cov",
    "wrong_letter": "honest_wrong_q1",
}
attacks.register(*CLASS_ID.values())
for _student, _sub in STUDENTS.items():
    if _student not in CLASS_ID:
        gc.add(attacks.entry(_student, _sub, origin="test_check"))


def class_id(student: str) -> str:
    """The id under which ``student``'s notebook is in the graded class's gradebook."""
    return CLASS_ID.get(student, student)


#: graded by gmm-check with no bubblewrap on PATH (the fallback); the rest in the sandbox
NO_SANDBOX = ("untouched", "e_step_wrong_axis", "np_cov")
VENV = Path(sys.executable).parent.parent
REPO = Path(__file__).resolve().parents[1]


def _as_learner(user: str, command: list[str], env: dict[str, str], work: Path):
    """Run ``command`` as the normal user ``user``.

    The test venv's interpreter is a copy of pyenv's, whose standard library is under
    /root (mode 700 on this machine, as on most). In a private mount namespace, /root is
    replaced by a world-readable tmpfs holding only pyenv (bind-mounted, read-only), so the
    learner can run the venv, and nothing else of /root; the machine's mounts are untouched.
    """
    pyenv = Path("/root/.pyenv")
    hold = work / "pyenv-hold"
    hold.mkdir(parents=True)
    script = (
        f"mount --bind {pyenv} {hold} && mount -t tmpfs -o mode=755 tmpfs /root && "
        f"mkdir /root/.pyenv && mount --bind -o ro {hold} /root/.pyenv && "
        'exec runuser -u "$LEARNER" -- env -i "$@"'
    )
    args = [f"{k}={v}" for k, v in env.items()]
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", *args, *command],
        env={**os.environ, "LEARNER": user},
        capture_output=True,
        text=True,
        timeout=h.NBGRADER_TIMEOUT,
    )


@pytest.fixture(scope="module")
def learner():
    """A real normal account (useradd), removed at the end."""
    if os.geteuid() != 0:
        pytest.fail("this test makes a Unix account: run it as root (python3 run.py test does)")
    name = f"gmmchk{secrets.token_hex(3)}"
    subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
    try:
        yield name, Path(f"/home/{name}")
    finally:
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


@pytest.fixture(scope="module")
def both(graded_class, tmp_path_factory, learner):
    """Every notebook of STUDENTS graded once by stock autograde (the session's graded class)
    and once by gmm-check (as ``learner``)."""
    stock = graded_class
    for student in STUDENTS:
        proc, seconds = stock.batch(EM, class_id(student))
        assert proc.returncode == 0, f"autograde {EM} failed after {seconds:.0f} s\n{proc.stderr}"
        assert stock.expected(EM, class_id(student)) == gc.expected_scores(EM, STUDENTS[student].failing)
    release = h.read(stock.root / "release" / EM / f"{EM}.ipynb")
    user, home = learner
    paths = {}
    for student, sub in STUDENTS.items():
        folder = home / student / EM
        folder.mkdir(parents=True)
        nbformat.write(attacks.notebook(sub, release), folder / f"{EM}.ipynb")  # as the class's
        paths[student] = folder / f"{EM}.ipynb"
    subprocess.run(["chown", "-R", f"{user}:{user}", str(home)], check=True)
    work = tmp_path_factory.mktemp("as-learner")
    no_bwrap = home / "bin-without-bwrap"  # the PATH of a machine without bubblewrap
    no_bwrap.mkdir()
    for tool in Path("/usr/bin").iterdir():
        if tool.name != "bwrap":
            (no_bwrap / tool.name).symlink_to(tool)
    base = {"HOME": str(home), "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
    sandboxed = [str(p) for s, p in paths.items() if s not in NO_SANDBOX]
    unsandboxed = [str(p) for s, p in paths.items() if s in NO_SANDBOX]
    runs = {
        # through run.py, as the README says, with the machine's python3
        "run.py": _as_learner(
            user,
            ["/usr/bin/python3", str(REPO / "run.py"), "check", "--json", *sandboxed],
            {**base, "PATH": "/usr/bin:/bin"},
            work / "a",
        ),
        # the console script, on a machine whose PATH has no bubblewrap
        "gmm-check": _as_learner(
            user,
            [str(VENV / "bin" / "gmm-check"), "--json", *unsandboxed],
            {**base, "PATH": f"{VENV / 'bin'}:{no_bwrap}"},
            work / "b",
        ),
    }
    for name, proc in runs.items():
        assert proc.returncode == 0, f"{name} as {user}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    results = {}
    for proc in runs.values():
        for result in json.loads(proc.stdout):
            student = Path(result["notebook"]).parent.parent.name
            results[student] = result
    return stock, runs, results


def _source_lines() -> set[str]:
    """Every line of a solution: the source notebook's solution cells and the quiz's worked solutions."""
    lines = set()
    for code in h.solution_sources(h.read(h.source_notebook_path(EM))).values():
        lines |= {line.strip() for line in code.splitlines() if len(line.strip()) > 12}
    for path in (REPO / "course" / "quiz").glob("*.toml"):
        for entry in tomllib.loads(path.read_text()).values():
            if isinstance(entry, dict):
                lines |= {line.strip() for line in entry["solution"].splitlines() if len(line.strip()) > 12}
    return lines


@pytest.mark.slow
@pytest.mark.nbgrader
@pytest.mark.timeout(2400)
def test_check_scores_equal_stock_autograde_for_every_item(both):
    stock, _, results = both
    points = h.autograded_points(h.read(h.source_notebook_path(EM)))
    assert set(results) == set(STUDENTS)
    with stock.gradebook() as gb:
        for student, sub in STUDENTS.items():
            result = results[student]
            graded_as = stock.graded_as(EM, class_id(student))  # gc.SAME_SUBMISSION
            want = {gid: gb.find_grade(gid, EM, EM, graded_as).score for gid in points}
            got = {item["id"]: item["score"] for item in result["items"]}
            assert got == want, student
            assert result["score"] == gb.find_submission(EM, graded_as).score, student
            assert result["max_score"] == sum(points.values()) == 16
            assert result["assignment"] == EM
            failing = set(points) if sub.failing == attacks.ALL else sub.failing
            assert {gid for gid, score in got.items() if score == 0} == failing, student


@pytest.mark.slow
@pytest.mark.nbgrader
def test_check_runs_as_a_normal_user_in_the_sandbox_or_says_it_does_not(both):
    _, runs, _ = both
    line = "no grading sandbox can start here"
    assert line not in runs["run.py"].stderr, runs["run.py"].stderr  # bwrap works here, unprivileged
    said = [text for text in runs["gmm-check"].stderr.splitlines() if line in text]
    assert len(said) == 1 and "bwrap" in said[0], runs["gmm-check"].stderr


@pytest.mark.slow
@pytest.mark.nbgrader
def test_check_messages_name_the_mistake_and_never_show_a_solution(both):
    _, runs, results = both
    messages = {s: {item["id"]: item["message"] for item in r["items"]} for s, r in results.items()}
    assert set(messages["all_right"].values()) == {"right"}
    assert "N_k - 1" in messages["np_cov"]["test_m_step_covariances"]
    assert messages["wrong_letter"]["test_q1"].startswith("not yet: ")
    hint = tomllib.loads((REPO / "course" / "quiz" / f"{EM}.toml").read_text())["test_q1"]["hint"]
    assert hint in messages["wrong_letter"]["test_q1"]
    assert messages["untouched"]["test_log_gaussian"].startswith("not done yet")
    assert messages["untouched"]["test_q1"].startswith("not answered yet")
    lines = _source_lines()
    assert len(lines) > 30
    everything = "\n".join(runs["run.py"].stdout.splitlines() + runs["gmm-check"].stdout.splitlines())
    for line in lines:
        assert line not in everything, line
    assert "Worked solution" not in everything and "Answer:" not in everything
