"""Write what the course derives from its quiz data files, ``course/quiz/<assignment>.toml``.

    .venv/bin/python course/quiz/sync.py           # write, then `jupytext --sync` what changed
    .venv/bin/python course/quiz/sync.py --check   # exit 1, naming what is stale; write nothing

Each multiple-choice question is written once, in its assignment's data file (the trusted
side: keys and worked solutions; never released, packaged or seen by a grading kernel).
From it this script writes

* in ``course/source/<assignment>/<assignment>.ipynb`` (and, through jupytext, its twin
  in ``course/text/``): the question cell ``<id>_text`` (when the data file has ``text``),
  the answer cell's solution ``answer_qN = "X"`` and the graded cell's hidden
  ``check("choice", answer_qN, question="<id>")`` line. The grader reads the key and the
  worked solution from the data file (``gmm_grader.judge.resolve``), never the notebook;
* ``gmm_lesson/quiz_records.py``: for a formative assignment (``formative = true``, i.e.
  ``practice``), the self-check's questions and hints, with the key only as a salted
  digest and, for each letter, a sealed text: the worked solution for the right letter,
  the question's ``[<id>.wrong]`` entry (what that letter gets wrong) for the others
  (``gmm_lesson.quiz``). A graded question gets only its id there: its key (and hint) must
  not ship in the package every student installs (four tries would find it). Its
  self-check reads this data file at run time, where it exists: a learner's own checkout;
* in each notebook, the self-check cell ``<id>_self_check`` after the answer cell:
  ``quiz.check("<id>", answer_qN)`` (practice's questions keep theirs).

``tests/test_authoring.py`` runs ``--check``: a hand edit of a derived cell, or a data
file changed without running this script, fails it.
"""

from __future__ import annotations

import pprint
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat

COURSE = Path(__file__).resolve().parents[1]
REPO = COURSE.parent
RECORDS = REPO / "gmm_lesson" / "quiz_records.py"
LETTERS = ("A", "B", "C", "D")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS", re.S)

sys.path.insert(0, str(REPO))
from gmm_lesson.quiz import digest, record, seal  # noqa: E402,F401 (record: tests use it from here)


def load(assignment: str) -> dict:
    """The data file of ``assignment``: ``{"formative": bool, "questions": {id: {...}}}``.

    Strings lose the newlines around them (TOML's multi-line strings keep one at the end).
    """
    raw = tomllib.loads((COURSE / "quiz" / f"{assignment}.toml").read_text())
    formative = raw.pop("formative", False)

    def clean(value):
        if isinstance(value, str):
            return value.strip("\n")
        return [clean(v) for v in value] if isinstance(value, list) else value

    questions = {qid: {k: clean(v) for k, v in q.items()} for qid, q in raw.items()}
    for qid, q in questions.items():
        if q.get("key") not in LETTERS or "variable" not in q:
            raise ValueError(f"{assignment}.toml [{qid}]: needs variable and a key among {LETTERS}")
        if "options" in q and len(q["options"]) != len(LETTERS):
            raise ValueError(f"{assignment}.toml [{qid}]: options must hold {len(LETTERS)} entries")
        wrong = q.get("wrong", {})
        if sorted(wrong) != sorted(set(LETTERS) - {q["key"]}) or not q.get("hint"):
            raise ValueError(
                f"{assignment}.toml [{qid}]: needs a hint and a [{qid}.wrong] entry for each wrong letter"
            )
    return {"formative": formative, "questions": questions}


def assignments() -> list[str]:
    """Every assignment with a quiz data file."""
    return sorted(p.stem for p in (COURSE / "quiz").glob("*.toml"))


def question_markdown(qid: str, q: dict) -> str:
    """The question cell: as :meth:`gmm_lesson.quiz.Question.markdown`, then what to do."""
    options = "\n".join(f"- **{letter}.** {text}" for letter, text in zip(LETTERS, q["options"], strict=True))
    return (
        f"**{qid}** ({q['level']})\n\n{q['text']}\n\n{options}\n\n"
        f"In the next cell, set `{q['variable']}` to your letter, as a string in quotes."
    )


def hidden_tests(qid: str, q: dict) -> str:
    """The graded cell's hidden part: the grader looks the key up by question id."""
    return (
        "### BEGIN HIDDEN TESTS\nfrom gmm_grader.judge import check\n\n"
        f'check("choice", {q["variable"]}, question="{qid}")\n### END HIDDEN TESTS'
    )


def self_check(qid: str, q: dict) -> str:
    """The self-check cell after a question's answer cell (not graded)."""
    return (
        "# instant self-check (not graded): a hint if wrong, the worked solution if right\n"
        "from gmm_lesson import quiz\n\n"
        f'quiz.check("{qid}", {q["variable"]})'
    )


def derived_cells(assignment: str) -> dict[str, str]:
    """cell id -> the source this assignment's data file gives it (hidden part: whole cell)."""
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    by_id = {cell.id: cell for cell in nb.cells}
    cells = {}
    data = load(assignment)
    for qid, q in data["questions"].items():
        if "text" in q:
            cells[f"{qid}_text"] = question_markdown(qid, q)
        cells[q.get("answer_cell", f"{qid}_answer")] = (
            f'### BEGIN SOLUTION\n{q["variable"]} = "{q["key"]}"\n### END SOLUTION'
        )
        if not data["formative"]:  # practice's questions keep their own self-check cells
            cells[f"{qid}_self_check"] = self_check(qid, q)
        test = by_id[qid].source
        if len(HIDDEN.findall(test)) != 1:
            raise ValueError(f"{assignment}/{qid}: the graded cell needs one hidden-tests region")
        cells[qid] = HIDDEN.sub(lambda _: hidden_tests(qid, q), test)  # noqa: B023
    missing = sorted(set(cells) - set(by_id))
    if missing:
        raise ValueError(f"{assignment}.ipynb has no cell {missing}")
    return cells


def records_module() -> str:
    """The text of gmm_lesson/quiz_records.py: formative questions sealed, graded ones' hints only."""
    records, graded = [], []
    for assignment in assignments():
        data = load(assignment)
        for qid, q in data["questions"].items():
            if not data["formative"]:
                graded.append(qid)  # no key, solution or hint: the package is every student's
                continue
            salt, answer_digest, sealed = record(qid, q["key"], q["solution"], q["wrong"])
            records.append(
                {
                    "question_id": qid,
                    "level": q.get("level", ""),
                    "text": q.get("text", ""),
                    "options": tuple(q.get("options", ())),
                    "hint": q["hint"],
                    "mistakes": tuple(q.get("mistakes", ())),
                    "salt": salt,
                    "answer_digest": answer_digest,
                    "sealed": sealed,
                }
            )
    body = pprint.pformat(tuple(records), width=100, sort_dicts=False)
    hints = pprint.pformat(tuple(graded), width=100)
    return (
        '"""The self-check\'s formative questions, with no answer key in clear, and the graded\n'
        "questions' ids only (their keys and hints stay in course/quiz, read at run time).\n\n"
        "Written by ``course/quiz/sync.py`` from ``course/quiz/<assignment>.toml``; do not edit.\n"
        '"""\n\n# ruff: noqa: E501\n\n'
        f"RECORDS = {body}\n\n"
        f"GRADED = {hints}\n"
    )


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for assignment in assignments():
        path = COURSE / "source" / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        wanted = derived_cells(assignment)
        changed = [cell.id for cell in nb.cells if cell.id in wanted and cell.source != wanted[cell.id]]
        if changed:
            stale.append(f"{path.relative_to(REPO)}: cells {changed}")
            if not check:
                for cell in nb.cells:
                    cell.source = wanted.get(cell.id, cell.source)
                nbformat.write(nb, path)
                subprocess.run(
                    [Path(sys.executable).parent / "jupytext", "--sync", str(path)], check=True, cwd=COURSE
                )
    text = records_module()
    if not RECORDS.is_file() or RECORDS.read_text() != text:
        stale.append(str(RECORDS.relative_to(REPO)))
        if not check:
            RECORDS.write_text(text)
    for item in stale:
        print(("stale: " if check else "wrote: ") + item)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
