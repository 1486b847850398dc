"""Student ids the grader accepts: a student must not choose whose submission theirs is.

nbgrader treats a student id as a path component and as a glob (``[b]ob`` matches
``bob``), and ``student_id_exclude`` splits it on commas. So an id reaches nbgrader, a
command line or a folder name only after :func:`check_student_id` accepted it.
"""

from __future__ import annotations

import re

#: letters, digits, dot, underscore and hyphen, starting with a letter or digit, at most 64
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def is_safe_id(student_id: object) -> bool:
    """Whether ``student_id`` is a string the grader can pass to nbgrader as it is."""
    return isinstance(student_id, str) and SAFE_ID.fullmatch(student_id) is not None


def check_student_id(student_id: object) -> str:
    """Return ``student_id`` if it is safe, else raise ``ValueError`` naming it."""
    if not isinstance(student_id, str):
        raise TypeError(f"student_id must be a str, got {type(student_id).__name__}")
    if SAFE_ID.fullmatch(student_id) is None:
        raise ValueError(
            f"student_id {student_id!r} is refused: a student id is 1 to 64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit (no glob characters, commas, slashes or spaces)"
        )
    return student_id
