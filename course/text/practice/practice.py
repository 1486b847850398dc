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
# # Practice: Gaussian Mixture Models
#
# Five questions, easy to hard, from the original lesson, with two of them corrected.
# For each multiple-choice question: write your letter in the answer cell, then run the
# feedback cell. A wrong answer shows a **hint** and **common mistakes**; the right one
# reveals the **worked solution**. Question 3 is answered with code.
#
# The locked cells after each answer are the autograder's; they only check the format
# of your answer here.
#
# **This assignment is formative: it is for learning.** The self-check lets you find every
# multiple-choice answer, so those points (questions 1, 2, 3b, 4 and 5, one each) count
# your engagement, not your mastery. Question 3's code (2 points) is checked by a hidden
# test. The summative grades come from `gmm_basics`, `em_step_by_step`, `choosing_k` and
# `em_in_depth`.

# %%
import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.mixture import GaussianMixture

from gmm_lesson import data, em, figures, plots, quiz

# %% [markdown]
# ## Question 1 (easy)

# %% [markdown]
# **practice_q1** (easy)
#
# What is the main idea behind a Gaussian Mixture Model (GMM)?
#
# - **A.** It assumes the data is made of several bell-shaped groups mixed together.
# - **B.** It uses decision trees to split the data into groups.
# - **C.** It finds the single best line through the data points.
# - **D.** It clusters data by measuring distances only.
#
# In the next cell, set `answer_q1` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "practice_q1_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q1 = "A"
### END SOLUTION

# %%
# instant feedback: a hint if wrong, the worked solution if right
quiz.check("practice_q1", answer_q1)

# %% nbgrader={"grade": true, "grade_id": "practice_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q1, str) and answer_q1.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q1 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q1, question="practice_q1")
### END HIDDEN TESTS

# %% [markdown]
# ## Question 2 (easy)

# %% [markdown]
# **practice_q2** (easy)
#
# Which Python library provides a ready-made Gaussian Mixture Model class?
#
# - **A.** matplotlib
# - **B.** pandas
# - **C.** scikit-learn
# - **D.** tensorflow
#
# In the next cell, set `answer_q2` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "practice_q2_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q2 = "C"
### END SOLUTION

# %%
# instant feedback: a hint if wrong, the worked solution if right
quiz.check("practice_q2", answer_q2)

# %% nbgrader={"grade": true, "grade_id": "practice_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q2, str) and answer_q2.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q2 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q2, question="practice_q2")
### END HIDDEN TESTS

# %% [markdown]
# ## Question 3 (medium): two clusters in one dimension
#
# The original lesson asked what this code prints:
#
# ```python
# X = np.array([[1], [2], [3], [10], [11], [12]])
# gmm = GaussianMixture(n_components=2, random_state=0)
# gmm.fit(X)
# print(gmm.predict(X).tolist())
# ```
#
# Don't guess: run it. In the next cell, fit `GaussianMixture(n_components=2, random_state=0)`
# on `X_q3` and store the predicted labels **as a Python list** in `labels_q3`.
# The autograder accepts any labelling that splits the points correctly.

# %% nbgrader={"grade": false, "grade_id": "q3_code_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
X_q3 = np.array([[1], [2], [3], [10], [11], [12]])
### BEGIN SOLUTION
gmm_q3 = GaussianMixture(n_components=2, random_state=0).fit(X_q3)
labels_q3 = gmm_q3.predict(X_q3).tolist()
### END SOLUTION
labels_q3

# %% nbgrader={"grade": true, "grade_id": "practice_q3_code", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert len(labels_q3) == 6, "labels_q3 must hold one label for each of the 6 points"
assert all(int(v) == v and int(v) in (0, 1) for v in labels_q3), "every label must be 0 or 1"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("two_cluster_split", labels_q3)
### END HIDDEN TESTS

# %% [markdown]
# ### What the original lesson said
#
# Its options were A `[1, 0, 1, 0, 1, 0]`, B `[0, 0, 0, 1, 1, 1]`, C `[0, 1, 0, 1, 0, 1]`
# and D `[1, 1, 1, 0, 0, 0]`, and it gave **B**. The next cell compares that with what
# your installed scikit-learn really prints.

# %%
lesson_options = {"A": [1, 0, 1, 0, 1, 0], "B": [0, 0, 0, 1, 1, 1],
                  "C": [0, 1, 0, 1, 0, 1], "D": [1, 1, 1, 0, 0, 0]}
real = GaussianMixture(n_components=2, random_state=0).fit(X_q3).predict(X_q3).tolist()
matching = [letter for letter, labels in lesson_options.items() if labels == real]
print(f"scikit-learn {sklearn.__version__} prints {real}: the lesson's option {matching}, "
      f"the lesson's answer B is {'right' if real == lesson_options['B'] else 'wrong'} here")

# %% [markdown]
# Is the lesson just unlucky? Try twenty random starts. The label *lists* change, but the
# *split* (which points end up together) does not: `em.match_labels` renames each
# labelling to agree with the first one.

# %%
runs = {seed: GaussianMixture(n_components=2, random_state=seed).fit(X_q3).predict(X_q3)
        for seed in range(20)}
label_lists = sorted({tuple(labels.tolist()) for labels in runs.values()})
splits = {tuple(em.match_labels(runs[0], labels).tolist()) for labels in runs.values()}
print("different label lists:", label_lists)
print("different splits after renaming:", len(splits))

# %% [markdown]
# That certainty belongs to scikit-learn's **default start**, `init_params="kmeans"`
# (k-means first, then EM), which the twenty seeds above used. Other starts can end
# elsewhere. Three hundred seeds for each of two other starts; for each split found, the
# best log-likelihood reached:

# %%
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

# %% [markdown]
# With `init_params="random"` (random soft responsibilities) EM often stalls, and the
# splits differ, one of them all six points together. With `"random_from_data"` (one data
# point per component) some runs put a single end point alone: a nearly collapsed
# component whose log-likelihood is *higher* than the right split's, as in `choosing_k`.
# So the split is certain for the default start, not for every start.

# %% [markdown]
# So what *is* guaranteed?

# %% [markdown]
# **practice_q3** (medium)
#
# In the code below, which statement about the printed labels is guaranteed?
#
# ```python
# from sklearn.mixture import GaussianMixture
# import numpy as np
# X = np.array([[1], [2], [3], [10], [11], [12]])
# gmm = GaussianMixture(n_components=2, random_state=0)
# gmm.fit(X)
# labels = gmm.predict(X)
# print(labels.tolist())
# ```
#
# - **A.** They are always `[0, 0, 0, 1, 1, 1]`, because the smaller values come first.
# - **B.** The first three points share one label and the last three the other; which group is called 0 can change with `random_state` (or the library version).
# - **C.** The labels alternate, `[0, 1, 0, 1, 0, 1]`.
# - **D.** All six points get the same label, because the two groups overlap.
#
# In the next cell, set `answer_q3` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "practice_q3_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q3 = "B"
### END SOLUTION

# %%
# instant feedback: a hint if wrong, the worked solution if right
quiz.check("practice_q3", answer_q3)

# %% nbgrader={"grade": true, "grade_id": "practice_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q3, str) and answer_q3.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q3 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q3, question="practice_q3")
### END HIDDEN TESTS

# %% [markdown]
# ## Question 4 (medium): what does this snippet do?
#
# The original lesson asked for "the error" in this snippet and answered that `X` should
# be a NumPy array. Read it, choose, then run it below.

# %% [markdown]
# **practice_q4** (medium)
#
# What does this snippet do?
#
# ```python
# from sklearn.mixture import GaussianMixture
# X = [[1, 2], [3, 4], [5, 6]]
# gmm = GaussianMixture(n_components=2)
# gmm.fit(X)
# labels = gmm.predict(X)
# print(labels)
# ```
#
# - **A.** It raises an error: `X` must be a NumPy array, not a list of lists.
# - **B.** It raises an error: `n_components` must be 3 or more for this data.
# - **C.** It runs and prints three labels, each 0 or 1; without `random_state`, the labels can differ from one run to the next.
# - **D.** It raises an error: `GaussianMixture` requires a `random_state` argument.
#
# In the next cell, set `answer_q4` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "practice_q4_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q4 = "C"
### END SOLUTION

# %%
# instant feedback: a hint if wrong, the worked solution if right
quiz.check("practice_q4", answer_q4)

# %% nbgrader={"grade": true, "grade_id": "practice_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q4, str) and answer_q4.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q4 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q4, question="practice_q4")
### END HIDDEN TESTS

# %% [markdown]
# Now run the snippet five times. `random_state` is left out, as in the question, so each
# run draws its start from NumPy's global random generator; seeding that generator first
# makes this demonstration repeatable.

# %%
X_q4 = [[1, 2], [3, 4], [5, 6]]  # a plain list of lists
for run in range(5):
    np.random.seed(run)  # noqa: NPY002 -- the generator random_state=None draws from
    gmm_q4 = GaussianMixture(n_components=2)
    gmm_q4.fit(X_q4)
    print(f"run {run}:", gmm_q4.predict(X_q4))

# %% [markdown]
# ## Question 5 (hard)
#
# First a picture: EM with three components on synthetic data whose groups differ in size,
# shape and orientation, and overlap a little. Each point is coloured by its
# responsibilities (mixed colours where groups overlap); ellipses mark 1 and 2 standard
# deviations of each component.

# %%
X_q5 = data.blobs(n_samples=300, n_components=3, seed=1, spread=3.0)
model_q5 = em.fit(X_q5, 3, seed=0)
fig, ax = plt.subplots(figsize=(5, 4))
plots.plot_mixture_2d(ax, X_q5, model_q5.params)
ax.set_title("three components, three sizes and shapes")
figures.show(fig)

# %%
shared = (model_q5.predict_proba(X_q5).max(axis=1) < 0.9).sum()
print("fitted weights (group sizes):", model_q5.params.weights.round(2))
print(f"points with no component above 90% responsibility: {shared} of {len(X_q5)}")

# %% [markdown]
# **practice_q5** (hard)
#
# Your dataset has overlapping groups of different sizes and shapes. Which property of Gaussian Mixture Models makes them suitable?
#
# - **A.** They model overlapping groups with different shapes, using probabilities.
# - **B.** They always create groups of equal size.
# - **C.** They only work for groups that are perfectly separated.
# - **D.** They require groups to be circular and of the same size.
#
# In the next cell, set `answer_q5` to your letter, as a string in quotes.

# %% nbgrader={"grade": false, "grade_id": "practice_q5_answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q5 = "A"
### END SOLUTION

# %%
# instant feedback: a hint if wrong, the worked solution if right
quiz.check("practice_q5", answer_q5)

# %% nbgrader={"grade": true, "grade_id": "practice_q5", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q5, str) and answer_q5.strip().upper() in ("A", "B", "C", "D"), \
    "answer_q5 must be one of the letters A, B, C, D"
### BEGIN HIDDEN TESTS
from gmm_grader.judge import check

check("choice", answer_q5, question="practice_q5")
### END HIDDEN TESTS

# %% [markdown]
# ## Summary
#
# * A GMM is a mixture of bell curves; each component has a weight, a mean and a covariance.
# * Cluster numbers are arbitrary names (label switching): check splits, not label lists.
# * scikit-learn accepts lists of lists; `random_state` only makes runs repeatable.
# * Soft assignments and per-component covariances let a GMM model overlapping groups of
#   different sizes and shapes.
