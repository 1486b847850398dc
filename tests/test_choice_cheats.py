"""Every graded multiple-choice test cell refuses a letter that only pretends to be right.

A student can answer with a ``str`` subclass whose ``==``, ``strip`` and ``upper`` are
rigged, so that ``answer == "A"`` holds for every letter. The hidden ``check("choice", ...)``
line must compare a plain copy of the string and so refuse it, while the right plain
letter passes. (Under autograding the answer reaches the grader as JSON, so no object
crosses at all; this runs the same check in-process, as an instructor's kernel does.)
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat
import nbgrader_helpers as h
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUESTION = re.compile(r'^check\("choice", \w+, question="(\w+)"\)$', re.M)
VARIABLE = re.compile(r"isinstance\((\w+), str\)")


def _choice_cells():
    for path in sorted((ROOT / "course" / "source").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            graded = cell.metadata.get("nbgrader", {}).get("grade")
            if cell.cell_type == "code" and graded and QUESTION.search(cell.source):
                yield pytest.param(cell.source, id=f"{path.stem}:{cell.metadata['nbgrader']['grade_id']}")


CELLS = list(_choice_cells())


def _key(question: str) -> str:
    """The key of ``question`` in the course's data files (course/quiz/*.toml)."""
    (key,) = [
        table[question]["key"]
        for path in sorted((ROOT / "course" / "quiz").glob("*.toml"))
        if question in (table := tomllib.loads(path.read_text()))
    ]
    return key


def test_every_assignment_with_multiple_choice_is_covered():
    names = {p.id.split(":")[0] for p in CELLS}
    assert {"gmm_basics", "em_step_by_step", "practice", "choosing_k", "em_in_depth"} <= names


@pytest.mark.parametrize("source", CELLS)
def test_hidden_key_accepts_the_right_letter_and_refuses_a_rigged_one(source, monkeypatch):
    (variable,) = set(VARIABLE.findall(source))
    # the key is in the course's data file, where judge.check finds it from the notebook's folder
    monkeypatch.chdir(ROOT / "course" / "source")
    key = _key(QUESTION.search(source).group(1))
    exec(compile(source, "<test cell>", "exec"), {variable: key})  # the right letter passes
    wrong = next(letter for letter in "ABCD" if letter != key)
    with pytest.raises(AssertionError):
        exec(compile(source, "<test cell>", "exec"), {variable: wrong})
    for letter in set("ABCD") - {key}:  # a rigged wrong letter; a rigged right one holds the key
        with pytest.raises(AssertionError):
            exec(compile(source, "<test cell>", "exec"), {variable: h.RiggedStr(letter)})
