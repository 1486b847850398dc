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
# # Gaussian Mixture Models: the basics
#
# A Gaussian Mixture Model (GMM) finds groups in data by assuming each group looks like a
# bell curve. It learns where each bell curve sits, how wide it is and how many points it
# holds, and it assigns every point *softly*: a probability for each group.
#
# The model is a story of how each data point was made, in two draws: first **pick a
# group** $k$, with probability $\pi_k$ (its weight); then **draw the point from that
# group's bell curve**, $\mathcal{N}(\mu_k, \Sigma_k)$. We see only the points, never the
# group each was drawn from. Fitting a GMM runs the story backwards: from the points,
# estimate the weights and bell curves, and for each point the probability that each
# group made it.
#
# This notebook builds that picture in one dimension, then two, then follows a model on
# real data from the raw rows to a prediction, with every number computed when it runs.

# %%
import matplotlib.pyplot as plt
import numpy as np

from gmm_lesson import data, em, figures, plots, trace

# %% [markdown]
# ## One dimension: a mixture of bell curves
#
# Old Faithful, the geyser in Yellowstone: how long each of 272 eruptions lasted, in
# minutes. The histogram has two bumps: short and long eruptions. A GMM with two
# components puts one bell curve on each bump and adds them up, each weighted by its
# share of the eruptions.

# %%
durations = data.load_old_faithful()[:, :1]  # first column, kept 2-D: shape (272, 1)
model_1d = em.fit(durations, 2, seed=0)
fig, ax = plt.subplots(figsize=(6, 3.5))
plots.plot_mixture_1d(ax, durations, model_1d.params)
ax.set_xlabel("eruption duration (minutes)")
figures.show(fig)

# %% [markdown]
# Each component has three parameters: a **weight** $\pi_k$ (its share of the points; the
# weights sum to 1), a **mean** $\mu_k$ (where its bell curve peaks) and a **variance**
# $\sigma_k^2$ (how wide it is). The mixture density is
# $p(x) = \sum_k \pi_k \, \mathcal{N}(x \mid \mu_k, \sigma_k^2)$.

# %%
for k in range(2):
    mean = model_1d.params.means[k, 0]
    sd = np.sqrt(model_1d.params.covariances[k, 0, 0])
    print(f"component {k}: weight {model_1d.params.weights[k]:.2f}, mean {mean:.2f} min, sd {sd:.2f} min")

# %% [markdown]
# ## Two dimensions: bell-shaped hills
#
# In 2-D each component is a hill whose contours are ellipses: the mean is its centre, the
# covariance matrix its width, tilt and shape. Here are the Iris flowers' sepal length and
# width (150 flowers), standardised, with three components. Each point's colour mixes the
# component colours by its probabilities; ellipses mark 1 and 2 standard deviations.

# %%
iris = data.load_iris_sepal()
Z, _, _ = data.standardize(iris)
model_2d = em.fit(Z, 3, seed=0)
fig, ax = plt.subplots(figsize=(5.5, 4.5))
plots.plot_mixture_2d(ax, Z, model_2d.params)
ax.set_xlabel("sepal length (standardised)")
ax.set_ylabel("sepal width (standardised)")
figures.show(fig)

# %% [markdown]
# Do the three components find the three Iris species? The data set also records each
# flower's species (EM never saw it). Count the flowers of each species in each component:

# %%
_, species = data.load_iris_sepal(return_species=True)
species_names = np.unique(species)
labels_2d = model_2d.predict(Z)
species_table = np.array([[np.sum((species == name) & (labels_2d == k)) for k in range(3)]
                          for name in species_names])
print(f"{'':<12}" + "".join(f"component {k:<3}" for k in range(3)))
for name, row in zip(species_names, species_table, strict=True):
    print(f"{name:<12}" + "".join(f"{count:<13}" for count in row))

# %% [markdown]
# The three components are **not the three species**, whatever the start. On sepal length
# and width alone versicolor and virginica overlap, so in each of ten starts (seeds 0 to 9)
# some component mixes the two of them. Setosa stands apart and is usually kept together:
# 49 of its 50 flowers share one component in nine of those ten starts. This notebook's
# start (seed 0) is the exception: its model puts all of versicolor and virginica in one
# component and splits setosa 38 / 11 between the other two, a local optimum (starts and
# local optima come back in `choosing_k`). A GMM finds groups that make the
# *measurements* likely; whether those groups mean anything (a species, a fault, a
# customer type) is for you to check, with labels like these when you have them.

# %% [markdown]
# ## The model pipeline, computed
#
# Six stages from raw data to a prediction, computed by `gmm_lesson.trace` on the Iris
# sepal data: the raw rows, standardising, feature engineering (none here), training,
# the log-likelihood as it improves, and a prediction for one flower.

# %%
pipeline = trace.pipeline_trace(iris, n_components=3, seed=0)
pipeline

# %% [markdown]
# ## Training trace: EM, iteration by iteration
#
# EM alternates two steps. The **E-step** computes each point's responsibilities (its
# probability for each component); the **M-step** re-estimates every weight, mean and
# covariance from those responsibilities. The log-likelihood
# $\log L = \sum_n \log p(x_n)$ measures how well the mixture explains the data; higher
# is better. EM has no loss or accuracy to report: the log-likelihood is what it tracks.

# %%
trace.training_trace(pipeline.fitted)

# %%
fig, ax = plt.subplots(figsize=(6, 3))
plots.plot_log_likelihood(ax, pipeline.fitted, scale="linear")
ax.set_title("log-likelihood after every E-step and M-step")
figures.show(fig)

# %% [markdown]
# ## Prediction trace: four layers for one flower
#
# To predict, the fitted model (1) takes a sample, (2) computes each component's weighted
# bell-curve height $\pi_k \mathcal{N}(x \mid k)$, (3) divides by their sum so the
# probabilities add up to 1, and (4) picks the largest. The heights of layer 2 are
# **densities, not probabilities**: a density can exceed 1, because a narrow bell curve is
# tall (the short-eruption bell curve above, before its weight, peaks at 1.6 per minute).
# Only after layer 3 are they probabilities. First the first flower in the data:

# %%
trace.prediction_trace(pipeline.fitted, pipeline.Z[0])

# %% [markdown]
# Now the flower the model is *least* sure about: its probabilities are split between
# components. This is soft assignment: a hard label would hide that doubt.

# %%
most_uncertain = int(pipeline.fitted.predict_proba(pipeline.Z).max(axis=1).argmin())
print("row", most_uncertain, "raw values", pipeline.X[most_uncertain])
trace.prediction_trace(pipeline.fitted, pipeline.Z[most_uncertain])

# %% [markdown]
# ## Key insight
#
# A Gaussian Mixture Model finds hidden groups by fitting bell-shaped curves to the data.
# It assigns points **softly**: every point gets a probability for each group, and those
# probabilities sum to 1. Each group has its own weight, centre and covariance, so groups
# may overlap and differ in size and shape. EM fits the model by alternating E-steps and
# M-steps, and the log-likelihood never goes down (the tiny `reg_covar` aside, which can
# make it dip noticeably only when a variance is close to `reg_covar`: a component
# squeezed onto almost a single point, or data measured on a tiny scale); it climbs to a
# *local* optimum, so the start matters (see the `choosing_k` assignment). The groups it
# finds need not be the ones you had in mind (the species table above).

# %% [markdown]
# ## Model quiz: three questions
#
# Write one letter per answer cell. In a class this quiz is graded, and its self-check
# cells say so and reveal nothing: after grading, your feedback shows the right letter and
# a worked solution for each question. Working alone from the course's folder (opened
# with `python3 run.py lab`), the self-check cell below each answer gives a hint for a
# wrong letter and the worked solution for the right one.

# %% [markdown]
# **basics_q1** (easy)
#
# What does a Gaussian Mixture Model assume about the data?
#
# - **A.** The data is made of several bell-shaped (Gaussian) groups mixed together.
# - **B.** The data lies on a straight line.
# - **C.** The data has no structure at all.
# - **D.** The data is one single cluster.
#
# In the next cell, set `answer_q1` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "basics_q1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q1 = "A"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("basics_q1", answer_q1)

# %% nbgrader={"grade": true, "grade_id": "basics_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q1, str) and answer_q1.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q1 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q1, question="basics_q1")
### END HIDDEN TESTS

# %% [markdown]
# **basics_q2** (easy)
#
# After fitting a GMM with K = 3 components, `model.predict_proba(x)` for one point `x`, given as an array of shape (1, D) (one row: scikit-learn and `gmm_lesson` both refuse a 1-D `x` and ask for `x.reshape(1, -1)`), returns...
#
# - **A.** a single label: 0, 1 or 2.
# - **B.** three distances, from `x` to each component's mean.
# - **C.** three probabilities, one per component, that sum to 1.
# - **D.** three probabilities that sum to 3.
#
# In the next cell, set `answer_q2` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "basics_q2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q2 = "C"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("basics_q2", answer_q2)

# %% nbgrader={"grade": true, "grade_id": "basics_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q2, str) and answer_q2.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q2 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q2, question="basics_q2")
### END HIDDEN TESTS

# %% [markdown]
# **basics_q3** (medium)
#
# What happens to the total log-likelihood as EM runs, iteration after iteration?
#
# - **A.** It goes down, like the loss of a neural network.
# - **B.** It jumps up and down at random until EM stops.
# - **C.** It rises to exactly 0 when the model fits perfectly.
# - **D.** It never goes down (up to rounding and the tiny `reg_covar`), and EM stops when it barely changes any more.
#
# In the next cell, set `answer_q3` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "basics_q3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q3 = "D"
### END SOLUTION

# %%
# instant self-check (not graded): a hint if wrong, the worked solution if right
from gmm_lesson import quiz

quiz.check("basics_q3", answer_q3)

# %% nbgrader={"grade": true, "grade_id": "basics_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q3, str) and answer_q3.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q3 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q3, question="basics_q3")
### END HIDDEN TESTS
