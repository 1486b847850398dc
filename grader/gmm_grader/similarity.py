"""Similarity report: pairs of submissions whose answer code is unusually alike.

For the instructor, on the trusted side, after a class is graded (``run.py report``
calls it next to the item analysis). Each student's **answer code** is the source of
every code cell the instructor's notebook marks as a solution (nbgrader
``solution: true``), except the one-letter multiple-choice answers, read from the
student's autograded notebook (or the submitted one) by ``grade_id``.

How two submissions are compared (a fingerprint of the code's shape, not its names):

1. **Normalise** each cell with Python's own parser (:mod:`ast`): docstrings and
   comments go; every name the student chose (variables, arguments, helper functions)
   becomes ``V``, while builtins, attribute names (``np.linalg.solve``, ``.sum``) and
   the names the released notebook defines or imports (``np``, ``em``, ``log_gaussian``)
   stay; string constants become ``S``; keyword arguments are sorted; and the
   statements of every block are **sorted** by their normalised text, so reordering
   independent statements changes nothing. A cell that does not parse is normalised
   token by token instead (:mod:`tokenize`; names replaced, order kept).
2. **Fingerprint** the normalised token stream by **winnowing** (Schleimer, Wilkerson
   and Aiken, "Winnowing: local algorithms for document fingerprinting", SIGMOD 2003,
   the method of MOSS): hash every run of ``k`` tokens, keep the minimum hash of every
   window of ``window`` consecutive hashes. Any shared run of ``k + window - 1`` tokens
   is guaranteed to share a fingerprint; runs shorter than ``k`` never match.
3. **Remove the template**: the fingerprints of the released cell (the release
   notebook, or the source with its solutions cleared as ``nbgrader generate_assignment``
   does) are dropped from the student's, as MOSS drops a base file. A submission that
   only holds the template has no fingerprint left and is compared with no one.
4. **Score** a pair by the Jaccard index of their fingerprint sets (each fingerprint
   tagged with its cell), and say how **unusual** the score is for the class with the
   modified z-score of Iglewicz and Hoaglin (0.6745 (x - median) / MAD over every pair
   of the class; a pair at 3.5 or more is flagged).

What this cannot see: a copy rewritten with other numpy calls or another loop
structure, code shared through a common source outside the class (a tutorial, the
library's own ``em.py``), or two students who simply wrote the obvious few lines.
A high score is a reason to look at the two cells, never a verdict.
"""

from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import html
import io
import keyword
import statistics
import tokenize
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import nbformat

#: tokens per hashed run (the noise threshold: shorter shared runs are ignored)
K = 5
#: hashes per winnowing window (a shared run of K + WINDOW - 1 tokens is always caught)
WINDOW = 4
#: the modified z-score from which a pair is flagged (Iglewicz and Hoaglin's cut-off)
Z_FLAG = 3.5
#: longest cell source read (a student can submit megabytes)
MAX_SOURCE = 100_000
#: longest cell source shown in the report
MAX_SHOWN = 6_000
#: pairs listed in the HTML report (the CSV has every pair)
TOP_PAIRS = 10
#: names that stay as they are besides the notebook's own
KEEP = frozenset(dir(builtins))


# ---------------------------------------------------------------- normalising
class _Normaliser(ast.NodeTransformer):
    def __init__(self, keep: frozenset[str]):
        self.keep = keep
        self.local: list[set[str]] = []  # names bound inside each enclosing function

    def _name(self, name: str) -> str:
        if any(name in scope for scope in self.local):
            return "V"  # a student's local name, even one that shadows the notebook's
        return name if name in self.keep else "V"

    def _function(self, node: ast.AST) -> ast.AST:
        if not isinstance(node, ast.Lambda):
            node.name = self._name(node.name)
        bound = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
        bound |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        self.local.append(bound)
        try:
            return self.generic_visit(node)
        finally:
            self.local.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(id=self._name(node.id), ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.copy_location(ast.arg(arg="V"), node)  # annotations dropped

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str | bytes):
            return ast.copy_location(ast.Constant(value="S"), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        node.keywords.sort(key=lambda kw: (kw.arg or "", ast.dump(kw.value)))
        return node

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.ClassDef):
            node.name = self._name(node.name)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            node.decorator_list = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                node.returns = None
        super().generic_visit(node)
        for name in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                block[:] = sorted(
                    (s for s in block if not _is_bare_string(s)), key=lambda s: ast.dump(s)
                ) or [ast.Pass()]
        return node


def _is_bare_string(stmt: ast.stmt) -> bool:
    """A docstring or any string standing alone as a statement (it does nothing)."""
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and stmt.value.value == "S"


def _tokens(code: str, keep: frozenset[str]) -> list[str]:
    """The tokens of ``code`` with chosen names as ``V``, strings as ``S``, no comments."""
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER):
                continue
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                out.append(tok.string if tok.string in keep else "V")
            elif tok.type == tokenize.STRING or tok.type in _FSTRING:
                if not out or out[-1] != "S":
                    out.append("S")
            elif tok.type == tokenize.NEWLINE:
                out.append(";")
            elif tok.type == tokenize.INDENT:
                out.append("{")
            elif tok.type == tokenize.DEDENT:
                out.append("}")
            else:
                out.append(tok.string)
    except (tokenize.TokenError, SyntaxError):
        pass  # keep the tokens read before the error
    return out


_FSTRING = {
    getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)
}


def normalise(code: str, keep: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The token stream of ``code`` that fingerprints compare (see the module's step 1).

    Parameters
    ----------
    code : str
        Python source: a notebook cell.
    keep : set of str
        Names kept as they are (besides the builtins): what the released notebook
        defines or imports.

    Returns
    -------
    list of str
        Tokens; two cells that differ only in the names chosen, comments, docstrings
        and the order of statements within a block give the same list.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, got {type(code).__name__}")
    keep = KEEP | frozenset(keep)
    code = code[:MAX_SOURCE]
    try:
        tree = _Normaliser(keep).visit(ast.parse(code))  # sorts every block, the module's too
        text = ast.unparse(ast.fix_missing_locations(tree))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _tokens(code, keep)
    return _tokens(text, keep)


# ---------------------------------------------------------------- fingerprints
def _hash(gram: tuple[str, ...]) -> int:
    digest = hashlib.blake2b("\x00".join(gram).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def winnow(tokens: list[str], k: int = K, window: int = WINDOW) -> set[int]:
    """Winnowing fingerprints (Schleimer et al. 2003) of a token list.

    Every run of ``k`` tokens is hashed; of every ``window`` consecutive hashes the
    minimum is kept (the rightmost on a tie). A list shorter than ``k`` has none.
    """
    for name, value in (("k", k), ("window", window)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    hashes = [_hash(tuple(tokens[i : i + k])) for i in range(len(tokens) - k + 1)]
    if not hashes:
        return set()
    if len(hashes) <= window:
        return {min(hashes)}
    picked = set()
    for start in range(len(hashes) - window + 1):
        chunk = hashes[start : start + window]
        low = min(chunk)
        picked.add(start + max(i for i, h in enumerate(chunk) if h == low))
    return {hashes[i] for i in picked}


def fingerprints(code: str, template: str = "", keep: frozenset[str] | set[str] = frozenset()) -> set[int]:
    """The fingerprints of ``code`` that the template ``template`` does not have."""
    return winnow(normalise(code, keep)) - winnow(normalise(template, keep))


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b|; 0 when both are empty."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def modified_z(scores: list[float]) -> list[float]:
    """Iglewicz and Hoaglin's modified z-score of each value: 0.6745 (x - median) / MAD.

    With a MAD of 0 (over half the values equal), the mean absolute deviation stands in
    (x - median) / (1.253314 * meanAD); when that is 0 too every value is the median
    and every z is 0.
    """
    if not scores:
        return []
    median = statistics.median(scores)
    mad = statistics.median(abs(x - median) for x in scores)
    if mad > 0:
        return [0.6745 * (x - median) / mad for x in scores]
    mean_ad = statistics.fmean(abs(x - median) for x in scores)
    if mean_ad > 0:
        return [(x - median) / (1.253314 * mean_ad) for x in scores]
    return [0.0 for _ in scores]


# ---------------------------------------------------------------- the class
@dataclass
class Pair:
    """Two students and how alike their answer code is."""

    a: str
    b: str
    score: float
    shared: int
    cell_scores: dict[str, float]
    z: float = 0.0

    @property
    def flagged(self) -> bool:
        return self.z >= Z_FLAG


@dataclass
class SimilarityReport:
    """The pairs of one assignment, most alike first, and the code to show beside them."""

    assignment: str
    students: list[str]
    cells: list[tuple[str, str]]  # (notebook, grade_id) of every answer cell compared
    pairs: list[Pair]
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # student -> cell -> code
    templates: dict[str, str] = field(default_factory=dict)  # cell -> released code
    without_code: list[str] = field(default_factory=list)  # only the template, nothing to compare

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


def compare(
    sources: dict[str, dict[str, str]],
    templates: dict[str, str],
    keep: frozenset[str] | set[str] = frozenset(),
) -> tuple[list[Pair], list[str]]:
    """Rank every pair of students by the similarity of their answer code.

    Parameters
    ----------
    sources : dict
        {student: {cell id: the student's code in that cell}}.
    templates : dict
        {cell id: the released code of that cell}; its fingerprints are removed.
    keep : set of str
        Names kept in normalising (what the released notebook defines or imports).

    Returns
    -------
    (pairs, without_code)
        The pairs of students who both have code of their own, most alike first (ties by
        name), each with its modified z-score in the class; and the students whose
        answer cells hold nothing but the template.
    """
    if not isinstance(sources, dict) or not all(isinstance(v, dict) for v in sources.values()):
        raise TypeError("sources must be a dict of {student: {cell: code}}")
    prints = {
        student: {cell: fingerprints(code, templates.get(cell, ""), keep) for cell, code in cells.items()}
        for student, cells in sources.items()
    }
    tagged = {s: {(cell, h) for cell, hs in by_cell.items() for h in hs} for s, by_cell in prints.items()}
    without_code = sorted(s for s, fps in tagged.items() if not fps)
    compared = sorted(s for s, fps in tagged.items() if fps)
    pairs = []
    for a, b in combinations(compared, 2):
        cells = sorted(c for c in set(prints[a]) & set(prints[b]) if prints[a][c] or prints[b][c])
        pairs.append(
            Pair(
                a,
                b,
                jaccard(tagged[a], tagged[b]),
                len(tagged[a] & tagged[b]),
                {c: jaccard(prints[a][c], prints[b][c]) for c in cells},
            )
        )
    for pair, z in zip(pairs, modified_z([p.score for p in pairs]), strict=True):
        pair.z = z
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs, without_code


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) if cell.get("cell_type") == "code" else {}


def answer_cells(source_nb) -> list[str]:
    """grade_ids of the code cells students write (solutions), without multiple-choice letters."""
    from gmm_grader.item_analysis import choice_questions

    letters = {answer for answer, _, _ in choice_questions(source_nb)}
    return [
        meta["grade_id"]
        for meta in map(_nbgrader, source_nb.cells)
        if meta.get("solution") and meta.get("grade_id") and meta["grade_id"] not in letters
    ]


def released(course: Path, assignment: str, name: str, source_nb):
    """The notebook as released: ``release/`` if generated, else the source with solutions cleared."""
    path = course / "release" / assignment / f"{name}.ipynb"
    if path.is_file():
        return nbformat.read(path, as_version=4)
    from nbgrader.preprocessors import ClearSolutions

    nb, _ = ClearSolutions().preprocess(nbformat.from_dict(source_nb), {})
    return nb


def notebook_names(nb) -> set[str]:
    """Names a notebook defines or imports at its top level (kept when normalising)."""
    names: set[str] = set()
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError, RecursionError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def analyse(course: str | Path, assignment: str, students: list[str]) -> SimilarityReport:
    """Compare the answer code of ``students``' submissions of ``assignment``.

    Parameters
    ----------
    course : str or Path
        The nbgrader course folder (``source/``, ``release/``, ``autograded/``).
    assignment : str
        An assignment with notebooks in ``course/source/<assignment>/``.
    students : list of str
        The students to compare (the gradebook's submissions: ids never come from folder
        names alone). Each one's notebook is read from ``autograded/`` (or ``submitted/``);
        a student with neither counts as having no code of their own.

    Returns
    -------
    SimilarityReport
    """
    course = Path(course)
    if not isinstance(assignment, str) or not assignment:
        raise TypeError(f"assignment must be a non-empty string, got {assignment!r}")
    if isinstance(students, str) or not all(isinstance(s, str) and s for s in students):
        raise TypeError(f"students must be a list of student ids, got {students!r}")
    if not students:
        raise ValueError(f"students: the class of {assignment!r} is empty: nothing to compare")
    folder = course / "source" / assignment
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not notebooks:
        raise ValueError(f"assignment: no notebook of {assignment!r} in {folder}")
    sources: dict[str, dict[str, str]] = {s: {} for s in students}
    templates: dict[str, str] = {}
    cells: list[tuple[str, str]] = []
    keep: set[str] = set()
    for path in notebooks:
        source_nb = nbformat.read(path, as_version=4)
        release = released(course, assignment, path.stem, source_nb)
        keep |= notebook_names(release)
        by_id = {_nbgrader(c).get("grade_id"): c for c in release.cells}
        for gid in answer_cells(source_nb):
            cell_id = f"{path.stem}/{gid}" if len(notebooks) > 1 else gid
            cells.append((path.stem, gid))
            templates[cell_id] = by_id[gid].source[:MAX_SOURCE] if gid in by_id else ""
        for student in students:
            nb = _student_notebook(course, student, assignment, path.name)
            mine = {_nbgrader(c).get("grade_id"): c for c in nb.cells} if nb is not None else {}
            for _, gid in (c for c in cells if c[0] == path.stem):
                cell_id = f"{path.stem}/{gid}" if len(notebooks) > 1 else gid
                code = mine[gid].source if gid in mine else templates[cell_id]
                sources[student][cell_id] = str(code)[:MAX_SOURCE]
    pairs, without_code = compare(sources, templates, frozenset(keep))
    return SimilarityReport(assignment, sorted(students), cells, pairs, sources, templates, without_code)


def _student_notebook(course: Path, student: str, assignment: str, name: str):
    for stage in ("autograded", "submitted"):
        path = course / stage / student / assignment / name
        if path.is_file():
            try:
                return nbformat.read(path, as_version=4)
            except Exception:  # a notebook the student broke: nothing of theirs to compare
                return None
    return None


# ---------------------------------------------------------------- output
def _shown(code: str) -> str:
    code = code if len(code) <= MAX_SHOWN else code[:MAX_SHOWN] + "\n… (cut)"
    return html.escape(code)


def render_html_section(report: SimilarityReport, top: int = TOP_PAIRS) -> str:
    """The report's section: the ranked pairs, then each flagged pair's cells side by side.

    Everything a student wrote is HTML-escaped and shown as text in ``<pre>``.
    """
    esc = html.escape
    parts = [
        "<h2>Similar answer code</h2>",
        "<p>Each student's answer cells, with the released template removed, are compared by "
        "winnowing fingerprints of the code's shape (names the student chose, comments and the "
        "order of statements do not count). <em>similarity</em> is the share of fingerprints two "
        "submissions share (Jaccard, 0 to 1); <em>z</em> is how unusual that is for this class "
        f"(modified z-score over every pair); pairs with z ≥ {Z_FLAG:g} are flagged. A high score is "
        "a reason to read the two cells, not a verdict.</p>",
    ]
    if report.without_code:
        parts.append(
            "<p>Nothing of their own to compare (only the template): "
            + esc(", ".join(report.without_code))
            + ".</p>"
        )
    if not report.pairs:
        parts.append("<p>Fewer than two submissions have code of their own: no pair to compare.</p>")
        return "\n".join(parts)
    columns = ("rank", "students", "similarity", "z", "flagged", "cells most alike")
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    body = []
    for rank, p in enumerate(report.pairs[:top], 1):
        best = sorted(p.cell_scores.items(), key=lambda kv: -kv[1])[:3]
        body.append(
            f"<tr><td>{rank}</td><td>{esc(p.a)} &amp; {esc(p.b)}</td><td>{p.score:.2f}</td>"
            f"<td>{p.z:.1f}</td><td>{'yes' if p.flagged else ''}</td><td>"
            + esc(", ".join(f"{c} {s:.2f}" for c, s in best if s > 0))
            + "</td></tr>"
        )
    parts.append(f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>")
    shown = report.flagged[:top]
    if not shown:
        parts.append("<p>No pair is unusually similar for this class.</p>")
    for p in shown:
        parts.append(f"<h3>{esc(p.a)} &amp; {esc(p.b)}: similarity {p.score:.2f}, z {p.z:.1f}</h3>")
        for cell, score in sorted(p.cell_scores.items(), key=lambda kv: -kv[1]):
            if score <= 0:
                continue
            parts.append(
                f"<table class='side'><thead><tr><th colspan='2'>{esc(cell)}: {score:.2f}</th></tr>"
                f"<tr><th>{esc(p.a)}</th><th>{esc(p.b)}</th></tr></thead><tbody><tr>"
                f"<td><pre>{_shown(report.sources[p.a][cell])}</pre></td>"
                f"<td><pre>{_shown(report.sources[p.b][cell])}</pre></td></tr></tbody></table>"
            )
    return "\n".join(parts)


def write_csv(report: SimilarityReport, path: str | Path) -> Path:
    """Every pair, most alike first: ``similarity.csv``."""
    from gmm_grader.item_analysis import _csv_safe

    path = Path(path)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["rank", "student_a", "student_b", "similarity", "z", "flagged", "shared_fingerprints"]
        )
        for rank, p in enumerate(report.pairs, 1):
            writer.writerow([rank, _csv_safe(p.a), _csv_safe(p.b), p.score, p.z, int(p.flagged), p.shared])
    return path
