"""Item analysis of a graded assignment, for the instructor.

Reads the gradebook (nbgrader's :class:`nbgrader.api.Gradebook`, SQLite or PostgreSQL,
whatever ``CourseDirectory.db_url`` the course's ``nbgrader_config.py`` names) and the
autograded notebooks in ``course/autograded/<student>/<assignment>/``, and reports

* per assignment: students, mean score, the share who passed (a total of at least
  ``pass_mark`` of the maximum, 0.5 unless told otherwise);
* per graded cell: the share of students with full points ("passed"), the mean score,
  the **point-biserial correlation** of passing the cell with the student's total score
  *without that cell* (the corrected item-total correlation: including the cell would
  count the cell's own points as agreement), and the most common failing messages (the
  ``ename: evalue`` of the error outputs the grader left in the autograded cell);
* per multiple-choice question: how many students chose each letter, read from the
  student's own answer cell (``answer_q1 = "B"``) in the autograded notebook. A question
  is multiple choice when the instructor's solution in ``course/source`` is one
  assignment of a one-letter string; the hidden test's key is not read.

``write_report`` writes ``index.html`` (self-contained: matplotlib plots embedded as
PNG data, no scripts, no external files; everything a student wrote is HTML-escaped)
and CSV files (``assignment.csv``, ``cells.csv``, ``messages.csv``, ``choices.csv``,
``students.csv``) into ``course/reports/<assignment>/``; the command adds the similarity
report of :mod:`gmm_grader.similarity` (the pairs of students whose answer code is
unusually alike, as a section of ``index.html`` and ``similarity.csv``)::

    python -m gmm_grader.item_analysis em_step_by_step        # from the project root
    python3 run.py report em_step_by_step                      # the same, in .venv

Only students with a submission in the gradebook count. This module runs on the
instructor's side only; it holds no answer key.
"""

from __future__ import annotations

import argparse
import ast
import base64
import csv
import html
import io
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

#: what a student's letter becomes when it cannot be read as a string literal
NO_ANSWER = "(no answer)"
NOT_A_LITERAL = "(not a string literal)"
UNREADABLE = "(cell does not parse)"
MISSING_NOTEBOOK = "(no autograded notebook)"
#: the letters every multiple-choice question offers (others chosen are listed too)
LETTERS = ("A", "B", "C", "D")
#: how many failing messages per cell the HTML report shows (the CSV has them all)
TOP_MESSAGES = 5
#: longest message or answer kept (a student can print megabytes)
MAX_TEXT = 300


@dataclass
class CellStats:
    """One graded cell of the assignment, over every student with a submission."""

    notebook: str
    grade_id: str
    max_score: float
    scores: dict[str, float]
    messages: Counter = field(default_factory=Counter)
    point_biserial: float = math.nan

    @property
    def passed(self) -> dict[str, bool]:
        """{student: the cell got full points}."""
        return {s: score >= self.max_score for s, score in self.scores.items()}

    @property
    def pass_rate(self) -> float:
        return sum(self.passed.values()) / len(self.scores) if self.scores else math.nan

    @property
    def mean_score(self) -> float:
        return float(np.mean(list(self.scores.values()))) if self.scores else math.nan


@dataclass
class ChoiceStats:
    """One multiple-choice question: the letters the students chose."""

    notebook: str
    answer_cell: str
    variable: str
    graded_cell: str | None
    letters: Counter = field(default_factory=Counter)
    chosen: dict[str, str] = field(default_factory=dict)


@dataclass
class ItemAnalysis:
    """Everything the report shows for one assignment."""

    assignment: str
    max_score: float
    pass_mark: float
    totals: dict[str, float]
    cells: list[CellStats]
    choices: list[ChoiceStats]

    @property
    def students(self) -> list[str]:
        return sorted(self.totals)

    @property
    def mean_score(self) -> float:
        return float(np.mean(list(self.totals.values()))) if self.totals else math.nan

    @property
    def pass_rate(self) -> float:
        if not self.totals:
            return math.nan
        return sum(t >= self.pass_mark * self.max_score for t in self.totals.values()) / len(self.totals)


# ---------------------------------------------------------------- statistics
def point_biserial(passed: list[bool] | np.ndarray, totals: list[float] | np.ndarray) -> float:
    """The point-biserial correlation of a pass/fail item with a score.

    :math:`r_{pb} = \\frac{M_1 - M_0}{s}\\sqrt{p\\,(1 - p)}`, with :math:`M_1, M_0` the
    mean score of those who passed and failed, :math:`s` the (population) standard
    deviation of every score and :math:`p` the share who passed. It equals Pearson's r
    of the 0/1 item with the score. NaN when everyone passed, everyone failed, or
    every score is the same (no correlation is defined).

    Parameters
    ----------
    passed : sequence of bool
        One entry per student: the item was passed.
    totals : sequence of float
        The same students' scores (the report uses the total without the item).

    Returns
    -------
    float
        Between -1 and 1, or NaN.
    """
    item = np.asarray(passed, dtype=bool)
    score = np.asarray(totals, dtype=float)
    if item.ndim != 1 or score.shape != item.shape:
        raise ValueError(
            f"passed and totals must be 1-D of one length, got shapes {item.shape} and {score.shape}"
        )
    p = item.mean() if item.size else math.nan
    s = score.std() if item.size else 0.0
    if not 0 < p < 1 or s == 0:
        return math.nan
    return float((score[item].mean() - score[~item].mean()) / s * math.sqrt(p * (1 - p)))


# ---------------------------------------------------------------- reading notebooks
def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _solution_body(source: str) -> str:
    lines = source.splitlines()
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    if markers[0] in (line.strip() for line in lines):
        start = [line.strip() for line in lines].index(markers[0])
        end = next((i for i in range(start, len(lines)) if lines[i].strip() == markers[1]), len(lines))
        lines = lines[start + 1 : end]
    return "\n".join(lines)


def _choice_variable(source: str) -> str | None:
    """The variable of an instructor's multiple-choice solution (``answer_q1 = "B"``)."""
    try:
        body = ast.parse(_solution_body(source)).body
    except SyntaxError:
        return None
    if len(body) != 1 or not isinstance(body[0], ast.Assign) or len(body[0].targets) != 1:
        return None
    target, value = body[0].targets[0], body[0].value
    if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
        return target.id if len(value.value.strip()) == 1 and value.value.strip().isalpha() else None
    return None


def read_letter(source: str, variable: str) -> str:
    """The letter a student's answer cell gives ``variable``, as the grader reads it.

    The last top-level assignment of a string literal to ``variable`` counts, stripped and
    upper-cased (the graded check does the same). Anything else gets a label in brackets:
    no assignment (the untouched ``raise NotImplementedError()``), a value that is not a
    string literal, a cell that does not parse.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return UNREADABLE
    letter = NO_ANSWER
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == variable for t in targets):
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    letter = _clip(value.value.strip().upper()) or "(empty string)"
                else:
                    letter = NOT_A_LITERAL
    return letter


def _graded_cells(nb) -> list:
    return [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")]


def _grade_id(cell) -> str:
    return cell.metadata["nbgrader"]["grade_id"]


def choice_questions(source_nb) -> list[tuple[str, str, str | None]]:
    """(answer cell id, variable, the graded cell after it) of every multiple-choice question."""
    cells = _graded_cells(source_nb)
    found = []
    for i, cell in enumerate(cells):
        meta = cell.metadata["nbgrader"]
        if cell.cell_type == "code" and meta.get("solution") and not meta.get("grade"):
            variable = _choice_variable(cell.source)
            if variable:
                graded = next(
                    (_grade_id(c) for c in cells[i + 1 :] if c.metadata["nbgrader"].get("grade")), None
                )
                found.append((_grade_id(cell), variable, graded))
    return found


def failing_message(cell) -> str:
    """What an autograded cell reported: the last error output, as ``ename: evalue``."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        last = errors[-1]
        return _clip(f"{last.get('ename', '')}: {last.get('evalue', '')}".strip(": "))
    return "(no error message)"


# ---------------------------------------------------------------- gathering
def load_course_config(course: Path):
    """The course's own ``nbgrader_config.py`` (so ``GMM_LESSON_DB_URL`` and friends apply)."""
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(course) / "nbgrader_config.py"
    if not path.is_file():
        raise ValueError(f"course: no nbgrader_config.py in {course}")
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def analyse(
    course: str | Path,
    assignment: str,
    *,
    db_url: str | None = None,
    course_id: str | None = None,
    pass_mark: float = 0.5,
) -> ItemAnalysis:
    """Gather the item analysis of ``assignment`` from the gradebook and autograded notebooks.

    Parameters
    ----------
    course : str or Path
        The nbgrader course folder (``course/``: ``nbgrader_config.py``, ``source/``,
        ``autograded/``).
    assignment : str
        An assignment in the gradebook, already autograded.
    db_url, course_id : str, optional
        Override the gradebook URL and course id of the course's config.
    pass_mark : float
        The share of the maximum score that passes the assignment, in [0, 1].

    Returns
    -------
    ItemAnalysis
    """
    from nbgrader.api import Gradebook, MissingEntry

    course = Path(course)
    if not isinstance(assignment, str) or not assignment:
        raise TypeError(f"assignment must be a non-empty string, got {assignment!r}")
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, int | float) or not 0 <= pass_mark <= 1:
        raise ValueError(f"pass_mark must be a number in [0, 1], got {pass_mark!r}")
    config = load_course_config(course)
    db_url = db_url or config.CourseDirectory.db_url
    course_id = course_id or config.CourseDirectory.course_id
    autograded = course / "autograded"
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///") :]).is_file():
        # nbgrader's Gradebook would create an empty one
        raise ValueError(f"db_url: no gradebook at {db_url}: grade the assignment first")

    with Gradebook(db_url, course_id=course_id) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"assignment: {assignment!r} is not in the gradebook at {db_url}") from None
        submissions = {s.student_id: s for s in gb.assignment_submissions(assignment)}
        if not submissions:
            raise ValueError(f"assignment: {assignment!r} has no submissions in the gradebook")
        max_score = float(record.max_score)
        totals: dict[str, float] = {}
        cells: list[CellStats] = []
        for notebook in sorted(record.notebooks, key=lambda n: n.name):
            order = {c.name: i for i, c in enumerate(notebook.grade_cells)}
            by_cell: dict[str, CellStats] = {}
            for student in submissions:
                for grade in gb.find_submission_notebook(notebook.name, assignment, student).grades:
                    stats = by_cell.setdefault(
                        grade.name, CellStats(notebook.name, grade.name, float(grade.max_score), {})
                    )
                    stats.scores[student] = float(grade.score)
                    totals[student] = totals.get(student, 0.0) + float(grade.score)
            source_nb = _read(course / "source" / assignment / f"{notebook.name}.ipynb")
            if source_nb is not None:
                order = {_grade_id(c): i for i, c in enumerate(_graded_cells(source_nb))}
            cells.extend(
                sorted(by_cell.values(), key=lambda c: (order.get(c.grade_id, len(order)), c.grade_id))
            )

    choices: list[ChoiceStats] = []
    students = sorted(submissions)
    for stats in cells:  # a grade nbgrader never stored counts as 0, as in its own totals
        for student in students:
            stats.scores.setdefault(student, 0.0)
    notebooks = sorted({c.notebook for c in cells})
    for name in notebooks:
        source_nb = _read(course / "source" / assignment / f"{name}.ipynb")
        questions = choice_questions(source_nb) if source_nb is not None else []
        choices.extend(ChoiceStats(name, answer, variable, graded) for answer, variable, graded in questions)
        for student in students:
            nb = _read(autograded / student / assignment / f"{name}.ipynb")
            by_id = {_grade_id(c): c for c in _graded_cells(nb)} if nb is not None else {}
            for stats in cells:
                if stats.notebook == name and stats.scores[student] < stats.max_score:
                    cell = by_id.get(stats.grade_id)
                    stats.messages[failing_message(cell) if cell is not None else MISSING_NOTEBOOK] += 1
            for question in choices:
                if question.notebook == name:
                    cell = by_id.get(question.answer_cell)
                    letter = MISSING_NOTEBOOK if nb is None else NO_ANSWER
                    if cell is not None:
                        letter = read_letter(cell.source, question.variable)
                    question.chosen[student] = letter
                    question.letters[letter] += 1

    for stats in cells:
        passed = [stats.passed[s] for s in students]
        rest = [totals[s] - stats.scores[s] for s in students]
        stats.point_biserial = point_biserial(passed, rest)
    return ItemAnalysis(
        assignment, max_score, float(pass_mark), {s: totals.get(s, 0.0) for s in students}, cells, choices
    )


def _read(path: Path):
    return nbformat.read(path, as_version=4) if path.is_file() else None


# ---------------------------------------------------------------- output
def _number(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _csv_safe(value):
    """A value a spreadsheet will not run: text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([[_csv_safe(v) for v in row] for row in rows])


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _plots(result: ItemAnalysis) -> dict[str, str]:
    """PNG data URLs: pass rate per cell, the distribution of totals, letters per question."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    images = {}
    fig = Figure(figsize=(7, 0.4 * len(result.cells) + 1.2))
    ax = fig.add_subplot()
    labels = [c.grade_id for c in result.cells][::-1]
    ax.barh(labels, [c.pass_rate for c in result.cells][::-1], color="#0072B2")
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of students with full points")
    ax.set_title(f"{result.assignment}: pass rate per graded cell")
    images["pass_rates"] = _png(fig)

    fig = Figure(figsize=(7, 3))
    ax = fig.add_subplot()
    ax.hist(
        list(result.totals.values()),
        bins=min(20, max(5, len(result.totals))),
        range=(0, result.max_score or 1),
        color="#009E73",
        edgecolor="white",
    )
    ax.axvline(result.pass_mark * result.max_score, color="#D55E00", linestyle="--", label="pass mark")
    ax.set_xlabel(f"total score (of {result.max_score:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    images["totals"] = _png(fig)

    for question in result.choices:
        fig = Figure(figsize=(5, 2.6))
        ax = fig.add_subplot()
        letters = _letter_order(question.letters)
        ax.bar(range(len(letters)), [question.letters[x] for x in letters], color="#CC79A7")
        ax.set_xticks(range(len(letters)), [_tick(x) for x in letters])
        ax.set_ylabel("students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"{question.answer_cell}: letters chosen")
        ax.tick_params(axis="x", labelrotation=30)
        images[f"choice:{question.notebook}:{question.answer_cell}"] = _png(fig)
    return images


def _tick(text: str) -> str:
    """A student's text as a plot label: short, and never read as mathtext ($...$)."""
    text = text if len(text) <= 16 else text[:15] + "…"
    return text.replace("$", r"\$")


def _letter_order(letters: Counter) -> list[str]:
    # other letters students chose first, then the labels in brackets
    return list(LETTERS) + sorted(
        (x for x in letters if x not in LETTERS), key=lambda x: (x.startswith("("), x)
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(result: ItemAnalysis, similarity=None) -> str:
    """The report as one HTML page with its plots inline; every value is escaped.

    ``similarity``, a :class:`gmm_grader.similarity.SimilarityReport`, adds its section.
    """
    esc = html.escape
    images = _plots(result)
    cells_rows = [
        [
            c.notebook,
            c.grade_id,
            f"{c.max_score:g}",
            f"{sum(c.passed.values())} / {len(c.scores)}",
            f"{c.pass_rate:.0%}",
            _number(c.mean_score),
            _number(c.point_biserial, 2),
        ]
        for c in result.cells
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        # nothing but inline images and styles: the page makes no request of its own
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">",
        f"<title>Item analysis: {esc(result.assignment)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.2em .5em;"
        "text-align:left;vertical-align:top}th{background:#eee}img{max-width:100%}"
        "table.side{table-layout:fixed;width:100%}table.side td{width:50%}"
        "pre{white-space:pre-wrap;margin:0;font-size:.85em}</style></head><body>",
        f"<h1>Item analysis: {esc(result.assignment)}</h1>",
        _table(
            ["students", "max score", "mean score", f"passed (total ≥ {result.pass_mark:.0%} of max)"],
            [
                [
                    str(len(result.totals)),
                    f"{result.max_score:g}",
                    _number(result.mean_score),
                    f"{result.pass_rate:.0%}",
                ]
            ],
        ),
        f"<img alt='distribution of total scores' src='{images['totals']}'>",
        "<h2>Graded cells</h2>",
        "<p>A student <em>passed</em> a cell with full points for it. <em>r<sub>pb</sub></em> is the "
        "point-biserial correlation of passing the cell with the student's total <strong>without "
        "that cell</strong> (the corrected item-total correlation): near 0 or negative, the cell does "
        "not separate strong from weak students; n/a when everyone (or no one) passed.</p>",
        _table(["notebook", "cell", "points", "passed", "pass rate", "mean score", "r_pb"], cells_rows),
        f"<img alt='pass rate per graded cell' src='{images['pass_rates']}'>",
        "<h2>Most common failing messages</h2>",
    ]
    for c in result.cells:
        if c.messages:
            rows = [[message, str(n)] for message, n in c.messages.most_common(TOP_MESSAGES)]
            parts.append(f"<h3>{esc(c.grade_id)}</h3>" + _table(["message", "students"], rows))
    if not any(c.messages for c in result.cells):
        parts.append("<p>Every student passed every cell.</p>")
    parts.append("<h2>Multiple-choice questions: letters chosen</h2>")
    for q in result.choices:
        rows = [[letter, str(q.letters[letter])] for letter in _letter_order(q.letters)]
        parts.append(
            f"<h3>{esc(q.answer_cell)} (<code>{esc(q.variable)}</code>, graded in "
            f"{esc(q.graded_cell or 'no cell')})</h3>"
            + _table(["letter", "students"], rows)
            + f"<img alt='letters chosen for {esc(q.answer_cell, quote=True)}' "
            f"src='{images[f'choice:{q.notebook}:{q.answer_cell}']}'>"
        )
    if not result.choices:
        parts.append("<p>This assignment has no multiple-choice question.</p>")
    if similarity is not None:
        from gmm_grader.similarity import render_html_section

        parts.append(render_html_section(similarity))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(result: ItemAnalysis, out: str | Path, similarity=None) -> Path:
    """Write ``index.html`` and the CSV files into ``out``; return the HTML's path.

    With ``similarity`` (a :class:`gmm_grader.similarity.SimilarityReport`) the page has its
    section and ``similarity.csv`` lists every pair.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if similarity is not None:
        from gmm_grader.similarity import write_csv

        write_csv(similarity, out / "similarity.csv")
    _write_csv(
        out / "assignment.csv",
        ["assignment", "students", "max_score", "mean_score", "pass_mark", "pass_rate"],
        [
            [
                result.assignment,
                len(result.totals),
                result.max_score,
                result.mean_score,
                result.pass_mark,
                result.pass_rate,
            ]
        ],
    )
    _write_csv(
        out / "cells.csv",
        [
            "notebook",
            "grade_id",
            "max_score",
            "students",
            "passed",
            "pass_rate",
            "mean_score",
            "point_biserial",
        ],
        [
            [
                c.notebook,
                c.grade_id,
                c.max_score,
                len(c.scores),
                sum(c.passed.values()),
                c.pass_rate,
                c.mean_score,
                c.point_biserial,
            ]
            for c in result.cells
        ],
    )
    _write_csv(
        out / "messages.csv",
        ["notebook", "grade_id", "message", "students"],
        [[c.notebook, c.grade_id, m, n] for c in result.cells for m, n in c.messages.most_common()],
    )
    _write_csv(
        out / "choices.csv",
        ["notebook", "answer_cell", "variable", "graded_cell", "letter", "students"],
        [
            [q.notebook, q.answer_cell, q.variable, q.graded_cell or "", letter, q.letters[letter]]
            for q in result.choices
            for letter in _letter_order(q.letters)
        ],
    )
    _write_csv(
        out / "students.csv",
        ["student", "total", *[c.grade_id for c in result.cells], *[q.variable for q in result.choices]],
        [
            [
                s,
                result.totals[s],
                *[c.scores[s] for c in result.cells],
                *[q.chosen[s] for q in result.choices],
            ]
            for s in result.students
        ],
    )
    index = out / "index.html"
    index.write_text(render_html(result, similarity), encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    """``python -m gmm_grader.item_analysis ASSIGNMENT [--course DIR] [--out DIR] ...``."""
    parser = argparse.ArgumentParser(
        prog="python -m gmm_grader.item_analysis", description=__doc__.split("\n")[0]
    )
    parser.add_argument("assignment")
    parser.add_argument("--course", default="course", help="the nbgrader course folder (default: course)")
    parser.add_argument("--out", help="where to write the report (default: COURSE/reports/ASSIGNMENT)")
    parser.add_argument("--db-url", help="the gradebook's SQLAlchemy URL (default: the course's config)")
    parser.add_argument("--course-id", help="the course id in the gradebook (default: the course's config)")
    parser.add_argument("--pass-mark", type=float, default=0.5, help="share of the maximum that passes (0.5)")
    args = parser.parse_args(argv)
    course = Path(args.course).resolve()
    from gmm_grader import similarity

    try:
        result = analyse(
            course, args.assignment, db_url=args.db_url, course_id=args.course_id, pass_mark=args.pass_mark
        )
        similar = similarity.analyse(course, args.assignment, result.students)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    index = write_report(result, args.out or course / "reports" / args.assignment, similar)
    print(
        f"{len(result.totals)} students, {len(result.cells)} graded cells, "
        f"{len(result.choices)} multiple-choice questions, "
        f"{len(similar.flagged)} unusually similar pairs: {index}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
