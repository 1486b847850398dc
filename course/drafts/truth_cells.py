"""New and replaced cells for issue #8 (truth slice): (notebook, op, cell_id, anchor, kind, source).

op "replace": replace cell_id's source.  op "after": insert a new cell with cell_id after anchor.
"""

EDITS = []


def replace(nb, cell_id, source):
    EDITS.append((nb, "replace", cell_id, None, None, source.strip("\n")))


def after(nb, anchor, cell_id, kind, source):
    EDITS.append((nb, "after", cell_id, anchor, kind, source.strip("\n")))


# =========================================================================== choosing_k
replace("choosing_k", "bic_curve", r'''
fits = {K: em.fit(Z_faithful, K, seed=0) for K in range(1, 7)}
bic = {K: fit.bic(Z_faithful) for K, fit in fits.items()}
aic = {K: fit.aic(Z_faithful) for K, fit in fits.items()}
fig, ax = plt.subplots(figsize=(5.5, 3.2))
ax.plot(list(bic), list(bic.values()), "o-", label="BIC")
ax.plot(list(aic), list(aic.values()), "s--", label="AIC")
ax.set_xlabel("number of components K")
ax.set_ylabel("criterion (lower is better)")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # beside the plot, off the data
plt.show()
print("BIC picks K =", min(bic, key=bic.get), "  AIC picks K =", min(aic, key=aic.get))
''')

replace("choosing_k", "cov_grid", r'''
seeds = range(10)  # several starts per cell: one start alone can land on a poor optimum
grid_runs = {(cov, K): [em.fit(Z_faithful, K, seed=seed, covariance_type=cov).bic(Z_faithful)
                        for seed in seeds]
             for cov in em.COVARIANCE_TYPES for K in range(1, 7)}
grid = {cell: min(bics) for cell, bics in grid_runs.items()}  # the best of ten starts
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
''')

replace("choosing_k", "cov_note", r'''
Each entry is the **lowest BIC of ten starts** (`seed` 0 to 9), the way `n_init=10`
would pick it. One start per entry is not enough: the printout shows that the start alone
can move an entry by far more than the gap between the two best models, so a grid of
single starts could rank them either way.

**Your `best_k` and this grid.** The exercise asked for the best K with **full**
covariances, and the grid's `full` row agrees with it. The grid also lets `tied`
covariances compete: components that share one ellipse shape. Here is the pair that
decides:
''')

after("choosing_k", "cov_note", "reconcile", "code", r'''
full_row = {K: grid["full", K] for K in range(1, 7)}
for cov, K in [("full", min(full_row, key=full_row.get)), (best_cov, best_cov_k)]:
    fit = min((em.fit(Z_faithful, K, seed=seed, covariance_type=cov) for seed in seeds),
              key=lambda run: run.bic(Z_faithful))
    print(f"{cov:>5}, K={K}: {fit.params.n_parameters()} free parameters, "
          f"log-likelihood {fit.history[-1]:.1f}, BIC {fit.bic(Z_faithful):.1f}")
''')

after("choosing_k", "reconcile", "reconcile_md", "markdown", r'''
Both models have the same number of free parameters, so BIC's charge is the same and
only the fit decides: three components with one shared ellipse shape fit the two
clouds of eruptions better than two components with shapes of their own. Both answers
are right for their question ("which K, full covariances?" and "which K and covariance
type?"); a gap of a few BIC units is a preference, not a proof.
''')

replace("choosing_k", "starts_intro", r'''
## Starts and local optima

EM never lowers the log-likelihood (up to `reg_covar`, last section), but it only climbs
the hill it starts on, and it stops when the climb gets slow. Ten starts (`seed` 0 to 9)
with K = 3 on the standardised Iris sepal data, each first with the default `tol`, then
run on until the climb has really stopped (`tol=1e-8`).

Every start here is `gmm_lesson`'s `init="kmeans++"`: K data points picked by k-means++
seeding (each next one drawn with probability proportional to its squared distance from
the nearest pick so far), then every point given wholly to its nearest pick. That is
neither of scikit-learn's k-means starts: its default `init_params="kmeans"` first runs
k-means to convergence from such picks, and its `init_params="k-means++"` gives each
component only its one picked point, picked greedily (the best of several candidates).
''')

replace("choosing_k", "starts", r'''
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
''')

after("choosing_k", "starts", "tol_md", "markdown", r'''
**`tol` is per sample.** EM stops when the *mean* log-likelihood per sample,
$\log L / N$, rises by less than `tol` (1e-3, as in scikit-learn) in one iteration: with
$N = 150$ flowers, when the total rises by less than 0.15. "Converged" means the climb
became slow, not that the top was reached: EM climbs towards a stationary point and can
crawl for many iterations across a flat stretch or near a saddle (`em_step_by_step`
shows one), so `tol` can stop it early. The start that stopped lowest is not the worst
hill: run on, it passes another start. Some of the spread in the first column is early
stopping; the rest, the different optima in the last line, are the local optima.
''')

replace("choosing_k", "starts_picture", r'''
final = {seed: run.history[-1] for seed, run in converged_runs.items()}
best_seed, worst_seed = max(final, key=final.get), min(final, key=final.get)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharex=True, sharey=True)
for ax, seed in zip(axes, [best_seed, worst_seed], strict=True):
    plots.plot_mixture_2d(ax, Z_iris, converged_runs[seed].params, legend=False)
    ax.set_title(f"seed {seed}, converged: log-likelihood {final[seed]:.1f}")
    ax.set_xlabel("sepal length (standardised)")
axes[0].set_ylabel("sepal width (standardised)")
axes[1].set_ylabel("sepal width (standardised)")
plt.show()
''')

replace("choosing_k", "collapse_picture", r'''
collapsed_seed = min(smallest_variance, key=smallest_variance.get)
roundest_seed = max(smallest_variance, key=smallest_variance.get)
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharex=True, sharey=True)
for ax, seed in zip(axes, [roundest_seed, collapsed_seed], strict=True):
    plots.plot_mixture_2d(ax, X_dup, dup_runs[seed].params, legend=False)
    ax.set_title(f"seed {seed}: log-likelihood {dup_runs[seed].history[-1]:.1f}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
plt.show()
''')

replace("choosing_k", "collapse_explain", r'''
Left: the start whose thinnest component is the widest. Right: a start that put a whole
component on the three identical points. Their variance is 0, so the M-step would give
that component a covariance of all zeros; the default `reg_covar=1e-6` is added to the
diagonal, so the component keeps a covariance of $10^{-6} I$: a needle, too thin to see.
Other starts end in between, with a component squeezed flat along one direction.

Look at the table again: the thinner a run's thinnest component, the *higher* its
log-likelihood. The picture on the right is not absurd (the three duplicates are a group
of their own), but its log-likelihood does not measure how good it is: it is set by
`reg_covar`, as the next cells show.

What if we take `reg_covar` away?
''')

after("choosing_k", "collapse_reg_values", "collapse_unbounded_md", "markdown", r'''
**How much of that log-likelihood is `reg_covar`'s?** Under a needle of covariance
$\epsilon I$ each collapsed point has density about
$\pi_k / (2\pi\epsilon)^{D/2}$, so it adds about $\frac{D}{2}\log\frac{1}{\epsilon}$ to
$\log L$ (13.8 for $D = 2$, $\epsilon = 10^{-6}$). Make $\epsilon$ a hundred times
smaller and the three points add $3 \cdot \frac{D}{2} \log 100$ more; as $\epsilon \to 0$
the log-likelihood grows without bound and BIC falls without bound. So the collapsed
run's log-likelihood is set by `reg_covar`, not by the data: log L and BIC **cannot
rank** a collapsed run against the others. Detect a collapse instead (a variance equal
to `reg_covar`), then remove the duplicates, use fewer components, or compare models on
held-out data.
''')

after("choosing_k", "collapse_unbounded_md", "collapse_unbounded", "code", r'''
eps_values = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10]
D = X_dup.shape[1]
print(f"D/2 log(1/eps) at eps=1e-6: {D / 2 * np.log(1e6):.1f} per collapsed point")
for eps in eps_values:
    run = em.fit(X_dup, 2, seed=collapsed_seed, reg_covar=eps)
    print(f"reg_covar={eps:g}: log-likelihood {run.history[-1]:8.2f}, BIC {run.bic(X_dup):7.2f}")
roundest = dup_runs[roundest_seed]
print(f"the roundest run (seed {roundest_seed}): log-likelihood {roundest.history[-1]:.2f}, "
      f"BIC {roundest.bic(X_dup):.2f}")
''')

replace("choosing_k", "summary", r'''
## Summary

* Compare models with **BIC** (or AIC): lower is better, as in scikit-learn. BIC charges
  more per parameter than AIC once $N > 7$, so it picks simpler models. Fit several
  starts per model before comparing: one start can move an entry more than the gap
  between the best two.
* Covariance types trade flexibility for parameters; let BIC compare them.
* `tol` is per sample and "converged" only means the climb became slow. EM finds a
  **local** optimum: run several starts, each to convergence, and keep the best
  (scikit-learn: `n_init`), after checking that no component has collapsed.
* `reg_covar` puts a floor under every variance, so a collapsed component does not crash
  the fit; a collapsed run's log-likelihood is then set by `reg_covar`, so neither log L
  nor BIC can rank it.
''')

# =========================================================================== gmm_basics
after("gmm_basics", "two_d_fit", "species_md", "markdown", r'''
Do the three components find the three Iris species? The data set also records each
flower's species (EM never saw it). Count the flowers of each species in each component:
''')

after("gmm_basics", "species_md", "species", "code", r'''
_, species = data.load_iris_sepal(return_species=True)
species_names = np.unique(species)
labels_2d = model_2d.predict(Z)
species_table = np.array([[np.sum((species == name) & (labels_2d == k)) for k in range(3)]
                          for name in species_names])
print(f"{'':<12}" + "".join(f"component {k:<3}" for k in range(3)))
for name, row in zip(species_names, species_table, strict=True):
    print(f"{name:<12}" + "".join(f"{count:<13}" for count in row))
''')

after("gmm_basics", "species", "species_note", "markdown", r'''
The three components are **not the three species**. On sepal length and width alone,
versicolor and virginica overlap, so one component takes both of them, and the well
separated setosa flowers are split between the other two. A GMM finds groups that make
the *measurements* likely; whether those groups mean anything (a species, a fault, a
customer type) is for you to check, with labels like these when you have them.
''')

replace("gmm_basics", "compare_intro", r'''
### The lesson's numbers beside the real ones

The lesson said 300 rows and a log-likelihood climbing from -500 to a final -420.5. Its
standardised rows need no data at all to be refuted: standardising subtracts a mean and
divides by a positive scale, so it keeps the order of the rows within each feature,
and the lesson's rows break that order (the summary under the table says where). Side by
side with what the data gives:
''')

replace("gmm_basics", "prediction_intro", r'''
## Prediction trace: four layers for one flower

To predict, the fitted model (1) takes a sample, (2) computes each component's weighted
bell-curve height $\pi_k \mathcal{N}(x \mid k)$, (3) divides by their sum so the
probabilities add up to 1, and (4) picks the largest. The heights of layer 2 are
**densities, not probabilities**: a density can exceed 1, because a narrow bell curve is
tall (the short-eruption bell curve above, before its weight, peaks at 1.6 per minute).
Only after layer 3 are they probabilities. First the lesson's first row:
''')

replace("gmm_basics", "insight", r'''
## Key insight

A Gaussian Mixture Model finds hidden groups by fitting bell-shaped curves to the data.
It assigns points **softly**: every point gets a probability for each group, and those
probabilities sum to 1. Each group has its own weight, centre and covariance, so groups
may overlap and differ in size and shape. EM fits the model by alternating E-steps and
M-steps, and the log-likelihood never goes down (the tiny `reg_covar` aside, which can
make it dip noticeably only when a variance is close to `reg_covar`: a component
squeezed onto almost a single point, or data measured on a tiny scale); it climbs to a
*local* optimum, so the start matters (see the `choosing_k` assignment). The groups it
finds need not be the ones you had in mind (the species table above).
''')

# =========================================================================== practice
after("practice", "q3_seeds", "q3_inits_md", "markdown", r'''
That certainty belongs to scikit-learn's **default start**, `init_params="kmeans"`
(k-means first, then EM), which the twenty seeds above used. Other starts can end
elsewhere. Three hundred seeds for each of two other starts; for each split found, the
best log-likelihood reached:
''')

after("practice", "q3_inits_md", "q3_inits", "code", r'''
import warnings

from sklearn.exceptions import ConvergenceWarning


def split_of(labels):
    """The split as a set of groups of values: label names do not matter."""
    return frozenset(frozenset(X_q3[labels == k, 0].tolist()) for k in set(labels.tolist()))


default_log_l = GaussianMixture(n_components=2, random_state=0).fit(X_q3).score(X_q3) * len(X_q3)
print(f"default start: the split [1, 2, 3] | [10, 11, 12], log-likelihood {default_log_l:.2f}")
splits_by_init = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # some random starts stall
    for init in ["random", "random_from_data"]:
        found = splits_by_init[init] = {}
        for seed in range(300):
            gmm = GaussianMixture(n_components=2, random_state=seed, init_params=init).fit(X_q3)
            split = split_of(gmm.predict(X_q3))
            found[split] = max(found.get(split, -np.inf), gmm.score(X_q3) * len(X_q3))
for init, found in splits_by_init.items():
    print(f"{init}: {len(found)} different splits")
    for split, log_l in sorted(found.items(), key=lambda item: -item[1]):
        groups = " | ".join(str(sorted(group)) for group in sorted(split, key=min))
        print(f"    {groups:<32} best log-likelihood {log_l:7.2f}")
''')

after("practice", "q3_inits", "q3_inits_note", "markdown", r'''
With `init_params="random"` (random soft responsibilities) EM often stalls, and the
splits differ, one of them all six points together. With `"random_from_data"` (one data
point per component) some runs put a single end point alone: a nearly collapsed
component whose log-likelihood is *higher* than the right split's, as in `choosing_k`.
So the split is certain for the default start, not for every start.
''')
