"""The source lesson's three traces, computed from real data instead of typed in.

The lesson this package grows from shows a GMM as

* a **pipeline trace** -- six stages from raw data to one prediction,
* a **training trace** -- the log-likelihood after every EM iteration, with a text
  bar chart, and
* a **prediction trace** -- four layers from one input sample to its cluster.

Its numbers were typed in, and several are wrong. Here every number is computed by
:mod:`gmm_lesson.em` on the data you pass (by default the shipped Iris sepal data).
Each trace is a small object that shows itself as an HTML table in a notebook
(``_repr_html_``) and as plain text when printed (``__str__``).

:func:`compare_with_lesson` puts the lesson's numbers (kept only in
:data:`LESSON_SAYS`, as quotations) beside the real ones.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import checks, data, em

__all__ = [
    "LESSON_SAYS",
    "LessonComparison",
    "PipelineTrace",
    "PredictionTrace",
    "Stage",
    "TrainingTrace",
    "compare_with_lesson",
    "order_broken",
    "pipeline_trace",
    "prediction_trace",
    "training_trace",
]

#: What the source lesson says, quoted verbatim so it can be compared with the
#: computed values. Nothing in this package uses these as results.
LESSON_SAYS: dict[str, Any] = {
    "n_rows": 300,
    "sample_rows": ((5.1, 3.5), (4.9, 3.0), (6.7, 3.1)),
    "standardized_rows": ((0.12, -0.45), (-0.34, -1.02), (1.23, 0.15)),
    "log_likelihood_per_iteration": (-500.0, -460.0, -430.0, -420.5),
    "final_log_likelihood": -420.5,
    "prediction": (0.05, 0.90, 0.05),
}

#: The features of the lesson's sample rows (they are Iris sepal rows).
LESSON_FEATURES: tuple[str, ...] = ("sepal length", "sepal width")


# --------------------------------------------------------------------------- formatting
def _fmt(value: float, digits: int = 3) -> str:
    """A number with ``digits`` decimals (``-0.000`` shown as ``0.000``)."""
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _fmt_rows(rows: np.ndarray, digits: int = 2) -> str:
    rows = np.atleast_2d(rows)
    return "[" + ", ".join("[" + ", ".join(_fmt(v, digits) for v in row) + "]" for row in rows) + "]"


def _shape_text(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        rows, cols = shape
        return f"{rows} row{'s' * (rows != 1)} x {cols} column{'s' * (cols != 1)}"
    return " x ".join(str(s) for s in shape)


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    cells = [header, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]], caption: str = "") -> str:
    """An HTML table with a caption and header cells scoped to their columns (accessible)."""
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return (
        f'<table class="gmm-trace">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _check_fitted(fitted) -> em.FittedGMM:
    if not isinstance(fitted, em.FittedGMM):
        raise TypeError(f"fitted must be an em.FittedGMM (from em.fit), got {type(fitted).__name__}")
    return fitted


# --------------------------------------------------------------------------- pipeline
@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline trace.

    Attributes
    ----------
    number : int
        1 to 6.
    name : str
        e.g. ``"Preprocessing"``.
    input : str
        What goes in, e.g. ``"150 rows x 2 columns"``.
    does : str
        What the stage does.
    output : str
        What comes out.
    sample : str
        A few sample rows or values of the output, formatted.
    input_shape, output_shape : tuple of int or None
        Array shapes going in and out (None where the thing is not an array,
        e.g. the fitted model).
    values : object
        The computed values behind ``sample`` (arrays, a FittedGMM, ...).
    """

    number: int
    name: str
    input: str
    does: str
    output: str
    sample: str
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    values: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, eq=False)
class PipelineTrace:
    """The six stages of the lesson's pipeline, computed on real data.

    Attributes
    ----------
    stages : list of Stage
    fitted : em.FittedGMM
        The model of stage 4, fitted on the standardised data.
    X : array, shape (N, D)
        The raw data.
    Z : array, shape (N, D)
        The standardised data, ``(X - mean) / scale``.
    mean, scale : array, shape (D,)
        The standardisation.
    sample_index : int
        The row of ``X`` whose prediction stage 6 shows.
    seed : int or None
        The seed of the fit.
    """

    stages: list[Stage]
    fitted: em.FittedGMM = field(repr=False)
    X: np.ndarray = field(repr=False)
    Z: np.ndarray = field(repr=False)
    mean: np.ndarray = field(repr=False)
    scale: np.ndarray = field(repr=False)
    sample_index: int = 0
    seed: int | None = 0

    _HEADER = ["#", "stage", "input", "what it does", "output", "sample"]

    def _rows(self) -> list[list[str]]:
        return [[str(s.number), s.name, s.input, s.does, s.output, s.sample] for s in self.stages]

    def __str__(self) -> str:
        lines = []
        for s in self.stages:
            lines.append(f"{s.number}. {s.name}")
            lines.append(f"   in:   {s.input}")
            lines.append(f"   does: {s.does}")
            lines.append(f"   out:  {s.output}")
            lines.append(f"   e.g.  {s.sample}")
        return "Model pipeline (computed)\n" + "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html_table(self._HEADER, self._rows(), "Model pipeline, every value computed from the data")


def pipeline_trace(
    X=None, n_components: int = 3, seed: int | None = 0, *, n_rows_shown: int = 3, sample_index: int = 0
) -> PipelineTrace:
    """Run the lesson's six-stage pipeline on ``X`` and record every stage.

    Stages: 1 data in; 2 preprocessing (standardise to zero mean, unit variance);
    3 feature engineering (none: the standardised features are used as they are);
    4 model trains (EM with ``n_components`` components); 5 metrics improve
    (log-likelihood after every iteration); 6 prediction (component probabilities
    for one sample).

    Parameters
    ----------
    X : array-like, shape (N, D), optional
        Raw data. Defaults to the shipped Iris sepal data (150 x 2), the data the
        lesson's sample rows come from.
    n_components : int
        Number of Gaussian components K.
    seed : int or None
        Seed of EM's k-means++ initialisation.
    n_rows_shown : int
        How many sample rows to show per stage.
    sample_index : int
        The row whose prediction stage 6 shows.

    Returns
    -------
    PipelineTrace
    """
    X = data.load_iris_sepal() if X is None else checks.array_2d(X)
    N, D = X.shape
    n_components = checks.integer(n_components, "n_components", 1)
    n_rows_shown = checks.integer(n_rows_shown, "n_rows_shown", 1)
    sample_index = checks.integer(sample_index, "sample_index", 0)
    if sample_index >= N:
        raise ValueError(f"sample_index must be < the number of samples ({N}), got {sample_index}")
    Z, mean, scale = data.standardize(X)
    fitted = em.fit(Z, n_components, seed=seed)
    K = fitted.params.n_components
    shown = slice(0, min(n_rows_shown, N))
    proba = fitted.predict_proba(Z[sample_index : sample_index + 1])
    covs = fitted.params.full_covariances()
    history = fitted.history
    hist_text = "[" + ", ".join(_fmt(h, 1) for h in history[:4])
    hist_text += ", ...]" if len(history) > 4 else "]"
    status = f"converged after {fitted.n_iter} iterations" if fitted.converged else (
        f"not converged after {fitted.n_iter} iterations"
    )
    stages = [
        Stage(1, "Data in", _shape_text((N, D)), "raw data points", _shape_text((N, D)),
              _fmt_rows(X[shown]), (N, D), (N, D), X),
        Stage(2, "Preprocessing", _shape_text((N, D)),
              "standardise every feature to zero mean and unit variance", _shape_text((N, D)),
              _fmt_rows(Z[shown]), (N, D), (N, D), Z),
        Stage(3, "Feature engineering", _shape_text((N, D)),
              "none: the standardised features are used as they are", _shape_text((N, D)),
              _fmt_rows(Z[shown]), (N, D), (N, D), Z),
        Stage(4, "Model trains", _shape_text((N, D)),
              f"fit a GMM with {K} components by Expectation-Maximisation",
              f"{K} weights, {K} means, {K} covariance matrices",
              f"means {_fmt_rows(fitted.params.means)}; first covariance {_fmt_rows(covs[0])}",
              (N, D), None, fitted),
        Stage(5, "Metrics improve", "model parameters",
              f"log-likelihood after each EM iteration; {status}",
              f"final log-likelihood {_fmt(history[-1], 1)}",
              f"per iteration: {hist_text}", None, (len(history),), np.array(history)),
        Stage(6, "Prediction", _shape_text((1, D)),
              f"probability that row {sample_index} belongs to each component",
              _shape_text((1, K)) + " (probabilities sum to 1)",
              _fmt_rows(proba, 3), (1, D), (1, K), proba),
    ]
    return PipelineTrace(stages, fitted, X, Z, mean, scale, sample_index, seed)


# --------------------------------------------------------------------------- training
@dataclass(frozen=True, eq=False)
class TrainingTrace:
    """Log-likelihood per EM iteration, as a table and as a text bar chart.

    Attributes
    ----------
    iterations : list of int
        0 (after the initialisation), 1, 2, ...
    log_likelihoods : list of float
        Total log-likelihood after each, equal to ``fitted.history``.
    gains : list of float
        Change from the previous iteration (``nan`` for iteration 0).
    converged : bool
    """

    iterations: list[int]
    log_likelihoods: list[float]
    gains: list[float]
    converged: bool
    bar_width: int = 30

    def bars(self) -> list[str]:
        """One bar per iteration: the share of the total gain reached so far.

        A full bar is the final log-likelihood, an empty one the value after the
        initialisation; so the bars grow as EM climbs (higher is better).
        """
        ll = np.asarray(self.log_likelihoods)
        total = ll[-1] - ll[0]
        share = (ll - ll[0]) / total if total > 0 else np.ones_like(ll)
        return ["*" * int(round(s * self.bar_width)) for s in np.clip(share, 0, 1)]

    def _observations(self) -> list[str]:
        notes = []
        last = len(self.iterations) - 1
        for i, gain in enumerate(self.gains):
            if i == 0:
                notes.append("after the initialisation, before any EM iteration")
            elif i == last and self.converged:
                notes.append(f"improved by {_fmt(gain, 2)}; converged (change below tol)")
            elif i == last:
                notes.append(f"improved by {_fmt(gain, 2)}; stopped at max_iter, not converged")
            else:
                notes.append(f"improved by {_fmt(gain, 2)}")
        return notes

    def _rows(self) -> list[list[str]]:
        return [
            [str(it), _fmt(ll, 2), "" if i == 0 else _fmt(g, 2), bar, note]
            for i, (it, ll, g, bar, note) in enumerate(
                zip(self.iterations, self.log_likelihoods, self.gains, self.bars(), self._observations(),
                    strict=True)
            )
        ]

    _HEADER = ["iteration", "log-likelihood", "change", "share of total gain", "observation"]

    def __str__(self) -> str:
        width = max(len(_fmt(ll, 1)) for ll in self.log_likelihoods)
        chart = [f"{_fmt(ll, 1):>{width}} |{bar}" for ll, bar in
                 zip(self.log_likelihoods, self.bars(), strict=True)]
        lo, hi = _fmt(self.log_likelihoods[0], 1), _fmt(self.log_likelihoods[-1], 1)
        return (
            "Training trace (log-likelihood, higher is better)\n"
            + "\n".join(chart)
            + f"\n(bar: share of the climb from {lo} to {hi})\n\n"
            + _text_table(self._HEADER, self._rows())
        )

    def _repr_html_(self) -> str:
        caption = "Training trace: log-likelihood after each EM iteration"
        return _html_table(self._HEADER, self._rows(), caption)


def training_trace(fitted: em.FittedGMM) -> TrainingTrace:
    """The log-likelihood after every EM iteration of ``fitted`` (``fitted.history``).

    Parameters
    ----------
    fitted : em.FittedGMM

    Returns
    -------
    TrainingTrace
    """
    fitted = _check_fitted(fitted)
    history = [float(h) for h in fitted.history]
    gains = [float("nan")] + [b - a for a, b in zip(history, history[1:], strict=False)]
    return TrainingTrace(list(range(len(history))), history, gains, fitted.converged)


# --------------------------------------------------------------------------- prediction
@dataclass(frozen=True, eq=False)
class PredictionTrace:
    """The lesson's four layers for one sample.

    Attributes
    ----------
    x : array, shape (D,)
        Layer 1, the input sample.
    weights : array, shape (K,)
        Mixing weights :math:`\\pi_k`.
    densities : array, shape (K,)
        :math:`\\mathcal{N}(x|\\mu_k,\\Sigma_k)` for each component: a probability
        *density*, not a probability, so it can exceed 1 (a narrow component is tall).
    weighted : array, shape (K,)
        Layer 2, :math:`\\pi_k \\mathcal{N}(x|\\mu_k,\\Sigma_k)`.
    probabilities : array, shape (K,)
        Layer 3, ``weighted / weighted.sum()``; sums to 1.
    cluster : int
        Layer 4, the most probable component.
    """

    x: np.ndarray
    weights: np.ndarray
    densities: np.ndarray
    weighted: np.ndarray
    probabilities: np.ndarray
    cluster: int

    _HEADER = ["component k", "weight pi_k", "density N(x|k)", "pi_k N(x|k)", "probability"]

    def _rows(self) -> list[list[str]]:
        return [
            [str(k), _fmt(w, 3), f"{d:.4g}", f"{wd:.4g}", _fmt(p, 4)]
            for k, (w, d, wd, p) in enumerate(
                zip(self.weights, self.densities, self.weighted, self.probabilities, strict=True)
            )
        ]

    def _layers(self) -> list[tuple[str, str]]:
        total = float(self.weighted.sum())
        return [
            ("Layer 1: input sample", _fmt_rows(self.x, 3)),
            ("Layer 2: weighted Gaussian densities pi_k N(x|k) (densities, not probabilities: "
             "a density can exceed 1)",
             "[" + ", ".join(f"{v:.4g}" for v in self.weighted) + "]"),
            (f"Layer 3: normalise (divide by their sum, {total:.4g})",
             "[" + ", ".join(_fmt(v, 4) for v in self.probabilities)
             + f"], sum = {_fmt(self.probabilities.sum(), 4)}"),
            ("Layer 4: assign cluster", f"component {self.cluster} (the largest probability)"),
        ]

    def __str__(self) -> str:
        layers = "\n".join(f"{name}\n    {value}" for name, value in self._layers())
        return "Prediction trace\n" + layers + "\n\n" + _text_table(self._HEADER, self._rows())

    def _repr_html_(self) -> str:
        layers = [list(p) for p in self._layers()]
        layers = _html_table(["layer", "value"], layers, "Prediction trace: 4 layers")
        return layers + _html_table(self._HEADER, self._rows(), "Per component")


def prediction_trace(fitted: em.FittedGMM, x) -> PredictionTrace:
    """Follow one sample ``x`` through the lesson's four prediction layers.

    Parameters
    ----------
    fitted : em.FittedGMM
    x : array-like, shape (D,) or (1, D)
        One sample, in the same units as the data ``fitted`` was trained on
        (standardised, if the model was fitted on standardised data).

    Returns
    -------
    PredictionTrace
    """
    fitted = _check_fitted(fitted)
    if isinstance(x, str | bytes):
        raise TypeError("x must be one sample: a 1-D array of numbers, got a string")
    arr = np.asarray(x)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 1:
        raise ValueError(f"x must be one sample, shape (D,) or (1, D), got shape {arr.shape}")
    row = checks.array_2d(arr[None, :], "x")
    D = fitted.params.n_features
    if row.shape[1] != D:
        raise ValueError(f"x has {row.shape[1]} features but the model has {D}")
    params = fitted.params
    log_dens = em.estimate_log_prob(row, params)[0]
    resp, _ = em.e_step(row, params)  # log-sum-exp: stays exact where densities underflow
    weights = params.weights.copy()
    densities = np.exp(log_dens)
    return PredictionTrace(row[0], weights, densities, weights * densities, resp[0], int(resp[0].argmax()))


# --------------------------------------------------------------------------- the lesson vs the data
def order_broken(raw, standardised) -> list[int]:
    """Features whose standardised values are not in the order of their raw values.

    Standardising maps each feature by :math:`z = (x - m) / s` with :math:`s > 0`, a
    strictly increasing map, so it keeps the order of the rows within every feature,
    whatever the data's mean and scale. A feature listed here proves, without any
    data, that ``standardised`` is not a standardisation of ``raw``.

    Parameters
    ----------
    raw, standardised : array-like, shape (N, D)
        The same N rows before and after the claimed standardisation.

    Returns
    -------
    list of int
        Indices of the features whose order is broken (empty if none).
    """
    raw = checks.array_2d(raw, "raw")
    standardised = checks.array_2d(standardised, "standardised")
    if raw.shape != standardised.shape:
        raise ValueError(
            f"raw and standardised must have the same shape, got {raw.shape} and {standardised.shape}"
        )
    broken = []
    for j in range(raw.shape[1]):
        order = np.argsort(raw[:, j], kind="stable")
        r, z = raw[order, j], standardised[order, j]
        if np.any(np.sign(np.diff(z)) != np.sign(np.diff(r))):
            broken.append(j)
    return broken


def _order_proof() -> str:
    """The data-free proof that the lesson's standardised rows are invented, in words."""
    raw = np.array(LESSON_SAYS["sample_rows"])
    said = np.array(LESSON_SAYS["standardized_rows"])
    sentences = []
    for j in order_broken(raw, said):
        order = np.argsort(raw[:, j], kind="stable")
        sentences.append(
            f"the lesson's {LESSON_FEATURES[j]}s " + " < ".join(_fmt(v, 1) for v in raw[order, j])
            + " become " + ", ".join(_fmt(v, 2) for v in said[order, j]) + ", out of order"
        )
    if not sentences:
        return ""
    return (
        "Standardising subtracts a mean and divides by a positive scale, so it keeps the order "
        "of the rows within each feature, whatever the data; yet " + "; ".join(sentences)
        + ". So no data set standardises to the lesson's rows: they were typed in. "
    )


@dataclass(frozen=True, eq=False)
class LessonComparison:
    """The lesson's numbers next to the ones computed from the shipped data.

    Attributes
    ----------
    rows : list of (quantity, lesson says, computed)
    n_rows : int
    first_log_likelihoods : list of float
        The first values of the computed training trace (as many as the lesson lists).
    final_log_likelihood : float
        Where the computed run (``seed``) ends.
    final_by_seed : dict of int to float
        Final log-likelihood of runs with other seeds (local optima differ).
    single_gaussian : float
        Log-likelihood of one Gaussian, ``em.fit(Z, 1)``.
    """

    rows: list[tuple[str, str, str]]
    n_rows: int
    first_log_likelihoods: list[float]
    final_log_likelihood: float
    final_by_seed: dict[int, float]
    single_gaussian: float
    summary: str

    _HEADER = ["quantity", "the lesson says", "computed from the data"]

    def __str__(self) -> str:
        return _text_table(self._HEADER, [list(r) for r in self.rows]) + "\n\n" + self.summary

    def _repr_html_(self) -> str:
        return _html_table(self._HEADER, [list(r) for r in self.rows], "The lesson's numbers vs the data") + (
            f"<p>{html.escape(self.summary)}</p>"
        )


def compare_with_lesson(X=None, n_components: int = 3, seed: int = 0, n_seeds: int = 10) -> LessonComparison:
    """Compare the lesson's pipeline numbers (:data:`LESSON_SAYS`) with real ones.

    Parameters
    ----------
    X : array-like (N, D), PipelineTrace or None
        Raw data (standardised here, as in the lesson's pipeline), or a
        :class:`PipelineTrace` whose fit is reused. Defaults to the Iris sepal data,
        the data the lesson's sample rows come from.
    n_components : int
        K for the comparison fit (the lesson uses 3). Ignored for a PipelineTrace.
    seed : int
        Seed of the main run. Ignored for a PipelineTrace.
    n_seeds : int
        Number of seeds (0 .. n_seeds-1) whose final log-likelihoods are also
        reported, to show the range of local optima.

    Returns
    -------
    LessonComparison
    """
    n_seeds = checks.integer(n_seeds, "n_seeds", 1)
    if isinstance(X, PipelineTrace):
        trace = X
    else:
        trace = pipeline_trace(X, n_components, seed)
    Z, fitted = trace.Z, trace.fitted
    K = fitted.params.n_components
    lesson_ll = LESSON_SAYS["log_likelihood_per_iteration"]
    first = [float(h) for h in fitted.history[: len(lesson_ll)]]
    final = float(fitted.history[-1])
    finals = {s: float(em.fit(Z, K, seed=s).history[-1]) for s in range(n_seeds)}
    single = float(em.fit(Z, 1).history[-1])
    N, D = trace.X.shape
    rows = [
        ("rows of data", str(LESSON_SAYS["n_rows"]), str(N)),
        ("log-likelihood, first iterations", ", ".join(_fmt(v, 1) for v in lesson_ll),
         ", ".join(_fmt(v, 1) for v in first)),
        ("final log-likelihood", _fmt(LESSON_SAYS["final_log_likelihood"], 1),
         f"{_fmt(final, 1)} after {fitted.n_iter} iterations (seed {trace.seed})"),
        (f"final log-likelihood, seeds 0-{n_seeds - 1}", "",
         f"{_fmt(min(finals.values()), 1)} to {_fmt(max(finals.values()), 1)}"),
        ("one Gaussian (K=1)", "", _fmt(single, 1)),
    ]
    is_iris = trace.X.shape == (150, 2) and np.array_equal(trace.X, data.load_iris_sepal())
    if is_iris:
        raw = np.array(LESSON_SAYS["sample_rows"])
        rows.append(("the lesson's rows, standardised", _fmt_rows(np.array(LESSON_SAYS["standardized_rows"])),
                     _fmt_rows((raw - trace.mean) / trace.scale)))
    summary = "" if is_iris else (
        "Note: the lesson's numbers describe the Iris sepal data; this comparison uses other data. "
    )
    summary += _order_proof()
    summary += (
        f"With K={K}, EM on the standardised data ends at {_fmt(final, 1)}; over seeds 0-{n_seeds - 1} "
        f"it ends between {_fmt(min(finals.values()), 1)} and {_fmt(max(finals.values()), 1)}. "
        f"A single Gaussian already scores {_fmt(single, 1)}, so the lesson's final "
        f"{_fmt(LESSON_SAYS['final_log_likelihood'], 1)} would be barely better than one bell curve "
        f"({_fmt(LESSON_SAYS['final_log_likelihood'] - single, 1)} above it)."
    )
    return LessonComparison(rows, N, first, final, finals, single, summary)
