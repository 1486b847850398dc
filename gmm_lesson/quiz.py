"""Self-check feedback for the course's multiple-choice questions.

A self-paced learner asks for a question and checks an answer with plain function
calls (no widget needed)::

    from gmm_lesson import quiz
    quiz.ask("practice_q1")             # shows the question and its options
    quiz.check("practice_q1", "B")      # wrong: the hint, and what B gets wrong
    quiz.check("practice_q1", "A")      # right: also reveals the worked solution

Every multiple-choice question of every assignment can be self-checked, in two ways:

* **Formative questions** (``practice``) ship with the package (from
  ``course/quiz/practice.toml``, through ``course/quiz/sync.py`` into
  :mod:`gmm_lesson.quiz_records`), so they work anywhere, JupyterLite included.
* **Graded questions** (the other assignments) do not: four tries would find a key, and
  the package is installed by every student of a class. Their records are made at run
  time from the course's own data file (``course/quiz/<assignment>.toml``), found where a
  self-paced learner has it (:func:`course_quiz_folder`: ``$GMM_LESSON_COURSE``, set by
  ``run.py lab``, or a ``course/`` folder above the notebook). Elsewhere, in a class or
  a grading sandbox, :func:`check` says it cannot self-check that question and reveals
  nothing.

Either way a question's record holds no key in clear, only

* a **salted SHA-256 digest** of its correct letter, so :func:`check` can tell a
  right answer from a wrong one, and
* for **each letter, a sealed text** (XOR with a SHA-256 keystream derived from the
  question id and that letter, then base64; every text padded to the same length): the
  worked solution for the right letter, what that letter gets wrong for the others. So
  a wrong letter opens only its own mistake, never the others' (which would give the
  answer away by elimination), and only the right letter opens the solution.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .quiz_records import GRADED, RECORDS

__all__ = ["LETTERS", "Feedback", "Question", "ask", "check", "digest", "question_ids", "seal", "unseal"]

LETTERS = ("A", "B", "C", "D")
#: what every sealed text is padded with, so that all four have the same length
PAD = "\0"


# --------------------------------------------------------------------------- hashing
def digest(question_id: str, answer: str, salt: str) -> str:
    """Salted SHA-256 of one answer.

    Parameters
    ----------
    question_id, answer, salt : str

    Returns
    -------
    str
        ``sha256("salt|question_id|answer")`` as 64 hex digits.
    """
    return hashlib.sha256(f"{salt}|{question_id}|{answer}".encode()).hexdigest()


def _keystream(question_id: str, answer: str, n_bytes: int) -> bytes:
    """``n_bytes`` of SHA-256 blocks of ``"question_id|answer|0"``, ``"...|1"``, ..."""
    blocks = (hashlib.sha256(f"{question_id}|{answer}|{i}".encode()).digest() for i in itertools.count())
    return bytes(itertools.islice(itertools.chain.from_iterable(blocks), n_bytes))


def seal(question_id: str, answer: str, text: str) -> str:
    """Encrypt ``text`` so that only ``(question_id, answer)`` opens it.

    Parameters
    ----------
    question_id, answer : str
        Together they seed the keystream.
    text : str
        The plain text (e.g. a worked solution).

    Returns
    -------
    str
        The UTF-8 bytes of ``text`` XOR-ed with the keystream, base64-encoded.
    """
    plain = text.encode()
    key = _keystream(question_id, answer, len(plain))
    return base64.b64encode(bytes(p ^ k for p, k in zip(plain, key, strict=True))).decode("ascii")


def unseal(question_id: str, answer: str, token: str) -> str:
    """Inverse of :func:`seal`.

    Parameters
    ----------
    question_id, answer : str
    token : str
        What :func:`seal` returned.

    Returns
    -------
    str
        The plain text. With the wrong answer it is garbage, or the bytes are not
        UTF-8 and ``UnicodeDecodeError`` is raised.
    """
    sealed = base64.b64decode(token)
    key = _keystream(question_id, answer, len(sealed))
    return bytes(s ^ k for s, k in zip(sealed, key, strict=True)).decode()


# --------------------------------------------------------------------------- questions
@dataclass(frozen=True, repr=False)
class Question:
    """One multiple-choice question.

    Attributes
    ----------
    question_id : str
    level : {"easy", "medium", "hard"}
    text : str
        The question, in Markdown (may contain a code block).
    options : dict of str to str
        ``{"A": ..., "B": ..., "C": ..., "D": ...}``.
        Empty, with no ``options``, for a question whose text is in its notebook only.
    hint : str
    mistakes : tuple of str
        Common mistakes (practice), shown with the worked solution once answered right.
    salt, answer_digest : str
        :func:`digest` of the correct letter with ``salt``.
    sealed : dict of str to str
        For each letter, a text :func:`seal`-ed with that letter: the worked solution for
        the right one, what the letter gets wrong for the others.
    """

    question_id: str
    level: str
    text: str
    options: dict[str, str]
    hint: str
    mistakes: tuple[str, ...]
    salt: str
    answer_digest: str
    sealed: dict[str, str]

    def markdown(self) -> str:
        """The question and its options as Markdown."""
        if not self.options:
            return f"**{self.question_id}**: the question is in its notebook."
        options = "\n".join(f"- **{letter}.** {self.options[letter]}" for letter in LETTERS)
        return f"**{self.question_id}** ({self.level})\n\n{self.text}\n\n{options}"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        if not self.options:
            return f"{self.question_id}: the question is in its notebook."
        options = "\n".join(f"  {letter}. {self.options[letter]}" for letter in LETTERS)
        return f"{self.question_id} ({self.level})\n{self.text}\n{options}"

    __repr__ = __str__


@dataclass(frozen=True, repr=False)
class Feedback:
    """The result of :func:`check`.

    Attributes
    ----------
    question_id, answer : str
    correct : bool
    hint : str
    mistakes : tuple of str
        A wrong answer: what that letter gets wrong (one entry). The right answer: the
        question's common mistakes, if it has any.
    solution : str or None
        The worked solution, revealed only by the correct answer.
    note : str or None
        Set when this question cannot be self-checked here (a graded question away from
        the course's own files): what to do instead. ``correct`` is then False.
    """

    question_id: str
    answer: str
    correct: bool
    hint: str
    mistakes: tuple[str, ...]
    solution: str | None
    note: str | None = None

    def __bool__(self) -> bool:
        return self.correct

    def markdown(self) -> str:
        """The feedback as Markdown."""
        if self.note:
            return f"**No self-check here for {self.question_id}.** {self.note}"
        if self.correct:
            text = f"**{self.answer}: correct.**\n\n**Worked solution**\n\n{self.solution}"
            if self.mistakes:
                text += "\n\n**Common mistakes**\n\n" + "\n".join(f"- {m}" for m in self.mistakes)
            return text
        (mistake,) = self.mistakes
        return (
            f"**{self.answer}: not yet. Try again.**\n\n**What {self.answer} gets wrong:** {mistake}\n\n"
            f"**Hint:** {self.hint}"
        )

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return self.markdown().replace("**", "")

    __repr__ = __str__


# The questions come from the course's data files (course/quiz/*.toml), written into
# quiz_records.py by course/quiz/sync.py: the key only as a digest, every letter's text sealed.
_QUESTIONS = [
    Question(
        r["question_id"],
        r["level"],
        r["text"],
        dict(zip(LETTERS, r["options"], strict=True)) if r["options"] else {},
        r["hint"],
        tuple(r["mistakes"]),
        r["salt"],
        r["answer_digest"],
        dict(r["sealed"]),
    )
    for r in RECORDS
]

_BY_ID = {q.question_id: q for q in _QUESTIONS}


#: What a graded question's self-check says where the course's own files are not at hand.
UNAVAILABLE = (
    "This question is graded by your instructor, so its answer is not part of the gmm_lesson "
    "package that every student installs. Working alone from the course's repository? Open this "
    "notebook with `python3 run.py lab` (or run `python3 run.py check`): the self-check then reads "
    "the course's own answer file."
)


def question_ids() -> list[str]:
    """Every question id: the formative ones, then the graded ones."""
    return [*_BY_ID, *GRADED]


def record(qid: str, key: str, solution: str, wrong: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    """``(salt, digest, sealed)`` of one question: ``sealed`` maps each letter to its text
    sealed with that letter (the solution for ``key``, ``wrong[letter]`` for the others), every
    text padded to one length so that no token's length tells the key. The salt comes from
    the id and the solution, so the same data gives the same record and a stale one can be told."""
    salt = hashlib.sha256(f"gmm-lesson|{qid}|{solution}".encode()).hexdigest()[:16]
    texts = {letter: solution if letter == key else wrong[letter] for letter in LETTERS}
    width = max(len(text.encode()) for text in texts.values())
    sealed = {
        letter: seal(qid, letter, text + PAD * (width - len(text.encode()))) for letter, text in texts.items()
    }
    return salt, digest(qid, key, salt), sealed


def course_quiz_folder() -> Path | None:
    """The course's own quiz data (``course/quiz``) on a self-paced learner's machine.

    ``$GMM_LESSON_COURSE`` (``run.py lab`` sets it), else a ``course/`` folder beside the
    working directory or above it (``exercises/<assignment>/`` in a checkout). None in a
    class (the course folder is the instructor's) and in a grading sandbox.
    """
    here = Path.cwd()
    env = os.environ.get("GMM_LESSON_COURSE")
    for course in [*([Path(env)] if env else []), *(p / "course" for p in (here, *here.parents))]:
        folder = course / "quiz"
        if folder.is_dir() and any(folder.glob("*.toml")):
            return folder
    return None


def _clean(value):
    """A data file's value as course/quiz/sync.py reads it (strings without outer newlines)."""
    if isinstance(value, str):
        return value.strip("\n")
    return [_clean(v) for v in value] if isinstance(value, list) else value


def _graded_question(question_id: str) -> Question | None:
    """A graded question read from the course's own data file, or None where there is none."""
    folder = course_quiz_folder()
    if folder is None:
        return None
    for path in sorted(folder.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8")).get(question_id)
        if not isinstance(raw, dict):
            continue
        q = {k: _clean(v) for k, v in raw.items()}
        salt, answer_digest, sealed = record(question_id, q["key"], q["solution"], q["wrong"])
        options = dict(zip(LETTERS, q["options"], strict=True)) if q.get("options") else {}
        return Question(question_id, q.get("level", ""), q.get("text", ""), options, q["hint"],
                        tuple(q.get("mistakes", ())), salt, answer_digest, sealed)
    return None


def _question(question_id) -> Question | None:
    """The question; None for a graded one whose data file is not at hand."""
    if not isinstance(question_id, str):
        raise TypeError(
            f"question_id must be a string such as 'practice_q1', got {type(question_id).__name__}"
        )
    if question_id in _BY_ID:
        return _BY_ID[question_id]
    if question_id in GRADED:
        return _graded_question(question_id)
    raise ValueError(f"question_id must be one of {question_ids()}, got {question_id!r}")


def ask(question_id: str) -> Question:
    """The question ``question_id``; a notebook shows it as Markdown.

    Raises
    ------
    ValueError
        If ``question_id`` is not a known question, or is a graded question whose
        course data file is not at hand (see :data:`UNAVAILABLE`).
    """
    question = _question(question_id)
    if question is None:
        raise ValueError(f"{question_id}: {UNAVAILABLE}")
    return question


def check(question_id: str, answer: str) -> Feedback:
    """Check ``answer`` (a letter A-D, any case) to question ``question_id``.

    A right answer reveals the worked solution; a wrong one gives the hint and what that
    letter gets wrong (and nothing about the other letters).

    Raises
    ------
    ValueError
        If ``question_id`` is unknown or ``answer`` is not one of A, B, C, D.
    TypeError
        If ``answer`` is not a string.
    """
    question = _question(question_id)
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a string, one of {LETTERS}, got {type(answer).__name__}")
    letter = answer.strip().upper()
    if letter not in LETTERS:
        raise ValueError(f"answer must be one of {LETTERS}, got {answer!r}")
    if question is None:  # graded, and the course's data file is not here: say so, reveal nothing
        return Feedback(question_id, letter, False, "", (), None, UNAVAILABLE)
    correct = digest(question_id, letter, question.salt) == question.answer_digest
    text = unseal(question_id, letter, question.sealed[letter]).rstrip(PAD)
    if correct:
        return Feedback(question_id, letter, True, question.hint, question.mistakes, text)
    return Feedback(question_id, letter, False, question.hint, (text,), None)
