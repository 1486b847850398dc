"""Self-check feedback for the course's multiple-choice questions.

A self-paced learner asks for a question and checks an answer with plain function
calls (no widget needed)::

    from gmm_lesson import quiz
    quiz.ask("practice_q1")             # shows the question and its options
    quiz.check("practice_q1", "B")      # wrong: shows the hint and common mistakes
    quiz.check("practice_q1", "A")      # right: also reveals the worked solution

The answer keys are not stored here. Each question keeps only

* a **salted SHA-256 digest** of its correct letter, so :func:`check` can tell a
  right answer from a wrong one, and
* its **worked solution, encrypted** (XOR with a SHA-256 keystream derived from the
  question id and the correct letter, then base64), so only the right answer
  reveals it.

This hides the keys from anyone reading the package; it is not a lock against a
learner who tries all four letters (that is what a self-check is for). So only the
formative ``practice`` questions are here: the summative questions (``gmm_basics``,
``choosing_k``) have no self-check, and their keys live only in the hidden tests of
the nbgrader source notebooks. Every grade comes from those tests, never from this
module.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass

__all__ = ["LETTERS", "Feedback", "Question", "ask", "check", "digest", "question_ids", "seal", "unseal"]

LETTERS = ("A", "B", "C", "D")


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
    hint : str
    mistakes : tuple of str
        Common mistakes, shown after a wrong attempt.
    salt, answer_digest : str
        :func:`digest` of the correct letter with ``salt``.
    sealed_solution : str
        The worked solution, :func:`seal`-ed with the correct letter.
    """

    question_id: str
    level: str
    text: str
    options: dict[str, str]
    hint: str
    mistakes: tuple[str, ...]
    salt: str
    answer_digest: str
    sealed_solution: str

    def markdown(self) -> str:
        """The question and its options as Markdown."""
        options = "\n".join(f"- **{letter}.** {self.options[letter]}" for letter in LETTERS)
        return f"**{self.question_id}** ({self.level})\n\n{self.text}\n\n{options}"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
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
    solution : str or None
        The worked solution, revealed only by the correct answer.
    """

    question_id: str
    answer: str
    correct: bool
    hint: str
    mistakes: tuple[str, ...]
    solution: str | None

    def __bool__(self) -> bool:
        return self.correct

    def markdown(self) -> str:
        """The feedback as Markdown."""
        if self.correct:
            return f"**{self.answer}: correct.**\n\n**Worked solution**\n\n{self.solution}"
        mistakes = "\n".join(f"- {m}" for m in self.mistakes)
        return (
            f"**{self.answer}: not quite. Try again.**\n\n**Hint:** {self.hint}\n\n"
            f"**Common mistakes**\n\n{mistakes}"
        )

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return self.markdown().replace("**", "")

    __repr__ = __str__


def _q(
    question_id: str, level: str, text: str, options: list[str], hint: str, mistakes: list[str]
) -> Question:
    # a question without a record (only while a build script bootstraps it) accepts no answer
    salt, answer_digest, sealed_solution = _SEALED.get(question_id, ("", "", ""))
    return Question(
        question_id,
        level,
        text,
        dict(zip(LETTERS, options, strict=True)),
        hint,
        tuple(mistakes),
        salt,
        answer_digest,
        sealed_solution,
    )


# question id -> (salt, digest of the correct letter, sealed worked solution).
# Produced by `python course/tools/build_<assignment>.py --update-quiz`; the tests
# check them against the keys in the source notebooks' hidden tests.
_SEALED: dict[str, tuple[str, str, str]] = {
    "practice_q1": ("012cc758138034a9", "e50e59e76db1a80f5e67f1fea0835586cd06c9de5cdd960d49e32598fe3f87d0", "fajbp3d/rwR1+2hiN6Kawc6eQKCXqOg0fwl4T/CJ1ZCes9Qp4OH/tC3UQR3n9BGHEk/CUsEdLwLFeRJRocaKyKkLcmt9ZVf53++WUBJTXaNjcYQbl1g9dBMQLNzyaj+qWIO8NJ2FVP/SlC8EEqwM+b0xi1t9KuKr01QFYx8gR5ohP+C2HJZeYpRMjemO+wL463+nqQCI7KjrlWMQ1tzr0tIq6udLRNDUPfRRfDTvoe0OfxCFEjGF6jYLUkB9FwW1bjXy48GsfqTK6ZQy3/n79vw/Hyb7I3i5Xg8SO0jMpqGsSfrCm3P/v5vvCjI2hDaVQfKgdUbdPdrTeqG3YnwvO0FvrPAToGiFVVecAD7OoX0Xpuq1qjh7H5kv7UPSgbw7AkT0Sx2SwOZf6853L+2UDRHBG8cU6Pha5FaGbkiTEDM4cXq4n5WzB3nPjoFR8qrrDenaf192O1bcnDb/SbCR7OiEHanBPyMbbtthS7Hi/Gt06lLGTinpznWDyk5CSct3sxaRxKuj/Ff4SoS8JhFL+wmRBcmnu9JKkWuGxH9+fdGhmTW6sqtXd6z9fNQSveBJ0Q=="),  # noqa: E501
    "practice_q2": ("da12b5d3ab594664", "4af5014187686951ffb10de95afdcab544c5d26d3e759c043a754434efe9d110", "RUjoUWyWJIFaVpVYUBiotzMfSaljw0ywXN61UdgJpC/a5zpal0m0hL2NusyDkJxrEeMGam2ysY/Vm4YMJ43Y8eSUewxGnlrga/Px8tOyTQkE3Rgtfo3cU2YIz1QPwmENJicvRGnjOiGCUbM4Gem1BMmCTe6qIsEhmeECGfjgvTu6yBPIQtlo63Fdh3ZVhedqilf3dI1yeFiVra/SKDh0OLWeS3tc5Xtx+ZHuopNQs+KMNprQky+MyvLf6KDYqkS6oRJxcRh/dg4mMpqX8BXDQhwwLUcfczaGFVd5TglkkwpkduFTePi02WyjcclEeGz372dom9C3MXuyHrtd4UxtTYSnvYBN20H3Lci5EM/JS7iIfzyq+nagy6RNiq2WIJy6/57WVhM9+r6rQILp5JqcqtpOAVo="),  # noqa: E501
    "practice_q3": ("c4c3f2b4ff3a8e13", "4c53d1ebdf7fc674b0315197699fa531c46b88034b6da2878cfe3ffa54f4380b", "iOSJwNCR8Y4qkBbgJS4KmY0TcflzowhqCIlOXCLAScUV4BG73C8wPaoElNcJf/Vyx95WMMv74FFRu8+18bsW+gIp7esPGFHXxvFj5CKQzq0XjPu0LzuNeFVTwsKnNDsylHgkxhnZRvvxdCopYcA6XNJgfwhYjrW/zdO8DmVUffwkHvuas9u/NCPGiHpxsVH+Pj5vYN7WL3D5iGz481+1B2c9R4J0vwKjALR/3PpqZOlZ+dO7RTFqfCE9fyjdbF9GSb3+Gmaoh/cl+I1e7KlfaTzl/CFf+XkygLxJiAVdGGkA3+6Y6gJY2YE4Dy6FC2x9xUlZ3+3SZsUb6twxB+waGQ4xiMWvlvIJkYk66hrByxitPoIWR5QY0Z0DkY+iI5TXGZxK7LgAknSP2kBu5xp5ZO8NyrMrDIkQRXRY/FIHWke8Cu3tNvGhYzKL04JE83loyC+by5UyTUp6OJZgLXdqrWJXNrZBZhtM8ojqdI1ZE3EhA/Wh/SSYmFE8OTgKYC4SWIAmS7WMq0gTucqZSxryNcYRYGAFGOH0hV9tzVuMoijJM3RHUSSwRw5/+k9rPAVQ5aMLk+pJcvbiDWMaSscgtW/KVxhaLQGRW7G/u36izQ4u3sJnRR4pVQpE+cr2K7+cP4P0Pa5USVw9YJb6t2VOZQh9ZE5SJ3lur4TJMRk8Wu6UJlSsey6HpkyqI1f+GSLzcr9dWpB3qpDdKx5CVBXQ8SAvMGVgnz3RPAH25KcNy0cWo2F6oimlZpujtHGxF8eLqEjPk+e03RkNh+9GR5JxIAUqcy82/CWFsRdfEPE3tvVB5k/Ro9yrVNkiCTyUPNhbYmw="),  # noqa: E501
    "practice_q4": ("3f2b725a92134af3", "d59a094409676a48a55115d6456e323613e43fb5820a09b83ab3d6f44333d046", "4z26yVRIgU4w5xvBqWABvL5kG39F8uZhBYREogtOxiX1i8u3HJQ4DBoz9Yi9X385wFI8qHXtSSwHQbozg9qFtO/oLh/RsSJogc7VLdxX1E93Tdjf4rlOrwt0pwPslz/J3vPQ+ZjiPUSi4K2XMEFc3ASGvhLVulg7Y8d9+GV0KuwYzCLaaReNqK/80XjvuarnSBpZJfO5SAX8vj71rgtYEFcT+f+hDd+EEJPzJa9WJMIxdXMsknqw4+/Hj+4albdWe0MP0+jRoNjXiyo8JAnrIesk+nu8wOsFDxSnq4iCpLabdz1GPjIRMvR8V07TqjmN156/xN1+B1f7gpj4ux1lqOdbCGKSoYNy1VPCSH0G7rLCPXYqNnG6JeeRaQXIXSGKJnBq5QbMMvsKPRLwlWrsXuiR709+s0sur2PQpra9fNY2YwVsODMrqugUdBTO4gBLwkSt/ArZhHViNaXaiiI/RJAOIM5s+pRgM50zqrIR7nYFZdqiVO6GhDrZnLreWisG4gXCw/Wj+8tNOW+6KKQsCT0Ma78CEa82Ux/vRYm9UsDCOE+MdSMvUtpGT4pD4IrbVwdNFPeKHle6iitrtdaglGCFOgebagSUSqmPA7Arh+QHQ8DvhjA3k4mx2BwskoSxX0aU3e/0Ye8KE/zX2dKMH0JNHqRFilFzai5pWP+OW+Z5dFuTLNFdZQVUfzYOcZPkOrP8trcb5li/kkvV/BI+3saM1LsAMb3Fwt+boFcN5DqDcZTXS0SQGj2qdjsqqXJWRiywG6q0+izE8cPWTbVgIgHKcVIjbAgW3VIs42uHLsfl2CXSkTnSarJo2tXwuUj+tBRGEM9WOJS0YXoX8he1fWccKmci3zpkLQQd/8KLa/TyebSfg0hS4czboaVCm3ivtT7MrUrDAJ1tJLw="),  # noqa: E501
    "practice_q5": ("5cf98f92a557cb04", "0e5995b48f9868663ab13ffce57d0d8b71f51a4c1162e1a46e493503216d9bb1", "Dimtlge/99NpjdKh+aoMLM3hDuCPtXLJdY8jiTnOARkEKqJj2999iUwXx0WoCwyyDMDh2JPj7fchNhwiHVg72C3PMPQL6mKLNbQBepZazDo94J74DghiiBw3KqT6dIzWPHjgZ5T4GdnO9hzZYAuDi2NDJ/cYDyh3oG8oZTSnwcvX9tB3EmQKoUJ5wq782tHycyuG3DNKa0Z3UMimyRY3ngJUusgB8qDhW1R/4+jGNitTxXw4NJbkDTR0VGxhQIo84s5NLP209849qvxVMN4tquAdACBT6dQOGAo1kXUW8+HxbgPUOr26dg/Th+Vj+j1PTh9RAXmWHNwuJixdpyHAEwQYsQTVXaU9J4rTmecJ9V/q7L7SA8+JJ+3VlCPVK4ODnL042jfNAmmCFFkoYJKabuRzkkTnZKZfrqjI6YVfQH24XiN87KCKzjiYJdbYskp4xSYVQn4qpeejRIeEPbjIG3BUlo7sN79/j2CQLEgeF9eU64tGeSU="),  # noqa: E501
}

_SNIPPET_Q3 = """```python
from sklearn.mixture import GaussianMixture
import numpy as np
X = np.array([[1], [2], [3], [10], [11], [12]])
gmm = GaussianMixture(n_components=2, random_state=0)
gmm.fit(X)
labels = gmm.predict(X)
print(labels.tolist())
```"""

_SNIPPET_Q4 = """```python
from sklearn.mixture import GaussianMixture
X = [[1, 2], [3, 4], [5, 6]]
gmm = GaussianMixture(n_components=2)
gmm.fit(X)
labels = gmm.predict(X)
print(labels)
```"""

_QUESTIONS = [
    # ---------------------------------------------------------------- practice
    _q(
        "practice_q1", "easy",
        "What is the main idea behind a Gaussian Mixture Model (GMM)?",
        [
            "It assumes the data is made of several bell-shaped groups mixed together.",
            "It uses decision trees to split the data into groups.",
            "It finds the single best line through the data points.",
            "It clusters data by measuring distances only.",
        ],
        "GMM = a mix of bell curves, one per group.",
        [
            "Confusing GMM with decision trees.",
            "Thinking a GMM finds one line.",
            "Assuming a GMM uses only distances: it uses probabilities, so each group has its own "
            "spread and shape.",
        ],
    ),
    _q(
        "practice_q2", "easy",
        "Which Python library provides a ready-made Gaussian Mixture Model class?",
        ["matplotlib", "pandas", "scikit-learn", "tensorflow"],
        "Look for the machine-learning library with `fit` / `predict` estimators.",
        [
            "Choosing matplotlib: it draws plots; it does not fit models.",
            "Choosing pandas: it holds and reshapes tables of data.",
            "Choosing tensorflow: it is a deep-learning framework; you could build a mixture model "
            "with it, but it is not where the ready-made `GaussianMixture` class lives.",
        ],
    ),
    _q(
        "practice_q3", "medium",
        "In the code below, which statement about the printed labels is guaranteed?\n\n" + _SNIPPET_Q3,
        [
            "They are always `[0, 0, 0, 1, 1, 1]`, because the smaller values come first.",
            "The first three points share one label and the last three the other; which group is "
            "called 0 can change with `random_state` (or the library version).",
            "The labels alternate, `[0, 1, 0, 1, 0, 1]`.",
            "All six points get the same label, because the two groups overlap.",
        ],
        "Cluster numbers are names, not ranks. What stays the same if you swap the names 0 and 1?",
        [
            "Expecting label 0 for the group that comes first: the numbering depends on the random "
            "start (this is *label switching*).",
            "Comparing label lists directly: compare the split (which points are together) instead.",
            "Assuming alternating labels: the points 1, 2, 3 are far from 10, 11, 12.",
        ],
    ),
    _q(
        "practice_q4", "medium",
        "What does this snippet do?\n\n" + _SNIPPET_Q4,
        [
            "It raises an error: `X` must be a NumPy array, not a list of lists.",
            "It raises an error: `n_components` must be 3 or more for this data.",
            "It runs and prints three labels, each 0 or 1; without `random_state`, the labels can "
            "differ from one run to the next.",
            "It raises an error: `GaussianMixture` requires a `random_state` argument.",
        ],
        "scikit-learn converts array-likes (lists of lists too) with `np.asarray`. Try running it.",
        [
            "Believing lists are refused: `fit` and `predict` accept a list of lists.",
            "Thinking `random_state` is required: it is optional, and only makes runs repeatable.",
            "Thinking 2 components need more than 3 points: any 1 <= K <= number of samples is allowed.",
            "Calling `predict` before `fit` would raise `NotFittedError`; here the order is right.",
        ],
    ),
    _q(
        "practice_q5", "hard",
        "Your dataset has overlapping groups of different sizes and shapes. Which property of "
        "Gaussian Mixture Models makes them suitable?",
        [
            "They model overlapping groups with different shapes, using probabilities.",
            "They always create groups of equal size.",
            "They only work for groups that are perfectly separated.",
            "They require groups to be circular and of the same size.",
        ],
        "Each component has its own weight, mean and covariance, and points are shared softly.",
        [
            "Thinking a GMM needs equal group sizes: each component has its own weight.",
            "Assuming groups must be separate: where groups overlap, points get a share of each.",
            "Believing a GMM only fits circles: `covariance_type='full'` gives each component its "
            "own ellipse (only `'spherical'` is circular).",
        ],
    ),
]

_BY_ID = {q.question_id: q for q in _QUESTIONS}


def question_ids() -> list[str]:
    """Every question id, in course order."""
    return list(_BY_ID)


def _question(question_id) -> Question:
    if not isinstance(question_id, str):
        raise TypeError(
            f"question_id must be a string such as 'practice_q1', got {type(question_id).__name__}"
        )
    if question_id not in _BY_ID:
        raise ValueError(f"question_id must be one of {question_ids()}, got {question_id!r}")
    return _BY_ID[question_id]


def ask(question_id: str) -> Question:
    """The question ``question_id``; a notebook shows it as Markdown.

    Raises
    ------
    ValueError
        If ``question_id`` is not a known question.
    """
    return _question(question_id)


def check(question_id: str, answer: str) -> Feedback:
    """Check ``answer`` (a letter A-D, any case) to question ``question_id``.

    A right answer reveals the worked solution; a wrong one gives the hint and the
    common mistakes.

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
    correct = digest(question_id, letter, question.salt) == question.answer_digest
    solution = unseal(question_id, letter, question.sealed_solution) if correct else None
    return Feedback(question_id, letter, correct, question.hint, question.mistakes, solution)
