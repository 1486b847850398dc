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
# In this notebook you write both, in four small functions, then the loop that runs them:
#
# | step | function | points |
# | --- | --- | --- |
# | 1 | `log_gaussian(X, mean, cov)` | 2 |
# | 2 | `log_likelihood(X, params)` | 2 |
# | 3 | `e_step(X, params)` | 3 |
# | 4 | `m_step(X, resp)` | 4 |
# | 5 | `run_em(X, params, tol, max_iter)`: your EM loop and its stopping rule | 3 |
# | 6 | two questions | 2 |
#
# **Full covariance matrices only.** Every component here has its own $D \times D$
# covariance matrix (`covariance_type="full"`, the default of scikit-learn's
# `GaussianMixture`). The library's `diag`, `spherical` and `tied` variants are the
# same formulas with the matrices restricted; you do not write those.
#
# **How it is graded.** Replace each `raise NotImplementedError()` with your code.
# The read-only cells below each answer test it: their visible tests name the common
# mistakes, and hidden tests run when your work is graded. Write the functions with
# numpy. When your work is graded, `gmm_lesson`'s own EM functions, scikit-learn and
# scipy are not installed where your code runs, so a function that hands its step to
# them fails that step's tests. Each function is scored on its own: when a hidden test
# checks a later step, calls it makes to your earlier functions by their names
# (`log_gaussian`, `e_step`, ...) get the right results, so a bug in step 1 costs step
# 1's points only.

# %%
import matplotlib.pyplot as plt
import numpy as np

from gmm_lesson import data, em, figures

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
figures.show(fig)

# %% [markdown]
# A deliberately poor starting guess for $K = 2$ components: equal weights, round
# unit covariances, and the two means on the wrong diagonal. The data runs from the
# lower left to the upper right (the two features' correlation is 0.90); these means
# sit across it, one above and one below the data's long axis. `em.GMMParams` holds the
# three arrays: `weights` shape $(K,)$, `means` $(K, D)$, `covariances` $(K, D, D)$.
# Keep an eye on this start: in step 5 it shows how EM can stall and look finished.

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
# $\mu$ measured in units of the component's own spread. Note the **inverse**
# $\Sigma^{-1}$: a wide component (large variance) makes the same distance count less.
#
# A density is not a probability: it can exceed 1, and its log can be positive. On
# this data the two components EM finds have densities of about 1.7 and 1.1 at their means
# (from any of ten starts).
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
assert not np.isclose(at_mean[0], -0.5 * np.log(2 * np.pi)), (
    "the constant is D log(2 pi) / 2 with D = 2 here: the D is missing"
)
assert not np.isclose(at_mean[0], -2 * np.log(2 * np.pi)), (
    "the factor -1/2 is missing: log N = -(D log 2 pi + log|Sigma| + (x - mu)^T Sigma^-1 (x - mu)) / 2"
)
assert not np.isclose(at_mean[0], -np.log(2 * np.pi) - 0.5), (
    "that uses the determinant |Sigma| (here 1) where its log, log|Sigma| (here 0), belongs"
)
assert np.isclose(at_mean[0], -np.log(2 * np.pi)), (
    f"log N(0 | 0, I) in 2-D must be -log(2 pi) = {-np.log(2 * np.pi):.4f}, got {at_mean[0]:.4f}"
)
# One standard deviation away costs exactly 1/2 ...
one_sd = log_gaussian(np.array([[1.0, 0.0]]), np.zeros(2), np.eye(2))
assert np.isclose(one_sd[0], -np.log(2 * np.pi) - 0.5), (
    "one standard deviation from the mean must cost exactly 1/2: the squared Mahalanobis distance "
    f"(here 1) is halved, got a cost of {at_mean[0] - one_sd[0]:.4f}"
)
# ... and doubling every variance costs log(2) in 2-D
wider = log_gaussian(np.zeros((1, 2)), np.zeros(2), 2 * np.eye(2))
assert not np.isclose(wider[0], at_mean[0]), (
    "doubling every variance must lower the density at the mean: the log|Sigma| term is missing"
)
assert not np.isclose(wider[0], -np.log(2 * np.pi) - 2.0), (
    "that uses the determinant |Sigma| = 4 where its log, log|Sigma| = log 4, belongs"
)
assert np.isclose(wider[0], -np.log(2 * np.pi) - np.log(2)), (
    f"log N(0 | 0, 2I) in 2-D must be -log(2 pi) - log|2I| / 2 = {-np.log(2 * np.pi) - np.log(2):.4f}, "
    f"got {wider[0]:.4f}"
)
# A covariance that is not a multiple of I: variance 4 along x, 1 along y. The point (2, 0)
# is one standard deviation away along x: (x - mu)^T Sigma^-1 (x - mu) = 2 * 2 / 4 = 1.
stretched = np.array([[4.0, 0.0], [0.0, 1.0]])
value = log_gaussian(np.array([[2.0, 0.0]]), np.zeros(2), stretched)[0]
want = -np.log(2 * np.pi) - 0.5 * np.log(4.0) - 0.5
assert not np.isclose(value, want - 7.5), (
    "you multiplied by Sigma where its inverse belongs: (x - mu)^T Sigma (x - mu) = 16 here, "
    "(x - mu)^T Sigma^-1 (x - mu) = 1"
)
assert np.isclose(value, want), f"log N((2, 0) | 0, diag(4, 1)) should be {want:.4f}, got {value:.4f}"
# 40 standard deviations away the density underflows to 0 in float64; its log does not
far = log_gaussian(np.array([[40.0, 0.0]]), np.zeros(2), np.eye(2))[0]
assert np.isclose(far, -np.log(2 * np.pi) - 800), f"compute in logs, never exp() then log(): got {far}"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

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
# Write `log_likelihood(X, params)` returning the **total** over the $N$ points (not
# the mean per point) as a Python `float`. Build the $(N, K)$ array $a$ column by
# column with your `log_gaussian` (`params.weights[k]`, `params.means[k]`,
# `params.covariances[k]`).

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
per_point = log_gaussian(X, np.zeros(2), np.eye(2))
assert not np.isclose(value, per_point.mean()), (
    "that is the mean per point: return the total, the sum over all points"
)
assert np.isclose(value, per_point.sum()), (
    "with one component of weight 1, log_likelihood must be the sum of its log-densities over the "
    f"points: {per_point.sum():.4f} from your log_gaussian, got {value:.4f}"
)
# A mixture of two copies of the same Gaussian, with unequal weights, is that Gaussian too
twins = em.GMMParams([0.3, 0.7], [[0.0, 0.0], [0.0, 0.0]], [np.eye(2), np.eye(2)])
twins_value = log_likelihood(X, twins)
assert not np.isclose(twins_value, value + len(X) * np.log(2)), (
    "the weights are missing: each term is a_nk = log pi_k + log N(x_n | mu_k, Sigma_k)"
)
assert np.isclose(twins_value, value), (
    f"two copies of one Gaussian with weights 0.3 and 0.7 are that Gaussian: log L must be {value:.4f}, "
    f"got {twins_value:.4f}"
)
# A point 40 standard deviations from both components: exp(a_nk) is 0 there in float64
far = np.array([[40.0, 0.0]])
far_density = log_gaussian(far, np.zeros(2), np.eye(2))
if np.all(np.isfinite(far_density)):  # (if not, step 1's last test tells you why)
    far_value = log_likelihood(far, twins)
    assert np.isfinite(far_value), (
        f"log_likelihood is {far_value} for a far point: exp() underflowed to 0. "
        "Use the log-sum-exp trick: subtract each row's largest a_nk before exp"
    )
    assert np.isclose(far_value, far_density.sum()), (
        f"for a far point log L must still be log sum_k pi_k N(x | k) = {far_density.sum():.2f} "
        f"(m + log sum_k exp(a_k - m)), got {far_value:.2f}"
    )
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("log_likelihood", log_likelihood)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 3: the E-step
#
# The **responsibility** $r_{nk}$ is the probability that point $n$ came from
# component $k$, given the current parameters (Bayes' rule, with the densities in
# place of probabilities):
#
# $$r_{nk} = \frac{\pi_k \, \mathcal{N}(x_n \mid \mu_k, \Sigma_k)}
# {\sum_{j} \pi_j \, \mathcal{N}(x_n \mid \mu_j, \Sigma_j)}
# \quad\Longrightarrow\quad
# \log r_{nk} = a_{nk} - \log \sum_j e^{a_{nj}}.$$
#
# Unlike a density, $r_{nk}$ is a probability: between 0 and 1, and each **row** of
# $r$ (one point) sums to 1, a *soft* assignment of the point to the components.
# The denominator is the same per-point sum as in the log-likelihood, so the E-step
# gets $\log L$ for free.
#
# Write `e_step(X, params)` returning `(resp, total_log_likelihood)`: `resp` of shape
# $(N, K)$, one row per point and one column per component, and the total (not the
# mean) as a float. Compute `resp` in logs as above, then `np.exp`.

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
N = len(X)
assert np.shape(resp) != (2, N), (
    f"resp has shape (K, N) = {np.shape(resp)}: its axes are swapped. It must be (N, K) = ({N}, 2): "
    "one row per point, one column per component"
)
assert np.shape(resp) == (N, 2), f"resp must have shape (N, K) = ({N}, 2), got {np.shape(resp)}"
assert np.all(resp >= 0), "responsibilities are probabilities: never negative"
assert np.allclose(resp.sum(axis=1), 1.0), "each row of resp (one point) must sum to 1"
# the total, from your log_gaussian (no far points here, so no log-sum-exp needed)
densities = sum(
    start.weights[k] * np.exp(log_gaussian(X, start.means[k], start.covariances[k])) for k in range(2)
)
assert not np.isclose(total, np.log(densities).mean()), (
    "that is the mean log-likelihood per point: return the total, the sum over all points"
)
assert not np.isclose(total, np.log(densities).sum() + N * np.log(2)), (
    "the weights are missing from the total: each term is log pi_k + log N(x_n | mu_k, Sigma_k)"
)
assert np.isclose(total, np.log(densities).sum()), (
    "the total should be the sum over n of log sum over k of pi_k N(x_n | k)"
)
# With N = K = 2 the shape cannot tell the axes apart: two points, both on the second mean
both = e_step(np.array([[0.5, -0.5], [0.5, -0.5]]), start)[0]
assert np.allclose(both.sum(axis=1), 1.0), (
    "the columns of resp sum to 1, not its rows: the axes are swapped (or you normalised over "
    "the components' axis instead of each point's row)"
)
assert both[0, 1] > 0.5 and both[1, 1] > 0.5, (
    "a point on the second mean belongs (mostly) to the second component"
)
# Unequal weights: two copies of one Gaussian with weights 0.3 and 0.7 split every point 3 to 7
twins = em.GMMParams([0.3, 0.7], [[0.0, 0.0], [0.0, 0.0]], [np.eye(2), np.eye(2)])
split = e_step(X[:5], twins)[0]
assert not np.allclose(split, 0.5), (
    "the weights are missing: r_nk is proportional to pi_k N(x_n | mu_k, Sigma_k), "
    "so add log pi_k to each log-density"
)
assert np.allclose(split, [0.3, 0.7]), (
    "two identical components must split every point in the ratio of their weights, 0.3 to 0.7; "
    f"got {np.round(split[0], 4).tolist()} for the first point"
)
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("e_step", e_step)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_e_step_far_points", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# 40 standard deviations from both means: naive exp() gives 0 / 0 here
far = np.array([[30.0, -30.0], [-30.0, 30.0]])
if np.all(np.isfinite(log_gaussian(far, np.zeros(2), np.eye(2)))):  # (else see step 1's last test)
    resp, total = e_step(far, start)
    assert np.all(np.isfinite(resp)) and np.isfinite(total), "use the log-sum-exp trick"
    assert resp[0, 1] > 0.99 and resp[1, 0] > 0.99, "each far point belongs to the nearer mean"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

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
# points, each point counted with weight $r_{nk}$: weighted averages.
#
# $$N_k = \sum_n r_{nk}, \qquad \pi_k = \frac{N_k}{N}, \qquad
# \mu_k = \frac{1}{N_k} \sum_n r_{nk} \, x_n,$$
#
# $$\Sigma_k = \frac{1}{N_k} \sum_n r_{nk} \, (x_n - \mu_k)(x_n - \mu_k)^\top + \varepsilon I.$$
#
# Where they come from: with the responsibilities held fixed, the M-step maximises the
# expected complete-data log-likelihood
# $Q = \sum_n \sum_k r_{nk} \big(\log \pi_k + \log \mathcal{N}(x_n \mid \mu_k, \Sigma_k)\big)$.
# For the weights, which must sum to 1, add a Lagrange multiplier $\lambda$:
# $\frac{\partial}{\partial \pi_k}\big[Q + \lambda (1 - \sum_j \pi_j)\big] = \frac{N_k}{\pi_k} - \lambda = 0$,
# so $\pi_k = N_k / \lambda$, and summing over $k$ gives $\lambda = \sum_k N_k = N$. For a mean,
# $\frac{\partial Q}{\partial \mu_k} = \Sigma_k^{-1} \sum_n r_{nk} (x_n - \mu_k) = 0$ gives the weighted
# average, and the same for $\Sigma_k$ gives the weighted scatter (Bishop, *Pattern
# Recognition and Machine Learning*, section 9.3.1; section 9.2.2 reaches the same
# formulas by differentiating $\log L$ itself). $N_k$ is the "effective number of
# points" of component $k$. Divide by $N_k$, not $N_k - 1$: this is the maximum
# likelihood estimate (`np.cov` divides by $N_k - 1$ unless `bias=True`). The small
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
# Hard responsibilities: the first three points to component 0, the last two to 1
toy = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0], [9.0, 10.0], [11.0, 10.0]])
hard = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
new = m_step(toy, hard)
assert isinstance(new, em.GMMParams), "return em.GMMParams(weights, means, covariances)"
assert np.allclose(new.weights, [0.6, 0.4]), "pi_k = N_k / N"
assert np.allclose(new.means, [[1.0, 1.0], [10.0, 10.0]]), "mu_k = weighted mean of the points"
# Soft responsibilities: every point counts in both components, weighted by r_nk
soft = np.array([[0.8, 0.2], [0.6, 0.4], [0.55, 0.45], [0.1, 0.9], [0.3, 0.7]])
new = m_step(toy, soft)
assert not np.allclose(new.weights, [0.6, 0.4]), (
    "those are the weights of hard assignments (each point to its likeliest component): "
    "weigh every point by its responsibility r_nk"
)
assert np.allclose(new.weights, [0.47, 0.53]), (
    f"pi_k = N_k / N with N_k = sum_n r_nk: here N_1 = 2.35 of N = 5, got weights {new.weights.tolist()}"
)
assert np.allclose(new.means[0], soft[:, 0] @ toy / 2.35), (
    "mu_k = sum_n r_nk x_n / N_k: every point, weighted by its responsibility, divided by N_k"
)
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("m_step_weights_means", m_step)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_m_step_covariances", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
toy = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 3.0], [10.0, 10.0]])
hard = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
try:
    new = m_step(toy, hard)
except ValueError as exc:
    # a covariance divided by N_k - 1 = 0 is not finite; any other error is shown as it is
    not_finite = "covariances contains NaN or infinity" in str(exc)
    raise AssertionError(
        f"m_step failed where component 1 holds a single point (N_k = 1): {exc}."
        + (
            " Divide by N_k, not N_k - 1 (np.cov divides by N_k - 1, here 0, unless bias=True)"
            if not_finite
            else ""
        )
    ) from None
assert np.shape(new.covariances) == (2, 2, 2), "covariances must have shape (K, D, D)"
# component 0: the covariance of its three points (divided by N_k), plus reg_covar
assert not np.allclose(new.covariances[0], [[1.0, 0.0], [0.0, 3.0]] + 1e-6 * np.eye(2)), (
    "divide by N_k, not N_k - 1 (np.cov divides by N_k - 1 unless bias=True)"
)
about_all = (toy[:3] - toy.mean(axis=0)).T @ (toy[:3] - toy.mean(axis=0)) / 3 + 1e-6 * np.eye(2)
assert not np.allclose(new.covariances[0], about_all), (
    "Sigma_k is taken about the mean of all the data: use each component's own new mean mu_k"
)
assert np.allclose(new.covariances[0], [[2 / 3, 0.0], [0.0, 2.0]] + 1e-6 * np.eye(2)), (
    "Sigma_0 must be the spread of component 0's three points about their mean (1, 1), divided by "
    f"N_0 = 3, plus reg_covar * I; got {np.round(new.covariances[0], 4).tolist()}"
)
# component 1 has a single point: only reg_covar keeps it invertible
single = m_step(toy, hard, reg_covar=0.1).covariances[1]
assert np.allclose(single, 0.1 * np.eye(2)), (
    "a single point has no spread, so its covariance must be reg_covar * I (0.1 I here): add the "
    f"reg_covar argument, got {np.round(single, 6).tolist()}"
)
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("m_step_covariances", m_step)
### END HIDDEN TESTS

# %% [markdown]
# ## Step 5: your EM loop, and when to stop
#
# EM alternates the two steps. Its guarantee: the log-likelihood **never goes down**
# from one iteration to the next (the tiny `reg_covar` your M-step adds can lower it by a
# hair where a component's own spread is near $\varepsilon$; not on this data). It climbs
# to a *stationary point*, where one more iteration changes nothing, and it can take
# many iterations to get there.
#
# When to stop? `em.fit` stops after the first iteration at which the **mean**
# log-likelihood per point changed by less than `tol` (default $10^{-3}$):
#
# $$\frac{\lvert \log L_t - \log L_{t-1} \rvert}{N} < \mathrm{tol},$$
#
# or after `max_iter` iterations, whichever comes first. Dividing by $N$ makes `tol`
# mean the same for 100 points as for a million. (scikit-learn's `GaussianMixture` applies
# the same test one iteration behind, to the log-likelihoods it computed *before* each
# M-step, so it stops one iteration later. Your `run_em` follows `em.fit`.)
#
# Write `run_em(X, params, tol=1e-3, max_iter=100)` returning `(params, history)`:
# the parameters after the last iteration, and the list of total log-likelihoods,
# `history[0]` of the start and `history[t]` after iteration $t$ (one iteration: an
# E-step, then an M-step). Use your `e_step` and `m_step`. Hint: the E-step of the new
# parameters gives both their log-likelihood and the responsibilities for the next
# M-step, so one E-step per iteration is enough.

# %% nbgrader={"grade": false, "grade_id": "run_em", "locked": false, "schema_version": 3, "solution": true, "task": false}
def run_em(X, params, tol=1e-3, max_iter=100):
    """EM from params: (parameters after the last iteration, [log L of the start, after iteration 1, ...])."""
    ### BEGIN SOLUTION
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
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_run_em", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# These tests check your loop alone: while they run, e_step and m_step are replaced by
# two stand-ins with log-likelihoods chosen in advance. Each stand-in GMMParams carries its
# iteration number t as means[0, 0]; the stand-in resp carries it as resp[0, 0] = t / 10.
chosen = [-900.0, -500.0, -400.0, -399.5, -399.45, -399.44, -399.435, -399.433, -399.432, -399.4315]
points = X[:100]  # N = 100: per point, the changes are 4, 1, 0.005, 0.0005, 0.0001, ...


def stand_in_e_step(X, params):
    t = int(params.means[0, 0])
    return np.tile([t / 10, 1 - t / 10], (len(X), 1)), chosen[t]


def stand_in_params(t):
    return em.GMMParams([0.5, 0.5], [[t, 0.0], [0.0, 0.0]], [np.eye(2), np.eye(2)])


def stand_in_m_step(X, resp, reg_covar=1e-6):
    return stand_in_params(round(resp[0, 0] * 10) + 1)


def run_em_with_stand_ins(**options):
    # run_em from the stand-in start (t = 0), with the stand-ins; your e_step and m_step put back
    yours = {"e_step": globals().get("e_step"), "m_step": globals().get("m_step")}
    globals().update(e_step=stand_in_e_step, m_step=stand_in_m_step)
    try:
        params, history = run_em(points, stand_in_params(0), **options)
    finally:
        globals().update(yours)
    return int(params.means[0, 0]), list(history)


# tol=0 never stops early: exactly max_iter iterations, the start's log L and one per iteration
last, history = run_em_with_stand_ins(tol=0.0, max_iter=5)
assert len(history) == 6, (
    "with tol=0 and max_iter=5, history holds 6 numbers (the start's, then one per iteration), "
    f"got {len(history)}"
)
assert history[0] != chosen[1], (
    "history[0] must be the start's log-likelihood (-900 here); yours begins after the first iteration"
)
assert history[0] == chosen[0], (
    f"history[0] is {history[0]}, not the stand-in start's -900.0: this test replaces your e_step and "
    "m_step with stand-ins, so run_em must call them by those names (e_step(...), not em.e_step(...))"
)
assert history == chosen[:6], (
    f"history[t] is the log-likelihood after iteration t (history[0]: the start's), got {history}"
)
assert last == 5, f"run_em should return the parameters after the last iteration (5), got those after {last}"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("run_em", run_em)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_run_em_stops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# The stopping rule: stop after the first iteration whose change of log L per point is below tol
last, history = run_em_with_stand_ins(tol=1e-3)  # per point: 4, 1, 0.005, 0.0005: stop after 4
assert history[:1] == chosen[:1], (
    f"history must begin with the start's log-likelihood, the stand-ins' -900.0, got {history[:1]}"
)
assert history != chosen[:4], (
    "run_em stopped after 3 iterations: the 4th is the first whose change per point (0.0005) is below "
    "tol, and it still counts. Did the loop break before recording it? Append its log-likelihood "
    "(and keep its parameters), then stop"
)
assert len(history) > 4, (
    f"run_em stopped after {len(history) - 1} iterations, before the change per point fell below tol"
)
assert len(history) == 5, (
    f"run_em went on for {len(history) - 1} iterations: stop after the first one whose change of log L "
    "per point is below tol (4 here), and divide the change of the total by N (tol is per point)"
)
assert history == chosen[:5], f"history[t] is the log-likelihood after iteration t, got {history}"
assert last == 4, f"run_em should return the parameters of its last iteration (4), got those after {last}"
last, history = run_em_with_stand_ins(tol=1e-3, max_iter=2)
assert len(history) == 3 and last == 2, "stop after max_iter iterations even if the change is still above tol"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("run_em_stops", run_em)
### END HIDDEN TESTS

# %%
params, history = run_em(X, start, tol=0.0, max_iter=30)
print(f"log L after {len(history) - 1} iterations: {history[-1]:.1f}")
print("means:", np.round(params.means, 2).tolist())

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(len(history)), history, marker="o", markersize=3)
ax.set(xlabel="iteration", ylabel="log-likelihood (total)", title="Your EM on Old Faithful, 30 iterations")
figures.show(fig)

# %% [markdown]
# Flat after the first few iterations: it looks finished. With the default `tol`,
# `em.fit` agrees: from the same start it stops after 2 iterations and reports
# `converged=True` (scikit-learn's `GaussianMixture` from the same start stops after 3,
# also "converged": its test runs one iteration behind, so it ends one iteration further
# up the same plateau, at $-544.35$ against $-544.48$):

# %%
library = em.fit(X, 2, init=start)  # tol=1e-3, the default
print(f"em.fit: {library.n_iter} iterations, converged={library.converged}, "
      f"log L = {library.history[-1]:.1f}")

# %% [markdown]
# But both means are still near the origin. Run your EM for longer, with `tol=0`:

# %%
params_long, history_long = run_em(X, start, tol=0.0, max_iter=150)
best = history_long[-1]
print(f"after 30 iterations: {history_long[30]:.1f};  after 150: {best:.1f}")
print("first iteration within 0.05 of that:", next(t for t, v in enumerate(history_long) if v > best - 0.05))
print("means:", np.round(params_long.means, 2).tolist())

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(range(len(history_long)), history_long)
ax.axvline(30, color="0.6", linestyle=":", label="where the plot above stopped")
ax.set(xlabel="iteration", ylabel="log-likelihood (total)", title="The same start, 150 iterations")
ax.legend(loc="lower right")
figures.show(fig)

# %% [markdown]
# ### A plateau, a saddle, and "converged" that is not optimal
#
# After 30 iterations $\log L$ is $-542.2$; the optimum is $-385.5$, reached only
# around iteration 120. In between, EM crawled along a **plateau**: from iteration 2 to
# 100 $\log L$ stays between $-544.5$ and $-541.2$, just above a single Gaussian's
# $-545.0$. The poor start's means sit on either side of the data's long axis, so each
# takes about half of both clusters, and the first M-step made both components near
# copies of one Gaussian fitted to all the data. Two
# identical copies of that Gaussian are a *stationary point* of the likelihood (an EM
# step leaves them where they are) and not a maximum: pulling the two means apart, and
# narrowing each component to match, raises $\log L$, and not a minimum: widening one
# component alone lowers it. Such a point is a **saddle**, and near it each iteration
# moves the parameters only a little. The means first drift apart across the long axis, then turn towards it, and
# around iteration 105 EM escapes in a few big steps.
#
# On the plateau $\log L$ rises by as little as $4 \times 10^{-6}$ per point per
# iteration, far below `tol`: so `em.fit` and scikit-learn stop there and say
# "converged". **Converged means "changed by less than `tol`", not "optimal"**: a
# smaller `tol` runs on (`tol=1e-4` stops at iteration 37 still on the plateau,
# $-542.0$; `tol=1e-6` runs 123 iterations and reaches $-385.5$), but the cheap and
# usual remedy is **several starts**: scikit-learn's `n_init`, or a few seeds, keeping
# the best. Every one of ten k-means++ starts below reaches $-385.5$ within 3
# iterations:

# %%
for seed in range(10):
    fitted = em.fit(X, 2, seed=seed)
    print(f"seed {seed}: log L = {fitted.history[-1]:.1f} after {fitted.n_iter} iteration(s)")

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

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("test_q1", answer_q1)

# %% nbgrader={"grade": true, "grade_id": "test_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q1, str) and answer_q1.strip().upper() in {"A", "B", "C", "D"}, (
    "answer with one letter, for example answer_q1 = \"A\""
)
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

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

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("test_q2", answer_q2)

# %% nbgrader={"grade": true, "grade_id": "test_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q2, str) and answer_q2.strip().upper() in {"A", "B", "C", "D"}, (
    "answer with one letter, for example answer_q2 = \"A\""
)
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q2, question="test_q2")
### END HIDDEN TESTS

# %% [markdown]
# ## Explore
#
# The explorer replays the library's EM on this data one half-step at a time, from
# **the poor start above** (`init=start`), with a small `tol` so that it runs on along
# the plateau: press Play or move the iteration slider to watch the E-step recolour the
# points and the M-step move the ellipses, the long flat stretch near the saddle, and the
# escape. Change the seed to start from k-means++ instead: it reaches the same $\log L$
# in a few iterations, with no plateau. Change $K$ to refit. (When the notebook is graded
# it draws a still picture instead.) Nothing here is graded.

# %%
from gmm_lesson.widgets import show_explorer

show_explorer(X, init=start, tol=1e-6, max_iter=150)

# %% [markdown]
# ## Your EM beside the library's
#
# The same explorer can run **your** `e_step` and `m_step` beside the library's, from the
# same start (`init=start`, the poor start above), for 30 iterations each. It draws both
# log-likelihood curves and both sets of ellipses, with a slider for the iteration, and
# says in words
#
# - the **first half-step where they part**: your function is given the same input as the
#   library's (the library's parameters for an E-step, its responsibilities for an
#   M-step), so a difference is pinned on the function that made it, and named:
#   responsibilities, log-likelihood, weights, means or covariances;
# - every iteration at which **your log-likelihood went down** (EM never lowers it);
# - what went wrong, in one sentence, when your code raises, returns the wrong shape or
#   type, or returns NaN.
#
# It runs in this notebook's kernel, on your functions as they are now: edit one, run its
# cell, then run this cell again. Nothing here is graded.

# %%
show_explorer(X, e_step=e_step, m_step=m_step, init=start, max_iter=30)
