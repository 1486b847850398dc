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
# # EM in depth
#
# Four questions a first fit leaves open, each answered by running code:
#
# 1. Why does EM never lower the log-likelihood, and why is its curve flat over every E-step?
# 2. When EM says "converged", has it found the best fit?
# 3. How is a Gaussian mixture different from k-means, and how are they related?
# 4. What else is a mixture good for, once it is a density? And what does each covariance
#    type cost in parameters?

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from gmm_lesson import bound, data, density, em, figures, kmeans, plots

# %% [markdown]
# ## 1. Why EM never lowers the log-likelihood
#
# Take any responsibilities $q_{nk}$ (each row a distribution over the $K$ components)
# and write each point's likelihood as an average over them:
#
# $$\log p(x_n) = \log \sum_k q_{nk}\,\frac{\pi_k\,\mathcal N(x_n\mid\mu_k,\Sigma_k)}{q_{nk}}
# \;\ge\; \sum_k q_{nk} \log \frac{\pi_k\,\mathcal N(x_n\mid\mu_k,\Sigma_k)}{q_{nk}}.$$
#
# The inequality is Jensen's: $\log$ is concave, so the log of an average is at least the
# average of the logs. Summed over the points this is a **lower bound** $B(q,\theta)$ on
# $\log L(\theta)$, for every $q$. `bound.lower_bound(X, params, resp)` computes it.
#
# * **The E-step makes it tight.** With $q_{nk} = r_{nk}$, the posterior, every ratio inside
#   the log equals $p(x_n)$, and the average of a constant is that constant: $B = \log L$.
# * **The M-step raises it.** With $q$ fixed, the M-step's weighted averages are the
#   parameters that maximise $B(q, \theta)$.
#
# So $\log L(\theta_{new}) \ge B(q, \theta_{new}) \ge B(q, \theta_{old}) = \log L(\theta_{old})$.
#
# In the words of variational inference, $B(q, \theta)$ is the **evidence lower bound (ELBO)**,
# and the gap is a **Kullback-Leibler divergence**, the sum over points of how far each row
# $q_n$ is from the posterior $r_n$:
# $\log L(\theta) - B(q, \theta) = \sum_n \mathrm{KL}(q_n \,\|\, r_n) = \sum_n \sum_k q_{nk} \log \frac{q_{nk}}{r_{nk}} \ge 0$,
# zero exactly when $q_n = r_n$: that is why the E-step makes the bound tight.
#
# (Exactly so with `reg_covar=0`. The default `reg_covar` adds $10^{-6}$ to every variance
# after the maximisation, so the M-step is then only nearly the maximiser: harmless unless a
# variance is itself close to that floor, as for a component squeezed onto almost a single
# point or data measured on a tiny scale, where $\log L$ can dip; see `choosing_k`.)

# %%
X, _, _ = data.standardize(data.load_old_faithful())   # 272 eruptions: duration, waiting time
start = em.GMMParams(weights=[0.5, 0.5], means=[[0.0, -1.5], [0.5, 1.5]], covariances=[np.eye(2), np.eye(2)])
resp, log_l = em.e_step(X, start)
print(f"log L at the start:                  {log_l:.4f}")
print(f"bound, q = the E-step's resp:        {bound.lower_bound(X, start, resp):.4f}")
print(f"bound, q = 1/2 for every component:  {bound.lower_bound(X, start, np.full_like(resp, 0.5)):.4f}")

# %% [markdown]
# Hold $q$ at the E-step's responsibilities and move one parameter, the first coordinate of
# component 0's mean. The bound (dashed) lies below $\log L$ everywhere, touches it at the
# current value, and peaks where the M-step puts that coordinate (the weighted mean; the
# start's covariances are round, so one coordinate can be moved on its own). The M-step moves
# every parameter at once, each to the top of the bound.

# %%
new = em.m_step(X, resp)
values = np.linspace(-2.0, 0.5, 101)
log_l_line, bound_line = bound.bound_along_mean(X, start, resp, component=0, feature=0, values=values)
fig, ax = plt.subplots(figsize=(6, 3.6))
plots.plot_lower_bound(ax, values, log_l_line, bound_line, old=start.means[0, 0], new=new.means[0, 0],
                       xlabel="component 0's mean, eruption duration (standardised)")
figures.show(fig)
print(f"log L(old) = B(q, old) = {log_l:.2f}  <=  B(q, new) = {bound.lower_bound(X, new, resp):.2f}"
      f"  <=  log L(new) = {em.log_likelihood(X, new):.2f}")

# %% [markdown]
# The same story over several iterations. The explorer draws $\log L$
# after every half-step, and it is **flat over every E-step**: the E-step does not change
# the parameters, so $\log L$ cannot change. What the E-step changes is the bound: after an
# M-step the old responsibilities leave a gap (squares below the line); the E-step closes it.

# %%
run = em.fit(X, 2, init=start, max_iter=6, tol=0.0)
trace_log_l, trace_bound = bound.bound_trace(X, run.steps)
fig, ax = plt.subplots(figsize=(7, 3.4))
plots.plot_bound_trace(ax, run.steps, trace_log_l, trace_bound)
figures.show(fig)
for step, ll, b in list(zip(run.steps, trace_log_l, trace_bound, strict=True))[:5]:
    print(f"iteration {step.iteration} {step.phase:>4}: log L {ll:9.3f}   bound {b:9.3f}   gap {ll - b:7.3f}")

# %% [markdown]
# ## 2. "Converged" is not "optimal"
#
# `em.fit` stops after the M-step at which the **mean log-likelihood per sample** changed by
# less than `tol` (default $10^{-3}$): on 272 points, a total gain below $0.272$ (scikit-learn
# applies the same test one iteration behind, to the values before each M-step, so it stops
# one iteration later). A small gain says EM is moving slowly, not that it has arrived.
#
# Take a deliberately poor guess: both means on the wrong diagonal (duration and waiting
# time rise together, the means lie across that), mirror images through the origin.

# %%
poor = em.GMMParams(weights=[0.5, 0.5], means=[[-0.5, 0.5], [0.5, -0.5]], covariances=[np.eye(2), np.eye(2)])
quick = em.fit(X, 2, init=poor)
print(f"em.fit, tol=1e-3: converged={quick.converged} after {quick.n_iter} iterations, "
      f"log L = {quick.history[-1]:.2f}, means {np.round(quick.params.means, 2).tolist()}")
precisions = np.linalg.inv(poor.covariances)
sk = GaussianMixture(2, weights_init=poor.weights, means_init=poor.means, precisions_init=precisions).fit(X)
print(f"scikit-learn:     converged={sk.converged_} after {sk.n_iter_} iterations, "
      f"log L = {sk.score(X) * len(X):.2f}")

# %% [markdown]
# Both stop on the plateau near the saddle, far below the optimum. Run on with `tol=0`
# (never stop early) and watch:

# %%
long = em.fit(X, 2, init=poor, max_iter=200, tol=0.0)
history = np.array(long.history)
arrived = int(np.argmax(history > history[-1] - 1.0))   # first iteration within 1 of the end
fig, ax = plt.subplots(figsize=(7, 3.4))
plots.plot_log_likelihood(ax, long, scale="linear")
ax.axvline(quick.n_iter, color="#D55E00", linestyle="--", label=f"tol=1e-3 stops here ({quick.n_iter})")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
figures.show(fig)
for t in (quick.n_iter, 30, 100, arrived, long.n_iter):
    means = np.round(long.steps[2 * t].params.means, 2).tolist()
    print(f"iteration {t:3d}: log L {history[t]:8.2f}, means {means}")

# %% [markdown]
# For about a hundred iterations the two means hover near the origin, the log-likelihood
# creeping up by less than a unit per iteration; then, in some fifteen iterations, it climbs
# to the fit of the two eruption types.
#
# Why so slow? The start is mirrored through the centre of the data, and its first M-step
# makes both components almost the same Gaussian: the **one-Gaussian fit**, twice. Two
# identical components are a **stationary point** of the two-component likelihood: started
# exactly there, EM never leaves.

# %%
one = em.fit(X, 1)
twice = em.GMMParams([0.5, 0.5], np.repeat(one.params.means, 2, axis=0),
                     np.repeat(one.params.covariances, 2, axis=0))
stuck = em.fit(X, 2, init=twice, max_iter=50, tol=0.0)
print(f"one Gaussian:                        log L = {one.history[-1]:.2f}")
print(f"two copies of it, after 50 EM steps: log L = {stuck.history[-1]:.2f}, "
      f"means moved by {np.abs(stuck.params.means - twice.means).max():.1e}")
print(f"the poor start after iteration 2:    log L = {history[2]:.2f}")

# %% [markdown]
# It is not a maximum: pulling the two copies apart along the poor start's diagonal, while
# narrowing them, raises $\log L$; most other small moves lower it. A stationary point that
# is uphill in some directions and downhill in others is a **saddle**: flat to first order,
# so near it EM's steps are tiny and a per-sample `tol` reads them as "converged".
#
# What EM does promise: $\log L$ never goes down, and it heads for a stationary point: a
# local maximum, or, from a start like this, first a long while near a saddle. What helps
# most is several starts, keeping the best (scikit-learn's `n_init`,
# `density.best_of_starts` here). Ten k-means++ starts:

# %%
starts = {seed: em.fit(X, 2, seed=seed) for seed in range(10)}
finals = np.array([fit.history[-1] for fit in starts.values()])
n_iters = [fit.n_iter for fit in starts.values()]
print(f"ten k-means++ starts: final log L from {finals.min():.2f} to {finals.max():.2f}, "
      f"after {min(n_iters)} to {max(n_iters)} iterations")
print(f"the poor start, run to the end: {long.history[-1]:.2f}")

# %% [markdown]
# Each of them lands on the two-type fit within a few iterations. When a run stops
# suspiciously early, look at its curve or lower `tol`; and the best of several runs is still
# only the best *found*.

# %% [markdown]
# **depth_q1** (easy)
#
# `em.fit(X, 2)` returns a model with `converged == True`. What does that tell you?
#
# - **A.** The global maximum of the log-likelihood has been found.
# - **B.** In the last iteration the mean log-likelihood per sample rose by less than `tol`.
# - **C.** The parameters did not change at all in the last iteration.
# - **D.** No other start could reach a higher log-likelihood.
#
# In the next cell, set `answer_q1` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "depth_q1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q1 = "B"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("depth_q1", answer_q1)

# %% nbgrader={"grade": true, "grade_id": "depth_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q1, str) and answer_q1.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q1 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q1, question="depth_q1")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. GMM versus k-means
#
# k-means gives every point to **one** cluster (a hard assignment) and describes a cluster
# by its centre alone. A mixture gives every point a **share** of each component (soft
# responsibilities) and describes each component by a weight, a mean and a covariance. On
# the Iris sepal data with $K=3$, the points a mixture is least sure about:

# %%
Z_iris, _, _ = data.standardize(data.load_iris_sepal())
gmm_iris = em.fit(Z_iris, 3, seed=0)
km_iris = KMeans(3, n_init=10, random_state=0).fit(Z_iris)
resp_iris = gmm_iris.predict_proba(Z_iris)
for n in np.argsort(resp_iris.max(axis=1))[:3]:
    print(f"flower {n:3d}: mixture responsibilities {np.round(resp_iris[n], 2)}, "
          f"k-means label {km_iris.labels_[n]}")

# %% [markdown]
# Because it only measures distance to a centre, k-means draws straight borders half-way
# between centres. It fails when clusters are **elongated** (two long parallel clusters:
# the nearest centre is often the wrong one) or **unequal** (a wide cluster beside a tight
# one: the border sits half-way, inside the wide cluster). A full-covariance mixture, best of
# ten starts, follows the shapes. The adjusted Rand index (ARI) compares each labelling with
# the truth: 1 is perfect, 0 is chance.

# %%
cases = {"elongated": kmeans.elongated_pair(seed=0), "wide and tight": kmeans.big_and_small(seed=0)}
fig, axes = plt.subplots(2, 2, figsize=(9, 7), constrained_layout=True)
for row, (name, (points, truth)) in zip(axes, cases.items(), strict=True):
    km = KMeans(2, n_init=10, random_state=0).fit(points)
    gmm = density.best_of_starts(points, 2, range(10))
    plots.plot_labels(row[0], points, km.labels_, centres=km.cluster_centers_)
    row[0].set_title(f"{name}: k-means, ARI {adjusted_rand_score(truth, km.labels_):.2f}")
    plots.plot_mixture_2d(row[1], points, gmm.params, legend=False)
    row[1].set(xlabel="x", ylabel="y",
               title=f"{name}: mixture, ARI {adjusted_rand_score(truth, gmm.predict(points)):.2f}")
figures.show(fig)

# %% [markdown]
# **k-means is a limit of EM.** Fix every weight at $1/K$ and every covariance at
# $\sigma^2 I$, and let EM move only the means. The responsibilities are then a soft-max of
# $-\|x_n-\mu_k\|^2 / 2\sigma^2$; as $\sigma^2 \to 0$ the nearest mean takes everything, and the
# M-step's weighted means become each cluster's plain mean: Lloyd's k-means.
# `kmeans.shared_variance_em` runs this EM; here it starts from the same three flowers as
# scikit-learn's k-means:

# %%
centres0 = Z_iris[[0, 50, 100]]
lloyd = KMeans(3, init=centres0, n_init=1, algorithm="lloyd").fit(Z_iris)
for variance in (1.0, 0.1, 0.01, 1e-3, 1e-4):
    limit = kmeans.shared_variance_em(Z_iris, centres0, variance, max_iter=500)
    same = (limit.labels == lloyd.labels_).mean()
    print(f"sigma^2 = {variance:<6g}: labels equal to k-means for {same:6.1%} of the points, "
          f"smallest top responsibility {limit.resp.max(axis=1).min():.3f}, "
          f"means differ by {np.abs(limit.means - lloyd.cluster_centers_).max():.1e}")

# %% [markdown]
# **depth_q2** (medium)
#
# Two long, thin, parallel clusters lie side by side, closer to each other than they are long. Which model can separate them, and why?
#
# - **A.** k-means: it minimises the distance of every point to its centre.
# - **B.** A mixture with full covariances: each component can stretch along its own cluster.
# - **C.** A mixture with spherical covariances: round components are the most stable.
# - **D.** Neither: no clustering method can separate overlapping clusters.
#
# In the next cell, set `answer_q2` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "depth_q2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q2 = "B"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("depth_q2", answer_q2)

# %% nbgrader={"grade": true, "grade_id": "depth_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q2, str) and answer_q2.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q2 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q2, question="depth_q2")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. A mixture is a density
#
# A fitted mixture is a probability **density** $p(x) = \sum_k \pi_k\,\mathcal N(x\mid\mu_k,\Sigma_k)$
# over the whole plane, not only a clustering. `density.score_samples` gives $\log p(x)$ at
# any point, as scikit-learn's `GaussianMixture.score_samples` does; summed over the data it is
# the log-likelihood.

# %%
Z, X_new, planted = density.faithful_with_new_eruptions()
model = em.fit(Z, 2, seed=0)
scores = density.score_samples(Z, model.params)
sk_model = GaussianMixture(2, random_state=0).fit(Z)
same_params = em.GMMParams(sk_model.weights_, sk_model.means_, sk_model.covariances_)
print(f"sum of log p(x_n) = {scores.sum():.4f},  em.log_likelihood = {model.history[-1]:.4f}")
print("largest difference from scikit-learn's score_samples, same parameters: "
      f"{np.abs(density.score_samples(Z, same_params) - sk_model.score_samples(Z)).max():.1e}")

# %% [markdown]
# **The generative story.** A mixture also says how data could arise: for each point, draw a
# hidden label $z$ with probabilities $\pi$, then draw $x$ from component $z$.
# `density.sample` does exactly that and returns the labels it drew, which real data never
# shows us (EM's responsibilities are its guess of them).

# %%
fake, hidden = density.sample(model.params, len(Z), seed=0)
names = ("duration (standardised)", "waiting (standardised)")
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharex=True, sharey=True, constrained_layout=True)
plots.plot_labels(axes[0], Z, model.predict(Z), labels_xy=names)
axes[0].set_title("real eruptions, coloured by the fit")
plots.plot_labels(axes[1], fake, hidden, labels_xy=names)
axes[1].set_title("drawn from the fit, coloured by z")
figures.show(fig)
_, many = density.sample(model.params, 10_000, seed=1)
print("share of each hidden label in 10,000 draws:", np.round(np.bincount(many) / len(many), 3),
      "  weights:", np.round(model.params.weights, 3))

# %% [markdown]
# **Anomalies.** A new point where the density is low is unusual. A common rule: take as
# threshold the log-density below which 1% of the training points fall, and flag every new
# point below it. (By construction it also flags about 1% of ordinary new points.)
#
# `X_new` holds 15 new eruptions: 12 drawn from the fit, and 3 planted ones that never
# happened (`planted` marks them).
#
# **Your turn.** Set `threshold` to `np.quantile` of the training points' log-densities
# (`density.score_samples(Z, model.params)`) at `0.01`, and `flagged` to the indices of the
# points of `X_new` whose log-density is below `threshold` (for example with `np.flatnonzero`).

# %% nbgrader={"grade": false, "grade_id": "anomaly_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
threshold = np.quantile(density.score_samples(Z, model.params), 0.01)
flagged = np.flatnonzero(density.score_samples(X_new, model.params) < threshold)
### END SOLUTION
print(f"threshold {threshold:.3f}; flagged {[int(i) for i in flagged]}; "
      f"planted {np.flatnonzero(planted).tolist()}")

# %% nbgrader={"grade": true, "grade_id": "test_anomaly", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert np.ndim(threshold) == 0, "threshold must be one number"
assert np.asarray(flagged).dtype != bool, (
    "flagged is a boolean mask: give the indices of the flagged eruptions (np.flatnonzero)"
)
assert all(0 <= int(i) < len(X_new) for i in flagged), "flagged must hold indices of X_new"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("anomaly_threshold", threshold, flagged, fraction=0.01)
### END HIDDEN TESTS

# %%
fig, ax = plt.subplots(figsize=(7, 4))
plots.plot_anomalies(ax, Z, model.params, threshold, X_new, flagged,
                     labels=("duration (standardised)", "waiting (standardised)"))
figures.show(fig)

# %% [markdown]
# **Choosing K with held-out data.** The training log-likelihood always rises with K. BIC
# corrects it with a charge per parameter; another way is to keep some eruptions apart and
# ask how well each fit predicts them: the **held-out** mean log-likelihood, $\log p$ per
# held-out point. A fit that memorises its training points predicts new ones worse.
#
# **Your turn.** Split with `X_train, X_test = density.held_out_split(Z, 72, seed=0)`. For
# every K from 1 to 6, fit `density.best_of_starts(X_train, K, range(5))` (the best of five
# starts) and compute `.score(X_test)`, the mean log-likelihood of the held-out eruptions.
# Store the K with the **highest** held-out score, as an `int`, in `best_k_heldout`.

# %% nbgrader={"grade": false, "grade_id": "heldout_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
X_train, X_test = density.held_out_split(Z, 72, seed=0)
held_out = {K: density.best_of_starts(X_train, K, range(5)).score(X_test) for K in range(1, 7)}
best_k_heldout = max(held_out, key=held_out.get)
### END SOLUTION
best_k_heldout

# %% nbgrader={"grade": true, "grade_id": "test_heldout", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert isinstance(best_k_heldout, int | np.integer), "best_k_heldout must be an integer"
assert 1 <= best_k_heldout <= 6, "best_k_heldout must be one of the K you tried, 1 to 6"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("best_k_heldout", best_k_heldout, n_test=72, split_seed=0, seeds=5)
### END HIDDEN TESTS

# %% [markdown]
# How firm is that choice? The same recipe on five different splits, beside BIC (best of five
# starts on all the data):

# %%
ks = range(1, 7)
bic = {K: density.best_of_starts(Z, K, range(5)).bic(Z) for K in ks}
fig, ax = plt.subplots(figsize=(6.5, 3.4))
picks, jumps, spreads = {}, [], []
for split in range(5):
    train, test = density.held_out_split(Z, 72, seed=split)
    curve = [density.best_of_starts(train, K, range(5)).score(test) for K in ks]
    picks[split] = 1 + int(np.argmax(curve))
    jumps.append(max(curve[1:]) - curve[0])
    spreads.append(max(curve[1:]) - min(curve[1:]))
    ax.plot(list(ks), curve, marker="o", label=f"split seed {split}")
ax.set(xlabel="number of components K", ylabel="held-out log-likelihood per point")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
figures.show(fig)
print("held-out picks K =", picks, "  BIC picks K =", min(bic, key=bic.get))
print(f"from K=1 to the best K >= 2: up {min(jumps):.2f} to {max(jumps):.2f} per point; "
      f"between the K >= 2: at most {max(spreads):.2f} apart")


# %% [markdown]
# Every split puts $K=1$ far below the rest, and from $K=2$ on the curves lie closer
# together than that jump (printed above): 200 training eruptions cannot
# tell two components from five, so which $K \ge 2$ wins moves with the split. BIC's charge
# per parameter settles the near-tie on the simplest. Held-out likelihood needs no
# parameter count and suits any model; it costs data and refits, and on small data it is
# noisy.

# %% [markdown]
# ## 5. The four covariance types and what they cost
#
# Each component has $D$ numbers for its mean and there are $K-1$ free weights (they sum to
# 1). The covariances cost
#
# | `covariance_type` | each component's shape | covariance numbers |
# | --- | --- | --- |
# | `full` | any ellipse | $K \cdot D(D+1)/2$ |
# | `diag` | an ellipse along the axes | $K \cdot D$ |
# | `spherical` | a circle | $K$ |
# | `tied` | one ellipse shared by all | $D(D+1)/2$ |
#
# **Your turn.** Write `n_parameters(covariance_type, n_components, n_features)` returning the
# number of free parameters of a mixture (covariances, means and weights), as BIC counts them.

# %% nbgrader={"grade": false, "grade_id": "n_parameters_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def n_parameters(covariance_type, n_components, n_features):
    """Free parameters of a Gaussian mixture: covariances + means + weights."""
    ### BEGIN SOLUTION
    K, D = n_components, n_features
    covariance = {"full": K * D * (D + 1) // 2, "diag": K * D, "spherical": K, "tied": D * (D + 1) // 2}
    return covariance[covariance_type] + K * D + (K - 1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_n_parameters", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert n_parameters("spherical", 1, 1) == 2, "one component in 1-D: a mean and a variance, no free weight"
assert n_parameters("full", 2, 2) == 11, "K=2, D=2, full: 6 covariance numbers, 4 means, 1 weight"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("n_parameters", n_parameters)
### END HIDDEN TESTS

# %% [markdown]
# The four types side by side on the eruptions, $K = 3$, with each fit's parameter count, and
# your function beside scikit-learn's count for the same model:

# %%
fits = {cov: em.fit(Z, 3, seed=0, covariance_type=cov) for cov in em.COVARIANCE_TYPES}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharex=True, sharey=True, constrained_layout=True)
plots.plot_covariance_types(axes, Z, fits, labels=("duration (standardised)", "waiting (standardised)"))
figures.show(fig)
for cov, fit in fits.items():
    sk_count = GaussianMixture(3, covariance_type=cov).fit(Z)._n_parameters()
    print(f"{cov:>9}: n_parameters {n_parameters(cov, 3, 2):2d}, scikit-learn {sk_count:2d}, "
          f"BIC {fit.bic(Z):7.1f}")

# %% [markdown]
# ## Summary
#
# * EM climbs a lower bound that the E-step makes tight and the M-step raises, so
#   $\log L$ never goes down, and it is flat over every E-step.
# * `converged` means the gain per sample fell below `tol`: near a saddle that can happen
#   long before the best fit. Use several starts (`n_init`) and look at the curve.
# * k-means is EM with equal weights and one round variance shrunk to zero: hard
#   assignments, straight borders. A full-covariance mixture follows elongated and unequal
#   clusters.
# * A mixture is a density: score points, draw new ones (label first), flag unlikely points,
#   and compare K on held-out data as well as by BIC.
# * Covariance types trade shape for parameters: from two features on, `full` costs more
#   than `diag`, which costs more than `spherical`; `tied` shares one shape.
