"""Build course/source/practice/practice.ipynb: the lesson's five practice questions.

    python course/tools/build_practice.py                 # write the notebook
    python course/tools/build_practice.py --update-quiz   # also reseal the quiz records

Formative: every multiple-choice question has a self-check (``gmm_lesson.quiz``), so
its points measure engagement, not mastery; Q3's code is the one part graded without a
self-check. Questions 3 and 4 are corrected (see /DESIGN.md, "Facts the seed gets wrong"):
Q3 is answered by code and graded on the split, not on the label names; Q4 asks
what the list-of-lists snippet really does (it runs). This file holds the answer
keys and worked solutions; it is not part of the package or of a released notebook.
"""

from __future__ import annotations

import sys

from content_cells import (
    answer,
    code,
    hidden_checks,
    md,
    notebook,
    self_check_choice,
    test,
    update_quiz,
    write,
)

NAME = "practice"

# question id -> (key, worked solution in Markdown). Every claim here is checked by
# tests/test_course_facts.py.
SOLUTIONS = {
    "practice_q1": ("A", """
1. **The idea.** A GMM says each point was drawn from one of K bell curves (Gaussians),
   each with its own weight, mean and covariance; the data is their mixture.
2. **The other options.** Decision trees split on thresholds, a line fit finds one line,
   and k-means uses distances only. A GMM uses probabilities, so groups can overlap and
   differ in spread and shape.
3. **Answer: A.** Quick check: GMM = a mixture of Gaussians.
"""),
    "practice_q2": ("C", """
1. **scikit-learn** has `sklearn.mixture.GaussianMixture`, with `fit`, `predict` and
   `predict_proba` (question 3 uses it).
2. matplotlib draws plots, pandas holds tables, and TensorFlow is a deep-learning
   framework without a ready-made `GaussianMixture` estimator like scikit-learn's.
3. **Answer: C.**
"""),
    "practice_q3": ("B", """
1. **The split is certain.** The points 1, 2, 3 are far from 10, 11, 12, so every run
   puts them in two groups: {1, 2, 3} and {10, 11, 12}. The cell above tried
   `random_state` 0 to 19 and found that one split every time.
2. **The names are not.** Which group is called 0 depends on the random start. With
   `random_state=0`, scikit-learn 1.9.1 prints `[1, 1, 1, 0, 0, 0]`, so the original
   lesson's answer `[0, 0, 0, 1, 1, 1]` is wrong there. This is *label switching*.
3. **Answer: B.** Quick check: compare splits, not label lists;
   `em.match_labels(reference, labels)` renames one labelling to agree with another.
"""),
    "practice_q4": ("C", """
1. **Lists are fine.** scikit-learn converts array-likes with `np.asarray`, so `fit` and
   `predict` accept the list of lists. (The original lesson said the error was
   "X should be a NumPy array": that is false, the snippet runs.)
2. **Nothing else is wrong either.** Two components for three points is allowed (K may be
   anything from 1 to the number of samples), `random_state` is optional, and `fit`
   comes before `predict` as it must.
3. **So it runs** and prints three labels, each 0 or 1. Without `random_state` the
   start is drawn from NumPy's global random generator, so the labels can change from
   run to run (the cell below shows several runs).
4. **Answer: C.**
"""),
    "practice_q5": ("A", """
1. **Real groups** overlap and differ in size and shape.
2. **A GMM** gives each component its own weight (size), mean (position) and covariance
   (shape and orientation), and shares the points where groups overlap through
   probabilities. The picture above shows three such components.
3. **Answer: A.** Equal sizes, perfect separation and circles are all *not* required.
"""),
}


def cells() -> list:
    keys = {qid: key for qid, (key, _) in SOLUTIONS.items()}
    return [
        md("title", """
# Practice: Gaussian Mixture Models

Five questions, easy to hard, from the original lesson, with two of them corrected.
For each multiple-choice question: write your letter in the answer cell, then run the
feedback cell. A wrong answer shows a **hint** and **common mistakes**; the right one
reveals the **worked solution**. Question 3 is answered with code.

The locked cells after each answer are the autograder's; they only check the format
of your answer here.

**This assignment is formative: it is for learning.** The self-check lets you find every
multiple-choice answer, so those points (questions 1, 2, 3b, 4 and 5, one each) count
your engagement, not your mastery. Question 3's code (2 points) is checked by a hidden
test. The summative grades come from `gmm_basics`, `em_step_by_step` and `choosing_k`.
"""),
        code("imports", """
import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.mixture import GaussianMixture

from gmm_lesson import data, em, plots, quiz
"""),
        md("q1_intro", "## Question 1 (easy)"),
        *self_check_choice("practice_q1", "answer_q1", keys["practice_q1"]),
        md("q2_intro", "## Question 2 (easy)"),
        *self_check_choice("practice_q2", "answer_q2", keys["practice_q2"]),
        md("q3_intro", """
## Question 3 (medium): two clusters in one dimension

The original lesson asked what this code prints:

```python
X = np.array([[1], [2], [3], [10], [11], [12]])
gmm = GaussianMixture(n_components=2, random_state=0)
gmm.fit(X)
print(gmm.predict(X).tolist())
```

Don't guess: run it. In the next cell, fit `GaussianMixture(n_components=2, random_state=0)`
on `X_q3` and store the predicted labels **as a Python list** in `labels_q3`.
The autograder accepts any labelling that splits the points correctly.
"""),
        answer("q3_code_answer", """
X_q3 = np.array([[1], [2], [3], [10], [11], [12]])
### BEGIN SOLUTION
gmm_q3 = GaussianMixture(n_components=2, random_state=0).fit(X_q3)
labels_q3 = gmm_q3.predict(X_q3).tolist()
### END SOLUTION
labels_q3
"""),
        test("practice_q3_code", """
assert len(labels_q3) == 6, "labels_q3 must hold one label for each of the 6 points"
assert all(int(v) == v and int(v) in (0, 1) for v in labels_q3), "every label must be 0 or 1"
"""
        + hidden_checks('check("two_cluster_split", labels_q3)'), points=2),
        md("q3_lesson", """
### What the original lesson said

Its options were A `[1, 0, 1, 0, 1, 0]`, B `[0, 0, 0, 1, 1, 1]`, C `[0, 1, 0, 1, 0, 1]`
and D `[1, 1, 1, 0, 0, 0]`, and it gave **B**. The next cell compares that with what
your installed scikit-learn really prints.
"""),
        code("q3_real_output", """
lesson_options = {"A": [1, 0, 1, 0, 1, 0], "B": [0, 0, 0, 1, 1, 1],
                  "C": [0, 1, 0, 1, 0, 1], "D": [1, 1, 1, 0, 0, 0]}
real = GaussianMixture(n_components=2, random_state=0).fit(X_q3).predict(X_q3).tolist()
matching = [letter for letter, labels in lesson_options.items() if labels == real]
print(f"scikit-learn {sklearn.__version__} prints {real}: the lesson's option {matching}, "
      f"the lesson's answer B is {'right' if real == lesson_options['B'] else 'wrong'} here")
"""),
        md("q3_switching", """
Is the lesson just unlucky? Try twenty random starts. The label *lists* change, but the
*split* (which points end up together) does not: `em.match_labels` renames each
labelling to agree with the first one.
"""),
        code("q3_seeds", """
runs = {seed: GaussianMixture(n_components=2, random_state=seed).fit(X_q3).predict(X_q3)
        for seed in range(20)}
label_lists = sorted({tuple(labels.tolist()) for labels in runs.values()})
splits = {tuple(em.match_labels(runs[0], labels).tolist()) for labels in runs.values()}
print("different label lists:", label_lists)
print("different splits after renaming:", len(splits))
"""),
        md("q3_mc_intro", "So what *is* guaranteed?"),
        *self_check_choice("practice_q3", "answer_q3", keys["practice_q3"]),
        md("q4_intro", """
## Question 4 (medium): what does this snippet do?

The original lesson asked for "the error" in this snippet and answered that `X` should
be a NumPy array. Read it, choose, then run it below.
"""),
        *self_check_choice("practice_q4", "answer_q4", keys["practice_q4"]),
        md("q4_run_intro", """
Now run the snippet five times. `random_state` is left out, as in the question, so each
run draws its start from NumPy's global random generator; seeding that generator first
makes this demonstration repeatable.
"""),
        code("q4_run", """
X_q4 = [[1, 2], [3, 4], [5, 6]]  # a plain list of lists
for run in range(5):
    np.random.seed(run)  # noqa: NPY002 -- the generator random_state=None draws from
    gmm_q4 = GaussianMixture(n_components=2)
    gmm_q4.fit(X_q4)
    print(f"run {run}:", gmm_q4.predict(X_q4))
"""),
        md("q5_intro", """
## Question 5 (hard)

First a picture: EM with three components on synthetic data whose groups differ in size,
shape and orientation, and overlap a little. Each point is coloured by its
responsibilities (mixed colours where groups overlap); ellipses mark 1 and 2 standard
deviations of each component.
"""),
        code("q5_picture", """
X_q5 = data.blobs(n_samples=300, n_components=3, seed=1, spread=3.0)
model_q5 = em.fit(X_q5, 3, seed=0)
fig, ax = plt.subplots(figsize=(5, 4))
plots.plot_mixture_2d(ax, X_q5, model_q5.params)
ax.set_title("three components, three sizes and shapes")
plt.show()
"""),
        code("q5_numbers", """
shared = (model_q5.predict_proba(X_q5).max(axis=1) < 0.9).sum()
print("fitted weights (group sizes):", model_q5.params.weights.round(2))
print(f"points with no component above 90% responsibility: {shared} of {len(X_q5)}")
"""),
        *self_check_choice("practice_q5", "answer_q5", keys["practice_q5"]),
        md("summary", """
## Summary

* A GMM is a mixture of bell curves; each component has a weight, a mean and a covariance.
* Cluster numbers are arbitrary names (label switching): check splits, not label lists.
* scikit-learn accepts lists of lists; `random_state` only makes runs repeatable.
* Soft assignments and per-component covariances let a GMM model overlapping groups of
  different sizes and shapes.
"""),
    ]


def main(argv: list[str]) -> None:
    if "--update-quiz" in argv:
        update_quiz({qid: (key, text.strip()) for qid, (key, text) in SOLUTIONS.items()})
    print("wrote", write(notebook(cells()), NAME))


if __name__ == "__main__":
    main(sys.argv[1:])
