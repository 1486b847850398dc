# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # EM step by step
#
# A Gaussian mixture explains every point $x \in \mathbb{R}^D$ as drawn from one of
# $K$ bell-shaped components:
#
# $$p(x) = \sum_{k=1}^{K} \pi_k \, \mathcal{N}(x \mid \mu_k, \Sigma_k).$$
#
# The **EM algorithm** fits the weights $\pi_k$, means $\mu_k$ and covariances
# $\Sigma_k$ by repeating two steps: the **E-step** asks each component how much it
# explains each point, the **M-step** refits each component to the points it explains.
# In this notebook you write both, in four small functions:
#
# | step | function | points |
# | --- | --- | --- |
# | 1 | `log_gaussian(X, mean, cov)` | 2 |
# | 2 | `log_likelihood(X, params)` | 2 |
# | 3 | `e_step(X, params)` | 3 |
# | 4 | `m_step(X, resp)` | 4 |
# | 5 | your EM loop | 2 |
# | 6 | two questions | 2 |
#
# **Full covariance matrices only.** Every component here has its own $D \times D$
# covariance matrix (`covariance_type="full"`, the default of scikit-learn's
# `GaussianMixture`). The library's `diag`, `spherical` and `tied` variants are the
# same formulas with the matrices restricted; you do not write those.
#
# **How it is graded.** Replace each `raise NotImplementedError()` with your code.
# The read-only cells below each answer test it; some of their tests are hidden and
# run when your work is graded. Use numpy only: `gmm_lesson.em` already contains the
# answers, so a function that calls `gmm_lesson.em` (or scikit-learn's
# `GaussianMixture`) to do the step scores 0 for that step.

# %%
import matplotlib.pyplot as plt
import numpy as np

from gmm_lesson import data, em

# %% [markdown]
# ## The data
#
# 272 eruptions of the Old Faithful geyser: how long each eruption lasted and how
# long the wait was until the next one, in minutes. Both features are standardised
# (mean 0, standard deviation 1) so that neither dominates because of its unit.

# %%
X, _, _ = data.standardize(data.load_old_faithful())
X.shape

# %%
fig, ax = plt.subplots(figsize=(4.5, 4))
ax.scatter(X[:, 0], X[:, 1], s=10, color="0.3")
ax.set(xlabel="eruption (standardised)", ylabel="waiting (standardised)", title="Old Faithful")
plt.show()

# %% [markdown]
# A deliberately poor starting guess for $K = 2$ components: equal weights, two means
# on the wrong diagonal, round unit covariances. `em.GMMParams` holds the three
# arrays: `weights` shape $(K,)$, `means` $(K, D)$, `covariances` $(K, D, D)$.

# %%
start = em.GMMParams(
    weights=[0.5, 0.5],
    means=[[-0.5, 0.5], [0.5, -0.5]],
    covariances=[np.eye(2), np.eye(2)],
)
start.weights, start.means


# %% [markdown]
# ## Step 1: the log-density of one Gaussian
#
# The density of a $D$-dimensional Gaussian is tiny far from its mean: for a point
# 40 standard deviations away it is about $e^{-800}$, which a float64 rounds to 0.
# So EM works with **log**-densities:
#
# $$\log \mathcal{N}(x \mid \mu, \Sigma) = -\frac{1}{2}\Big(D \log 2\pi + \log\lvert\Sigma\rvert
# + (x - \mu)^\top \Sigma^{-1} (x - \mu)\Big).$$
#
# The last term is the squared *Mahalanobis distance*: the distance from $x$ to
# $\mu$ measured in units of the component's own spread.
#
# Write `log_gaussian(X, mean, cov)` for all $N$ rows of `X` at once, returning
# shape $(N,)$. Hints: `diff = X - mean` has shape $(N, D)$;
# `np.linalg.solve(cov, diff.T).T` is $\Sigma^{-1}(x_n - \mu)$ for every row
# without inverting $\Sigma$; `np.linalg.slogdet(cov)` returns
# $(\text{sign}, \log\lvert\Sigma\rvert)$.

# %% nbgrader={"grade": false, "grade_id": "log_gaussian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_gaussian(X, mean, cov):
    """log N(x_n | mean, cov) for every row x_n of X: an array of shape (N,)."""
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=float)
    diff = X - np.asarray(mean, dtype=float)
    mahalanobis_sq = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)
    _, log_det = np.linalg.slogdet(cov)
    return -0.5 * (X.shape[1] * np.log(2 * np.pi) + log_det + mahalanobis_sq)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_log_gaussian", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# At the mean of a standard 2-D Gaussian: log N(0 | 0, I) = -log(2 pi)
at_mean = log_gaussian(np.zeros((1, 2)), np.zeros(2), np.eye(2))
assert np.shape(at_mean) == (1,), f"return one number per row of X, got shape {np.shape(at_mean)}"
assert np.isclose(at_mean[0], -np.log(2 * np.pi))
# One standard deviation away costs exactly 1/2 ...
one_sd = log_gaussian(np.array([[1.0, 0.0]]), np.zeros(2), np.eye(2))
assert np.isclose(one_sd[0], -np.log(2 * np.pi) - 0.5)
# ... and doubling every variance costs log(2) in 2-D
wider = log_gaussian(np.zeros((1, 2)), np.zeros(2), 2 * np.eye(2))
assert np.isclose(wider[0], -np.log(2 * np.pi) - np.log(2))
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("log_gaussian", log_gaussian)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 2: the log-likelihood
#
# How well do parameters $\theta = (\pi, \mu, \Sigma)$ explain the data? By the
# log-likelihood, the sum over points of the log of the mixture density:
#
# $$\log L(\theta) = \sum_{n=1}^{N} \log \sum_{k=1}^{K} \pi_k \,
# \mathcal{N}(x_n \mid \mu_k, \Sigma_k) = \sum_{n=1}^{N} \log \sum_{k=1}^{K} e^{a_{nk}}, \qquad
# a_{nk} = \log \pi_k + \log \mathcal{N}(x_n \mid \mu_k, \Sigma_k).$$
#
# Exponentiating $a_{nk}$ directly underflows to 0 for far points, and $\log 0$ is
# $-\infty$. The **log-sum-exp trick** subtracts each row's largest term
# $m_n = \max_k a_{nk}$ first, so the largest exponent is $e^0 = 1$:
#
# $$\log \sum_k e^{a_{nk}} = m_n + \log \sum_k e^{a_{nk} - m_n}.$$
#
# Write `log_likelihood(X, params)` returning the total as a Python `float`. Build
# the $(N, K)$ array $a$ column by column with your `log_gaussian`
# (`params.weights[k]`, `params.means[k]`, `params.covariances[k]`).

# %% nbgrader={"grade": false, "grade_id": "log_likelihood", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_likelihood(X, params):
    """Total log-likelihood: sum over n of log sum over k of pi_k N(x_n | mu_k, Sigma_k)."""
    ### BEGIN SOLUTION
    a = np.column_stack([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])
    m = a.max(axis=1, keepdims=True)
    return float(np.sum(m[:, 0] + np.log(np.exp(a - m).sum(axis=1))))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_log_likelihood", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# With a single component (weight 1) the mixture is that Gaussian
one = em.GMMParams([1.0], [[0.0, 0.0]], [np.eye(2)])
value = log_likelihood(X, one)
assert isinstance(value, float), f"return a Python float, got {type(value).__name__}"
assert np.isclose(value, log_gaussian(X, np.zeros(2), np.eye(2)).sum())
# A mixture of two copies of the same Gaussian is that Gaussian too
twins = em.GMMParams([0.3, 0.7], [[0.0, 0.0], [0.0, 0.0]], [np.eye(2), np.eye(2)])
assert np.isclose(log_likelihood(X, twins), value)
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("log_likelihood", log_likelihood)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3: the E-step
#
# The **responsibility** $r_{nk}$ is the probability that point $n$ came from
# component $k$, given the current parameters (Bayes' rule):
#
# $$r_{nk} = \frac{\pi_k \, \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}
# {\sum_{j} \pi_j \, \mathcal{N}(x_n \mid \mu_j, \Sigma_j)}
# \quad\Longrightarrow\quad
# \log r_{nk} = a_{nk} - \log \sum_j e^{a_{nj}}.$$
#
# Each row of $r$ sums to 1: a *soft* assignment of the point to the components.
# The denominator is the same per-point sum as in the log-likelihood, so the E-step
# gets $\log L$ for free.
#
# Write `e_step(X, params)` returning `(resp, total_log_likelihood)`: `resp` of shape
# $(N, K)$ and the total as a float. Compute `resp` in logs as above, then `np.exp`.

# %% nbgrader={"grade": false, "grade_id": "e_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def e_step(X, params):
    """Responsibilities (N, K) and the total log-likelihood of params."""
    ### BEGIN SOLUTION
    a = np.column_stack([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])
    m = a.max(axis=1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
    resp = np.exp(a - log_norm[:, None])
    return resp, float(log_norm.sum())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_e_step", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
resp, total = e_step(X, start)
assert np.shape(resp) == (len(X), 2), f"resp must have shape (N, K), got {np.shape(resp)}"
assert np.all(resp >= 0), "responsibilities are probabilities: never negative"
assert np.allclose(resp.sum(axis=1), 1.0), "each row of resp must sum to 1"
assert np.isfinite(total) and total < 0
# a point on the second mean belongs (mostly) to the second component
assert e_step(np.array([[0.5, -0.5]]), start)[0][0, 1] > 0.5
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("e_step", e_step)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_e_step_far_points", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 40 standard deviations from both means: naive exp() gives 0 / 0 here
far = np.array([[30.0, -30.0], [-30.0, 30.0]])
resp, total = e_step(far, start)
assert np.all(np.isfinite(resp)) and np.isfinite(total), "use the log-sum-exp trick"
assert resp[0, 1] > 0.99 and resp[1, 0] > 0.99, "each far point belongs to the nearer mean"
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("e_step_far", e_step)
### END HIDDEN TESTS

# %% [markdown]
# The first E-step from our poor start: five points' responsibilities, and $\log L$.

# %%
resp, total = e_step(X, start)
print(np.round(resp[:5], 3))
print(f"log L = {total:.2f}")


# %% [markdown]
# ## Step 4: the M-step
#
# Now pretend the responsibilities are right and refit each component to "its"
# points, each point counted with weight $r_{nk}$. Setting the derivative of the
# expected complete-data log-likelihood to zero gives weighted averages:
#
# $$N_k = \sum_n r_{nk}, \qquad \pi_k = \frac{N_k}{N}, \qquad
# \mu_k = \frac{1}{N_k} \sum_n r_{nk} \, x_n,$$
#
# $$\Sigma_k = \frac{1}{N_k} \sum_n r_{nk} \, (x_n - \mu_k)(x_n - \mu_k)^\top + \varepsilon I.$$
#
# $N_k$ is the "effective number of points" of component $k$. The small
# $\varepsilon$ (`reg_covar`, $10^{-6}$ as in scikit-learn) keeps $\Sigma_k$
# invertible if a component collapses onto a single point.
#
# Write `m_step(X, resp, reg_covar=1e-6)` returning an `em.GMMParams`. Hint: for
# component $k$, with `diff = X - means[k]`,
# $\sum_n r_{nk}(x_n-\mu_k)(x_n-\mu_k)^\top$ is `(resp[:, k, None] * diff).T @ diff`.

# %% nbgrader={"grade": false, "grade_id": "m_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def m_step(X, resp, reg_covar=1e-6):
    """New weights, means and full covariances from responsibilities, as em.GMMParams."""
    ### BEGIN SOLUTION
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
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_m_step_weights_means", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hard responsibilities: the first three points to component 0, the last one to 1
toy = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0], [10.0, 10.0]])
hard = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
new = m_step(toy, hard)
assert isinstance(new, em.GMMParams), "return em.GMMParams(weights, means, covariances)"
assert np.allclose(new.weights, [0.75, 0.25]), "pi_k = N_k / N"
assert np.allclose(new.means, [[1.0, 1.0], [10.0, 10.0]]), "mu_k = weighted mean of the points"
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("m_step_weights_means", m_step)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_m_step_covariances", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
toy = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0], [10.0, 10.0]])
hard = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
new = m_step(toy, hard)
assert np.shape(new.covariances) == (2, 2, 2), "covariances must have shape (K, D, D)"
# component 0: the covariance of its three points (divided by N_k), plus reg_covar
assert np.allclose(new.covariances[0], [[2 / 3, 0.0], [0.0, 2.0]] + 1e-6 * np.eye(2))
# component 1 has a single point: only reg_covar keeps it invertible
assert np.allclose(m_step(toy, hard, reg_covar=0.1).covariances[1], 0.1 * np.eye(2))
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("m_step_covariances", m_step)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5: your EM
#
# Alternate the two steps from the poor start. EM's guarantee: the log-likelihood
# **never goes down** from one iteration to the next (the tiny `reg_covar` your
# M-step adds aside, which only matters for a component squeezed onto almost a
# single point).

# %%
params, history = start, []
for _ in range(30):
    resp, total = e_step(X, params)
    history.append(total)
    params = m_step(X, resp)

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(len(history)), history, marker="o", markersize=3)
ax.set(xlabel="iteration", ylabel="log-likelihood", title="Your EM on Old Faithful")
plt.show()

# %% [markdown]
# The library's `em.fit` from the same start, for the same 30 iterations, should agree with you:

# %%
library = em.fit(X, 2, init=start, max_iter=30, tol=0.0)
print(f"your EM:       log L = {log_likelihood(X, params):.6f}")
print(f"gmm_lesson.em: log L = {library.history[-1]:.6f}")

# %% nbgrader={"grade": true, "grade_id": "test_em_loop", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
params, history = start, []
for _ in range(10):
    resp, total = e_step(X, params)
    history.append(total)
    params = m_step(X, resp)
assert np.all(np.diff(history) >= -1e-9), "the log-likelihood went down"
assert history[-1] > history[0], "ten iterations from a poor start should improve the fit"
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("em_loop", e_step, m_step)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 6: check your understanding
#
# Answer each question with one letter, for example `answer_q1 = "A"`.
#
# **Question 1.** After an E-step on the 272 Old Faithful eruptions, the
# responsibilities of component 2 add up to $\sum_n r_{n2} = 68$. Which weight
# $\pi_2$ does the next M-step give component 2?
#
# - A. 68
# - B. 0.25
# - C. 0.5, because there are two components
# - D. it depends on the means, so it cannot be told from this

# %% nbgrader={"grade": false, "grade_id": "answer_q1", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q1 = "B"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q1, str) and answer_q1.strip().upper() in {"A", "B", "C", "D"}, (
    "answer with one letter, for example answer_q1 = \"A\""
)
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("choice", answer_q1, question="test_q1")
### END HIDDEN TESTS

# %% [markdown]
# **Question 2.** Why does the E-step subtract each row's largest $a_{nk}$ before
# calling `exp`?
#
# - A. so that every row of responsibilities sums to 1
# - B. so that EM converges in fewer iterations
# - C. so that `exp` does not underflow to 0 for points far from every component
#   (which would give 0 / 0)
# - D. because the M-step needs the responsibilities in decreasing order

# %% nbgrader={"grade": false, "grade_id": "answer_q2", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q2 = "C"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q2, str) and answer_q2.strip().upper() in {"A", "B", "C", "D"}, (
    "answer with one letter, for example answer_q2 = \"A\""
)
### BEGIN HIDDEN TESTS
from gmm_lesson.judge import check

check("choice", answer_q2, question="test_q2")
### END HIDDEN TESTS

# %% [markdown]
# ## Explore
#
# The explorer replays the library's EM on this data one half-step at a time:
# move the iteration slider to watch the E-step recolour the points and the M-step
# move the ellipses; change $K$ to refit. (When the notebook is graded it draws a
# still picture instead.) Nothing here is graded.

# %%
from gmm_lesson.widgets import show_explorer

show_explorer(X)
