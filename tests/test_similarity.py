"""The similarity report (gmm_grader.similarity) on a synthetic class of em_step_by_step.

28 submissions built as notebooks, without running nbgrader or a kernel (fast tier):

* 25 honest students, each writing log_gaussian, e_step, m_step and run_em in one of five
  implementations per function (every implementation here is checked against the
  reference, so they are honest), assigned by a Latin design: student (a, b) writes
  implementation (a + f b) mod 5 of function f, so two honest students share at most one
  of the four functions and many share none; log_likelihood is left as released by all;
* one copier, who took student (2, 0)'s four functions, renamed the variables, reordered
  independent statements and added comments;
* two students who submitted the release untouched.

The planted pair must rank first and be flagged; the template-only submissions must be
compared with no one. The report through the real ``run.py report`` command on a graded
class is tested in tests/test_item_analysis.py.
"""

from __future__ import annotations

import csv
import html
import itertools
from pathlib import Path

import nbformat
import nbgrader_helpers as h
import numpy as np
import pytest
from gmm_grader import similarity as sim
from scipy.stats import multivariate_normal

from gmm_lesson import em

A = "em_step_by_step"
FUNCTIONS = ("log_gaussian", "e_step", "m_step", "run_em")
HOSTILE = "</pre><script>alert(1)</script>"

# five honest implementations of each function's body (the template's def line and
# docstring come from the released cell)
LOG_GAUSSIAN = [
    """
X = np.asarray(X, dtype=float)
diff = X - np.asarray(mean, dtype=float)
mahalanobis_sq = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)
_, log_det = np.linalg.slogdet(cov)
return -0.5 * (X.shape[1] * np.log(2 * np.pi) + log_det + mahalanobis_sq)
""",
    """
X = np.asarray(X, dtype=float)
L = np.linalg.cholesky(cov)
z = np.linalg.solve(L, (X - mean).T)
d = X.shape[1]
return -0.5 * (d * np.log(2 * np.pi) + 2 * np.sum(np.log(np.diag(L))) + np.sum(z ** 2, axis=0))
""",
    """
X = np.asarray(X, dtype=float)
centered = X - mean
precision = np.linalg.inv(cov)
quad = np.einsum("ni,ij,nj->n", centered, precision, centered)
sign, logdet = np.linalg.slogdet(cov)
return -0.5 * quad - 0.5 * logdet - 0.5 * X.shape[1] * np.log(2 * np.pi)
""",
    """
from scipy.stats import multivariate_normal
return np.atleast_1d(multivariate_normal(mean=mean, cov=cov).logpdf(X))
""",
    """
vals, vecs = np.linalg.eigh(cov)
proj = (np.asarray(X, float) - mean) @ vecs
maha = (proj ** 2 / vals).sum(axis=1)
return -0.5 * (len(vals) * np.log(2 * np.pi) + np.log(vals).sum() + maha)
""",
]
E_STEP = [
    """
a = np.column_stack([
    np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
    for k in range(len(params.weights))
])
m = a.max(axis=1, keepdims=True)
log_norm = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
resp = np.exp(a - log_norm[:, None])
return resp, float(log_norm.sum())
""",
    """
from scipy.special import logsumexp
log_prob = np.stack(
    [log_gaussian(X, m, c) for m, c in zip(params.means, params.covariances)], axis=1
) + np.log(params.weights)
norm = logsumexp(log_prob, axis=1)
return np.exp(log_prob - norm[:, None]), float(norm.sum())
""",
    """
X = np.asarray(X, dtype=float)
K = len(params.weights)
weighted = np.empty((X.shape[0], K))
for k in range(K):
    weighted[:, k] = np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
top = weighted.max(axis=1)
shifted = np.exp(weighted - top[:, None])
total = shifted.sum(axis=1)
resp = shifted / total[:, None]
return resp, float(np.sum(top + np.log(total)))
""",
    """
logs = np.array([
    np.log(w) + log_gaussian(X, mu, sigma)
    for w, mu, sigma in zip(params.weights, params.means, params.covariances)
]).T
lse = np.logaddexp.reduce(logs, axis=1)
return np.exp(logs - lse[:, np.newaxis]), lse.sum().item()
""",
    """
cols = []
k = 0
while k < len(params.weights):
    cols.append(log_gaussian(X, params.means[k], params.covariances[k]) + np.log(params.weights[k]))
    k += 1
A = np.vstack(cols).T
mx = np.max(A, axis=1, keepdims=True)
ll_n = np.log(np.sum(np.exp(A - mx), axis=1, keepdims=True)) + mx
return np.exp(A - ll_n), float(ll_n.sum())
""",
]
M_STEP = [
    """
X = np.asarray(X, dtype=float)
resp = np.asarray(resp, dtype=float)
Nk = resp.sum(axis=0)
weights = Nk / len(X)
means = (resp.T @ X) / Nk[:, None]
covariances = []
for k in range(resp.shape[1]):
    diff = X - means[k]
    cov = (resp[:, k, None] * diff).T @ diff / Nk[k]
    covariances.append(cov + reg_covar * np.eye(X.shape[1]))
return em.GMMParams(weights, means, np.array(covariances))
""",
    """
X = np.asarray(X, dtype=float)
resp = np.asarray(resp, dtype=float)
n_k = resp.sum(0)
mu = resp.T @ X / n_k[:, None]
d = X[None, :, :] - mu[:, None, :]
sigma = np.einsum("nk,kni,knj->kij", resp, d, d) / n_k[:, None, None]
sigma += reg_covar * np.eye(X.shape[1])
return em.GMMParams(n_k / X.shape[0], mu, sigma)
""",
    """
X = np.asarray(X, dtype=float)
resp = np.asarray(resp, dtype=float)
w, mus, covs = [], [], []
for k in range(resp.shape[1]):
    r = resp[:, k]
    mu = np.average(X, axis=0, weights=r)
    c = np.atleast_2d(np.cov((X - mu).T, aweights=r, bias=True))
    covs.append(c + reg_covar * np.identity(X.shape[1]))
    w.append(r.sum() / len(X))
    mus.append(mu)
return em.GMMParams(np.array(w), np.array(mus), np.array(covs))
""",
    """
X = np.asarray(X, float)
resp = np.asarray(resp, float)
totals = np.sum(resp, axis=0)
means = np.dot(resp.T, X) / totals[:, np.newaxis]
covariances = np.zeros((resp.shape[1], X.shape[1], X.shape[1]))
for j in range(resp.shape[1]):
    scaled = np.sqrt(resp[:, j])[:, np.newaxis] * (X - means[j])
    covariances[j] = scaled.T @ scaled / totals[j]
    covariances[j].flat[:: X.shape[1] + 1] += reg_covar
return em.GMMParams(totals / totals.sum(), means, covariances)
""",
    """
X = np.asarray(X, dtype=float)
R = np.asarray(resp, dtype=float)
Nk = R.sum(axis=0)
mu = (R[:, :, None] * X[:, None, :]).sum(axis=0) / Nk[:, None]
cov = np.array([
    ((X - mu[k]).T * R[:, k]) @ (X - mu[k]) / Nk[k] + np.eye(X.shape[1]) * reg_covar
    for k in range(len(Nk))
])
return em.GMMParams(Nk / Nk.sum(), mu, cov)
""",
]
RUN_EM = [
    """
X = np.asarray(X, dtype=float)
resp, total = e_step(X, params)
history = [total]
for _ in range(max_iter):
    params = m_step(X, resp)
    resp, total = e_step(X, params)
    history.append(total)
    if abs(history[-1] - history[-2]) / len(X) < tol:
        break
return params, history
""",
    """
X = np.asarray(X, dtype=float)
resp, ll = e_step(X, params)
lls = [ll]
it = 0
while it < max_iter:
    params = m_step(X, resp)
    resp, ll = e_step(X, params)
    lls.append(ll)
    it += 1
    if abs(lls[-1] - lls[-2]) < tol * len(X):
        break
return params, lls
""",
    """
history = []
current = params
for iteration in range(max_iter + 1):
    resp, total = e_step(X, current)
    history.append(total)
    if iteration > 0 and abs(history[-1] - history[-2]) / len(X) < tol:
        break
    if iteration == max_iter:
        break
    current = m_step(X, resp)
return current, history
""",
    """
N = len(X)
r, prev = e_step(X, params)
trace = [prev]
for _ in range(max_iter):
    params = m_step(X, r)
    r, new = e_step(X, params)
    trace.append(new)
    done = abs(new - prev) / N < tol
    prev = new
    if done:
        break
return params, trace
""",
    """
X = np.asarray(X, dtype=float)
log_ls = []
for step in range(max_iter + 1):
    responsibilities, value = e_step(X, params)
    log_ls.append(value)
    if len(log_ls) > 1 and np.abs(np.diff(log_ls[-2:]))[0] < tol * X.shape[0]:
        break
    if step < max_iter:
        params = m_step(X, responsibilities)
return params, log_ls
""",
]
IMPLEMENTATIONS = dict(zip(FUNCTIONS, (LOG_GAUSSIAN, E_STEP, M_STEP, RUN_EM), strict=True))

# the copier's version of student (2, 0)'s code (implementation 2 of every function):
# variables renamed, independent statements reordered, comments added
COPY = {
    "log_gaussian": f"""
# my own way  {HOSTILE}
sgn, log_determinant = np.linalg.slogdet(cov)
X = np.asarray(X, dtype=float)
P = np.linalg.inv(cov)  # precision matrix
dev = X - mean
q = np.einsum("ni,ij,nj->n", dev, P, dev)
return -0.5 * q - 0.5 * log_determinant - 0.5 * X.shape[1] * np.log(2 * np.pi)
""",
    "e_step": """
X = np.asarray(X, dtype=float)
n_comp = len(params.weights)
lw = np.empty((X.shape[0], n_comp))
for j in range(n_comp):
    lw[:, j] = np.log(params.weights[j]) + log_gaussian(X, params.means[j], params.covariances[j])
biggest = lw.max(axis=1)
e = np.exp(lw - biggest[:, None])
s = e.sum(axis=1)
gamma = e / s[:, None]
return gamma, float(np.sum(biggest + np.log(s)))
""",
    "m_step": """
resp = np.asarray(resp, dtype=float)
X = np.asarray(X, dtype=float)
pis, centres, sigmas = [], [], []
for j in range(resp.shape[1]):
    gamma_j = resp[:, j]
    pis.append(gamma_j.sum() / len(X))
    centre = np.average(X, axis=0, weights=gamma_j)
    centres.append(centre)
    S = np.atleast_2d(np.cov((X - centre).T, aweights=gamma_j, bias=True))
    sigmas.append(S + reg_covar * np.identity(X.shape[1]))
return em.GMMParams(np.array(pis), np.array(centres), np.array(sigmas))
""",
    "run_em": """
theta = params
lls = []
for t in range(max_iter + 1):
    gamma, ll = e_step(X, theta)
    lls.append(ll)
    if t > 0 and abs(lls[-1] - lls[-2]) / len(X) < tol:
        break
    if t == max_iter:
        break
    theta = m_step(X, gamma)
return theta, lls
""",
}
pytestmark = pytest.mark.fast

ORIGINAL = "s_2_0"
COPIER = "zz_copier"
UNTOUCHED = ("t_release_1", "t_release_2")


def design() -> dict[str, dict[str, int]]:
    """{student: {function: implementation}}: student (a, b) writes (a + f b) mod 5."""
    return {
        f"s_{a}_{b}": {fn: (a + f * b) % 5 for f, fn in enumerate(FUNCTIONS)}
        for a, b in itertools.product(range(5), repeat=2)
    }


def cell_code(template: str, body: str) -> str:
    """The released cell with its ``# YOUR CODE HERE / raise`` stub replaced by ``body``."""
    head = template.split("# YOUR CODE HERE")[0].rstrip() + "\n"
    return head + "".join(f"    {line}\n" if line else "\n" for line in body.strip("\n").split("\n"))


def released_cells(release) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells if "nbgrader" in c.metadata}


def student_codes() -> dict[str, dict[str, str] | None]:
    """{student: {function: body}}, None for an untouched release."""
    codes: dict[str, dict[str, str] | None] = {
        s: {fn: IMPLEMENTATIONS[fn][i] for fn, i in picks.items()} for s, picks in design().items()
    }
    codes[COPIER] = COPY
    codes.update(dict.fromkeys(UNTOUCHED))
    return codes


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder with em_step_by_step's source and the class's submissions."""
    root = tmp_path_factory.mktemp("similarity") / "course"
    (root / "source" / A).mkdir(parents=True)
    source = h.read(h.source_notebook_path(A))
    nbformat.write(source, root / "source" / A / f"{A}.ipynb")
    release = sim.released(root, A, A, source)  # no release/: the source with solutions cleared
    templates = released_cells(release)
    for student, bodies in student_codes().items():
        nb = nbformat.from_dict(release)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if bodies and gid in bodies:
                cell.source = cell_code(templates[gid], bodies[gid])
        folder = root / "autograded" / student / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A}.ipynb")
    return root


@pytest.fixture(scope="module")
def report(course) -> sim.SimilarityReport:
    return sim.analyse(course, A, sorted(student_codes()))


# ---------------------------------------------------------------- the class is what it says
def _run(cells: dict[str, str]) -> dict:
    namespace = {"np": np, "em": em}
    for gid in ("log_gaussian", "log_likelihood", "e_step", "m_step", "run_em"):
        exec(cells[gid], namespace)  # noqa: S102 (the test's own code)
    return namespace


def test_every_implementation_is_honest_and_the_copy_computes_the_same(course):
    """Each student's functions agree with the reference (scipy, gmm_lesson.em) on two data sets."""
    templates = released_cells(sim.released(course, A, A, h.read(h.source_notebook_path(A))))
    rng = np.random.default_rng(3)
    for seed in (0, 1):
        X = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(4, 1.5, (30, 2))]) + seed
        start = em.GMMParams(np.array([0.4, 0.6]), X[[0, 45]], np.stack([np.eye(2)] * 2))
        resp_ref, ll_ref = em.e_step(X, start)
        for student, bodies in student_codes().items():
            if bodies is None:
                continue
            cells = {fn: cell_code(templates[fn], bodies[fn]) for fn in FUNCTIONS}
            ns = _run(cells | {"log_likelihood": templates["log_likelihood"]})
            want = multivariate_normal(start.means[1], start.covariances[1]).logpdf(X)
            np.testing.assert_allclose(
                ns["log_gaussian"](X, start.means[1], start.covariances[1]), want, rtol=1e-10
            )
            resp, ll = ns["e_step"](X, start)
            np.testing.assert_allclose(resp, resp_ref, rtol=1e-9, atol=1e-12)
            assert ll == pytest.approx(ll_ref, rel=1e-10), student
            new = ns["m_step"](X, resp_ref)
            ref = em.m_step(X, resp_ref)
            for name in ("weights", "means", "covariances"):
                np.testing.assert_allclose(getattr(new, name), getattr(ref, name), rtol=1e-9, err_msg=student)
            params, history = ns["run_em"](X, start, tol=1e-3, max_iter=50)
            _, ref_history = _run_reference(X, start)
            np.testing.assert_allclose(history, ref_history, rtol=1e-9, err_msg=student)


def _run_reference(X, params, tol=1e-3, max_iter=50):
    resp, total = em.e_step(X, params)
    history = [total]
    for _ in range(max_iter):
        params = em.m_step(X, resp)
        resp, total = em.e_step(X, params)
        history.append(total)
        if abs(history[-1] - history[-2]) / len(X) < tol:
            break
    return params, history


def test_honest_students_share_at_most_one_function():
    picks = design()
    assert len(picks) + 1 + len(UNTOUCHED) >= 20
    for s, t in itertools.combinations(picks, 2):
        assert sum(picks[s][f] == picks[t][f] for f in FUNCTIONS) <= 1
    assert picks[ORIGINAL] == dict.fromkeys(FUNCTIONS, 2)


def test_the_copy_is_disguised():
    """Without normalising, the copy shares few fingerprints with the original."""
    for fn in FUNCTIONS:
        raw_copy = sim.winnow(COPY[fn].split())
        raw_original = sim.winnow(IMPLEMENTATIONS[fn][2].split())
        assert sim.jaccard(raw_copy, raw_original) < 0.5, fn


# ---------------------------------------------------------------- the report
def test_the_planted_pair_ranks_first_and_alone_is_flagged(report):
    first = report.pairs[0]
    assert (first.a, first.b) == (ORIGINAL, COPIER)
    assert first.score == 1.0
    assert first.score > report.pairs[1].score
    assert first.flagged and first.z >= sim.Z_FLAG
    # the figures docs/README-instructors.md quotes (the fingerprints are blake2b: no seed)
    second = report.pairs[1]
    assert (round(first.z, 1), round(second.score, 2), round(second.z, 1)) == (7.1, 0.46, 1.9)
    assert [(p.a, p.b) for p in report.flagged] == [(ORIGINAL, COPIER)]
    assert set(first.cell_scores) == {"log_gaussian", "e_step", "m_step", "run_em"}
    assert all(first.cell_scores[fn] == 1.0 for fn in FUNCTIONS)
    # 26 students with code of their own: every pair compared once
    assert len(report.pairs) == 26 * 25 // 2


def test_template_only_submissions_are_compared_with_no_one(report):
    assert report.without_code == sorted(UNTOUCHED)
    assert not any(set(UNTOUCHED) & {p.a, p.b} for p in report.pairs)
    # log_likelihood was left as released by everyone: no fingerprint of it is compared
    assert all(p.cell_scores.get("log_likelihood", 0.0) == 0.0 for p in report.pairs)


def test_honest_pairs_that_share_no_function_score_low(report):
    picks = design()
    for p in report.pairs:
        if p.a in picks and p.b in picks and not any(picks[p.a][f] == picks[p.b][f] for f in FUNCTIONS):
            assert p.score < 0.35, (p.a, p.b, p.score)


def test_html_section_shows_the_pair_side_by_side_escaped(report):
    page = sim.render_html_section(report)
    assert "<script" not in page and html.escape(HOSTILE) in page
    assert page.count("<table class='side'>") == 4  # one per function the pair shares
    assert f"{ORIGINAL} &amp; {COPIER}: similarity 1.00" in page
    assert "Nothing of their own to compare (only the template): t_release_1, t_release_2." in page
    # the copier's own names are shown as written (the report shows code, not tokens)
    assert "log_determinant" in page and "gamma_j" in page


def test_csv_lists_every_pair_ranked(report, tmp_path):
    path = sim.write_csv(report, tmp_path / "similarity.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(report.pairs)
    assert (rows[0]["student_a"], rows[0]["student_b"], rows[0]["flagged"]) == (ORIGINAL, COPIER, "1")
    assert [float(r["similarity"]) for r in rows] == sorted(
        (float(r["similarity"]) for r in rows), reverse=True
    )


# ---------------------------------------------------------------- units and errors
def test_normalise_ignores_names_comments_docstrings_and_statement_order():
    one = 'def f(a, b):\n    """doc"""\n    x = a + 1\n    y = b * 2  # twice\n    return x - y\n'
    two = "def g(p, q):\n    w = q * 2\n    v = p + 1\n    return v - w\n"
    assert sim.normalise(one) == sim.normalise(two)
    other = "def f(a, b):\n    x = a - 1\n    y = b ** 2\n    return x + y\n"
    assert sim.normalise(one) != sim.normalise(other)
    # names the notebook defines or imports are kept: a call to np.sum is not np.mean
    assert sim.normalise("np.sum(x)", {"np"}) != sim.normalise("np.mean(x)", {"np"})
    assert sim.normalise("np.sum(x)", {"np"}) == sim.normalise("np.sum(y)", {"np"})
    # ... but a function's own names are the student's even when they shadow the notebook's
    shadow = "def f(a):\n    np = a * 2\n    return (lambda em: em + np)(a)\n"
    plain = "def f(a):\n    b = a * 2\n    return (lambda c: c + b)(a)\n"
    assert sim.normalise(shadow, {"np", "em"}) == sim.normalise(plain, {"np", "em"})


def test_normalise_falls_back_to_tokens_on_a_cell_that_does_not_parse():
    broken = "def f(a):\n    x = a +\n"
    assert sim.normalise(broken)[:4] == ["def", "V", "(", "V"]
    assert sim.normalise("x = '''never closed") == ["V", "="]
    with pytest.raises(TypeError, match="code must be a str"):
        sim.normalise(None)


def test_winnow_guarantee():
    """A shared run of K + WINDOW - 1 tokens always shares a fingerprint; under K never."""
    rng = np.random.default_rng(0)
    vocab = [f"t{i}" for i in range(40)]
    for _ in range(200):
        run = list(rng.choice(vocab, sim.K + sim.WINDOW - 1))
        a = list(rng.choice(vocab, 30)) + run + list(rng.choice(vocab, 30))
        b = list(rng.choice(vocab, 10)) + run
        assert sim.winnow(a) & sim.winnow(b)
    assert sim.winnow(["a"] * (sim.K - 1)) == set()
    with pytest.raises(ValueError, match="window must be a positive integer"):
        sim.winnow(["a"], window=0)


def test_modified_z():
    assert sim.modified_z([1.0, 2.0, 3.0, 4.0, 100.0])[-1] == pytest.approx(0.6745 * 97 / 1)
    assert sim.modified_z([0.0, 0.0, 0.0, 1.0]) == pytest.approx([0.0, 0.0, 0.0, 1 / (1.253314 * 0.25)])
    assert sim.modified_z([0.5, 0.5]) == [0.0, 0.0]


def test_analyse_refuses_a_missing_assignment_and_an_empty_class(course):
    with pytest.raises(ValueError, match="assignment: no notebook of 'nope'"):
        sim.analyse(course, "nope", ["s_0_0"])
    with pytest.raises(ValueError, match="students: the class of 'em_step_by_step' is empty"):
        sim.analyse(course, A, [])
    with pytest.raises(TypeError, match="students must be a list"):
        sim.analyse(course, A, "s_0_0")
    with pytest.raises(TypeError, match="assignment must be a non-empty string"):
        sim.analyse(course, "", ["s_0_0"])


def test_a_class_with_one_coder_has_no_pair(course):
    report = sim.analyse(course, A, ["s_0_0", *UNTOUCHED, "not_submitted"])
    assert report.pairs == [] and report.without_code == sorted([*UNTOUCHED, "not_submitted"])
    assert "no pair to compare" in sim.render_html_section(report)


def test_hostile_cells_are_compared_without_breaking_the_report():
    """Nesting past the parser's limits and megabyte cells: tokens, cut at MAX_SOURCE."""
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    assert isinstance(sim.normalise(deep), list)
    huge = "y = 1\n" * 100_000  # 600 kB
    tokens = sim.normalise(huge)
    assert 0 < len(tokens) <= sim.MAX_SOURCE
    pairs, without = sim.compare({"a": {"c": deep}, "b": {"c": huge}, "c": {"c": huge}}, {"c": ""})
    assert without == [] and (pairs[0].a, pairs[0].b, pairs[0].score) == ("b", "c", 1.0)
