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
# # Choosing K, the covariance type and the start
#
# EM fits a mixture for a *given* number of components K. This notebook asks how to choose
# K and the covariance type, why different starts end in different places, and what
# happens when a component collapses onto a few points.

# %%
import matplotlib.pyplot as plt
import numpy as np

from gmm_lesson import data, em, figures, plots

# %% [markdown]
# ## BIC and AIC: fit, minus a charge for parameters
#
# More components always let the mixture hug the data more closely, so the log-likelihood
# alone would always ask for more. Information criteria charge for each free parameter:
#
# * **BIC** $= -2\log L + p \log N$ (Bayesian information criterion)
# * **AIC** $= -2\log L + 2p$ (Akaike information criterion)
#
# with $\log L$ the total log-likelihood, $p$ the number of free parameters and $N$ the
# number of samples. **Lower is better**, the same sign convention as scikit-learn's
# `GaussianMixture.bic` and `.aic`. `em.fit(...).bic(X)` and `.aic(X)` compute them.

# %% [markdown]
# **choosing_q1** (easy)
#
# `FittedGMM.bic(X)` here and scikit-learn's `GaussianMixture.bic(X)` both compute BIC = -2 log L + p log N. Comparing models fitted on the same data, which do you prefer?
#
# - **A.** The model with the highest BIC.
# - **B.** The model with the lowest BIC.
# - **C.** The model whose BIC is closest to 0.
# - **D.** None: BIC cannot compare models with different K.
#
# In the next cell, set `answer_q1` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "choosing_q1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q1 = "B"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("choosing_q1", answer_q1)

# %% nbgrader={"grade": true, "grade_id": "choosing_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q1, str) and answer_q1.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q1 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q1, question="choosing_q1")
### END HIDDEN TESTS

# %% [markdown]
# ## Which K for Old Faithful?
#
# The Old Faithful data: duration of each eruption and the waiting time before the next
# one, 272 eruptions, standardised.

# %%
Z_faithful, _, _ = data.standardize(data.load_old_faithful())
Z_faithful.shape

# %% [markdown]
# **Your turn.** For every K from 1 to 6, fit `em.fit(Z_faithful, K, seed=0)` (full
# covariances, the default) and compute its BIC on `Z_faithful`. Store the K with the
# **lowest** BIC, as an `int`, in `best_k`.

# %% nbgrader={"grade": false, "grade_id": "best_k_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
bic_by_k = {K: em.fit(Z_faithful, K, seed=0).bic(Z_faithful) for K in range(1, 7)}
best_k = min(bic_by_k, key=bic_by_k.get)
### END SOLUTION
best_k

# %% nbgrader={"grade": true, "grade_id": "choosing_best_k", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert isinstance(best_k, int | np.integer), "best_k must be an integer"
assert 1 <= best_k <= 6, "best_k must be one of the K you tried, 1 to 6"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("best_k_bic", best_k)
### END HIDDEN TESTS

# %% [markdown]
# Here are both criteria for every K. AIC charges 2 per parameter, BIC charges
# $\log N$ per parameter (more than 2 as soon as $N > e^2 \approx 7.4$), so BIC never
# prefers more parameters than AIC would for the same fits.

# %%
fits = {K: em.fit(Z_faithful, K, seed=0) for K in range(1, 7)}
bic = {K: fit.bic(Z_faithful) for K, fit in fits.items()}
aic = {K: fit.aic(Z_faithful) for K, fit in fits.items()}
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot(list(bic), list(bic.values()), "o-", label="BIC")
ax.plot(list(aic), list(aic.values()), "s--", label="AIC")
ax.set_xlabel("number of components K")
ax.set_ylabel("criterion (lower is better)")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # beside the plot, off the data
figures.show(fig)
print("BIC picks K =", min(bic, key=bic.get), "  AIC picks K =", min(aic, key=aic.get))

# %%
best = fits[min(bic, key=bic.get)]
fig, ax = plt.subplots(figsize=(5, 4))
plots.plot_mixture_2d(ax, Z_faithful, best.params)
ax.set_xlabel("eruption duration (standardised)")
ax.set_ylabel("waiting time (standardised)")
ax.set_title(f"the BIC choice: K = {best.params.n_components}")
figures.show(fig)

# %% [markdown]
# ## Covariance types
#
# Each component's covariance can be
#
# * `full`: its own ellipse, any tilt ($D(D+1)/2$ numbers per component),
# * `diag`: its own axis-aligned ellipse ($D$ numbers),
# * `spherical`: its own circle (1 number),
# * `tied`: one ellipse shape shared by all components ($D(D+1)/2$ numbers in total).
#
# Fewer parameters cost less BIC, but may fit worse. BIC compares every combination of K
# and covariance type on the same footing:

# %%
seeds = range(10)  # several starts per cell: one start alone can land on a poor optimum


def bic_unless_collapsed(K, cov, seed):
    """The run's BIC, or None if a component collapsed onto a point (a variance near reg_covar)."""
    run = em.fit(Z_faithful, K, seed=seed, covariance_type=cov)
    smallest = np.linalg.eigvalsh(run.params.full_covariances()).min()
    return None if smallest < 1e-4 else run.bic(Z_faithful)


all_runs = {(cov, K): [bic_unless_collapsed(K, cov, seed) for seed in seeds]
            for cov in em.COVARIANCE_TYPES for K in range(1, 7)}
grid_runs = {cell: [bic for bic in bics if bic is not None] for cell, bics in all_runs.items()}
grid = {cell: min(bics) for cell, bics in grid_runs.items()}  # the best of ten starts
print(f"runs left out, collapsed: {sum(bics.count(None) for bics in all_runs.values())} "
      f"of {len(seeds) * len(all_runs)}")
print(f"{'BIC':<11}" + "".join(f"K={K:<7}" for K in range(1, 7)))
for cov in em.COVARIANCE_TYPES:
    print(f"{cov:<11}" + "".join(f"{grid[cov, K]:<9.1f}" for K in range(1, 7)))
best_cov, best_cov_k = min(grid, key=grid.get)
print(f"lowest BIC: covariance_type={best_cov!r} with K={best_cov_k}")
ranked = sorted(grid, key=grid.get)
spread = {cell: max(bics) - min(bics) for cell, bics in grid_runs.items()}
widest = max(spread, key=spread.get)
print(f"the two best models are {grid[ranked[1]] - grid[ranked[0]]:.1f} apart: {ranked[0]} and {ranked[1]}")
print(f"one start can move an entry by up to {spread[widest]:.1f} BIC units ({widest}, over the ten starts)")

# %% [markdown]
# Each entry is the **lowest BIC of ten starts** (`seed` 0 to 9), the way `n_init=10`
# would pick it, leaving out any start on which a component collapsed onto a single point:
# such a run's BIC is set by `reg_covar`, not by the data (last section), and with other
# starts one does win this grid (a collapsed diag K=6 among seeds 20 to 29). One start per
# entry is not enough: the printout shows that the start alone can move an entry by far
# more than the gap between the two best models, so a grid of single starts could rank
# them either way.
#
# **Your `best_k` and this grid.** The exercise asked for the best K with **full**
# covariances, and the grid's `full` row agrees with it. The grid also lets `tied`
# covariances compete: components that share one ellipse shape. Here is the pair that
# decides:

# %%
full_row = {K: grid["full", K] for K in range(1, 7)}
for cov, K in [("full", min(full_row, key=full_row.get)), (best_cov, best_cov_k)]:
    fit = min((em.fit(Z_faithful, K, seed=seed, covariance_type=cov) for seed in seeds),
              key=lambda run: run.bic(Z_faithful))
    print(f"{cov:>5}, K={K}: {fit.params.n_parameters()} free parameters, "
          f"log-likelihood {fit.history[-1]:.1f}, BIC {fit.bic(Z_faithful):.1f}")

# %% [markdown]
# Both models have the same number of free parameters, so BIC's charge is the same and
# only the fit decides: three components with one shared ellipse shape fit the two
# clouds of eruptions better than two components with shapes of their own. Both answers
# are right for their question ("which K, full covariances?" and "which K and covariance
# type?"). How sure is the grid? The usual scale for a BIC difference (Kass and Raftery,
# 1995: 2 to 6 positive, 6 to 10 strong, over 10 very strong evidence) calls the gap
# between the two best models printed above strong evidence for the best; filled from any
# of the ten sets of ten starts among seeds 0 to 99, the grid picks the same best model
# by a gap between 6 and 8. Strong evidence about these 272 eruptions, not a proof:
# another sample of the geyser could rank them the other way.

# %% [markdown]
# ## Starts and local optima
#
# EM never lowers the log-likelihood (up to `reg_covar`, last section), but it only climbs
# the hill it starts on, and it stops when the climb gets slow. Ten starts (`seed` 0 to 9)
# with K = 3 on the standardised Iris sepal data, each first with the default `tol`, then
# run on until the climb has really stopped (`tol=1e-8`).
#
# Every start here is `gmm_lesson`'s `init="kmeans++"`: K data points picked by k-means++
# seeding (each next one drawn with probability proportional to its squared distance from
# the nearest pick so far), then every point given wholly to its nearest pick. That is
# neither of scikit-learn's k-means starts: its default `init_params="kmeans"` first runs
# k-means to convergence from such picks, and its `init_params="k-means++"` gives each
# component only its one picked point, picked greedily (the best of several candidates).

# %%
Z_iris, _, _ = data.standardize(data.load_iris_sepal())
runs = {seed: em.fit(Z_iris, 3, seed=seed) for seed in range(10)}  # tol=1e-3, the default
converged_runs = {seed: em.fit(Z_iris, 3, seed=seed, tol=1e-8, max_iter=1000) for seed in range(10)}
for seed in runs:
    print(f"seed {seed}: final log-likelihood {runs[seed].history[-1]:8.2f} after {runs[seed].n_iter:3d} "
          f"iterations with tol=1e-3, {converged_runs[seed].history[-1]:8.2f} after "
          f"{converged_runs[seed].n_iter:3d} with tol=1e-8")
optima = sorted({round(run.history[-1], 1) for run in converged_runs.values()})
print(f"{len({round(run.history[-1], 2) for run in runs.values()})} different stopping points, "
      f"but only {len(optima)} different optima: {optima}")

# %% [markdown]
# **`tol` is per sample.** EM stops when the *mean* log-likelihood per sample,
# $\log L / N$, rises by less than `tol` (1e-3, as in scikit-learn) in one iteration: with
# $N = 150$ flowers, when the total rises by less than 0.15. "Converged" means the climb
# became slow, not that the top was reached: EM climbs towards a stationary point and can
# crawl for many iterations across a flat stretch or near a saddle (`em_step_by_step`
# shows one), so `tol` can stop it early. The start that stopped lowest is not the worst
# hill: run on, it passes another start. Some of the spread of the `tol=1e-3` values is
# early stopping; the rest, the different optima in the last line, are the local optima.

# %%
final = {seed: run.history[-1] for seed, run in converged_runs.items()}
best_seed, worst_seed = max(final, key=final.get), min(final, key=final.get)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharex=True, sharey=True)
for ax, seed in zip(axes, [best_seed, worst_seed], strict=True):
    plots.plot_mixture_2d(ax, Z_iris, converged_runs[seed].params, legend=False)
    ax.set_title(f"seed {seed}, converged: log-likelihood {final[seed]:.1f}")
    ax.set_xlabel("sepal length (standardised)")
axes[0].set_ylabel("sepal width (standardised)")
axes[1].set_ylabel("sepal width (standardised)")
figures.show(fig)

# %% [markdown]
# **choosing_q2** (medium)
#
# You run EM with K = 3 from ten different seeds, each until the log-likelihood has stopped changing (a tiny `tol`), and the runs end at six different log-likelihoods. What is the usual remedy?
#
# - **A.** Keep the run with the lowest log-likelihood.
# - **B.** Average the parameters of the ten runs.
# - **C.** Keep the run with the highest log-likelihood (scikit-learn's `n_init` does this).
# - **D.** Nothing can be done: EM is broken on this data.
#
# In the next cell, set `answer_q2` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "choosing_q2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q2 = "C"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("choosing_q2", answer_q2)

# %% nbgrader={"grade": true, "grade_id": "choosing_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q2, str) and answer_q2.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q2 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q2, question="choosing_q2")
### END HIDDEN TESTS

# %% [markdown]
# ## A collapsing component and `reg_covar`
#
# Real data often holds duplicates. Here are 40 points around the origin and three
# *identical* points at (5, 5). Fit K = 2 from ten starts and look at each run's smallest
# variance in any direction (the smallest eigenvalue of any of its covariance matrices):

# %%
rng = np.random.default_rng(0)
X_dup = np.vstack([rng.normal(0.0, 1.0, size=(40, 2)), [[5.0, 5.0]] * 3])
dup_runs = {seed: em.fit(X_dup, 2, seed=seed) for seed in range(10)}
smallest_variance = {seed: np.linalg.eigvalsh(run.params.covariances).min() for seed, run in dup_runs.items()}
for seed, run in dup_runs.items():
    print(f"seed {seed}: log-likelihood {run.history[-1]:8.2f}, "
          f"smallest variance {smallest_variance[seed]:.2g}")

# %%
collapsed_seed = min(smallest_variance, key=smallest_variance.get)
roundest_seed = max(smallest_variance, key=smallest_variance.get)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharex=True, sharey=True)
for ax, seed in zip(axes, [roundest_seed, collapsed_seed], strict=True):
    plots.plot_mixture_2d(ax, X_dup, dup_runs[seed].params, legend=False)
    ax.set_title(f"seed {seed}: log-likelihood {dup_runs[seed].history[-1]:.1f}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
figures.show(fig)

# %% [markdown]
# Left: the start whose thinnest component is the widest. Right: a start that put a whole
# component on the three identical points. Their variance is 0, so the M-step would give
# that component a covariance of all zeros; the default `reg_covar=1e-6` is added to the
# diagonal, so the component keeps a covariance of $10^{-6} I$: a needle, too thin to see.
# Other starts end in between, with a component squeezed flat along one direction.
#
# Look at the table again: the thinner a run's thinnest component, the *higher* its
# log-likelihood. The picture on the right is not absurd (the three duplicates are a group
# of their own), but its log-likelihood does not measure how good it is: it is set by
# `reg_covar`, as the next cells show.
#
# What if we take `reg_covar` away?

# %%
try:
    em.fit(X_dup, 2, seed=collapsed_seed, reg_covar=0.0)
except ValueError as error:
    print("reg_covar=0 ->", type(error).__name__ + ":", error)

# %% [markdown]
# Without the floor the covariance is singular and EM cannot go on (scikit-learn stops with
# a `ValueError` too). A larger `reg_covar` is a higher floor: a less extreme needle and a
# lower log-likelihood.
#
# The floor bends EM's promise a little: with `reg_covar` > 0 the M-step no longer gives the
# exact maximum, so the log-likelihood can dip very slightly from one iteration to the next,
# but only noticeably when a component's variance is tiny, close to `reg_covar` (a component
# squeezed onto almost a single point, or data measured on a tiny scale).

# %%
for reg_covar in [1e-6, 1e-3, 1e-1]:
    run = em.fit(X_dup, 2, seed=collapsed_seed, reg_covar=reg_covar)
    variance = np.linalg.eigvalsh(run.params.covariances).min()
    print(f"reg_covar={reg_covar:g}: smallest variance {variance:.2g}, log-likelihood {run.history[-1]:.2f}")

# %% [markdown]
# **How much of that log-likelihood is `reg_covar`'s?** Under a needle of covariance
# $\epsilon I$ each collapsed point has density about
# $\pi_k / (2\pi\epsilon)^{D/2}$, so it adds about $\frac{D}{2}\log\frac{1}{\epsilon}$ to
# $\log L$ (13.8 for $D = 2$, $\epsilon = 10^{-6}$). Make $\epsilon$ a hundred times
# smaller and the three points add $3 \cdot \frac{D}{2} \log 100$ more; as $\epsilon \to 0$
# the log-likelihood grows without bound and BIC falls without bound. So the collapsed
# run's log-likelihood is set by `reg_covar`, not by the data: log L and BIC **cannot
# rank** a collapsed run against the others. Detect a collapse instead (a variance equal
# to `reg_covar`), then remove the duplicates, use fewer components, or compare models on
# held-out data.

# %%
eps_values = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10]
D = X_dup.shape[1]
print(f"D/2 log(1/eps) at eps=1e-6: {D / 2 * np.log(1e6):.1f} per collapsed point")
for eps in eps_values:
    run = em.fit(X_dup, 2, seed=collapsed_seed, reg_covar=eps)
    print(f"reg_covar={eps:g}: log-likelihood {run.history[-1]:8.2f}, BIC {run.bic(X_dup):7.2f}")
roundest = dup_runs[roundest_seed]
print(f"the roundest run (seed {roundest_seed}): log-likelihood {roundest.history[-1]:.2f}, "
      f"BIC {roundest.bic(X_dup):.2f}")

# %% [markdown]
# **choosing_q3** (medium)
#
# What does `reg_covar` (default 1e-6) do in the M-step?
#
# - **A.** It removes outliers before fitting.
# - **B.** It sets the number of components.
# - **C.** It makes EM find the global optimum.
# - **D.** It adds a small number to the diagonal of every covariance, so a component that collapses onto a few identical points still has a usable covariance.
#
# In the next cell, set `answer_q3` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "choosing_q3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q3 = "D"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("choosing_q3", answer_q3)

# %% nbgrader={"grade": true, "grade_id": "choosing_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q3, str) and answer_q3.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q3 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q3, question="choosing_q3")
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# * Compare models with **BIC** (or AIC): lower is better, as in scikit-learn. BIC charges
#   more per parameter than AIC once $N > 7$, so it picks simpler models. Fit several
#   starts per model before comparing: one start can move an entry more than the gap
#   between the best two.
# * Covariance types trade flexibility for parameters; let BIC compare them.
# * `tol` is per sample and "converged" only means the climb became slow. EM finds a
#   **local** optimum: run several starts, each to convergence, and keep the best
#   (scikit-learn: `n_init`), after checking that no component has collapsed.
# * `reg_covar` puts a floor under every variance, so a collapsed component does not crash
#   the fit; a collapsed run's log-likelihood is then set by `reg_covar`, so neither log L
#   nor BIC can rank it.
