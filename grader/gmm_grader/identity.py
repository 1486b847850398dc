"""Student ids the grader accepts: a student must not choose whose submission theirs is.

nbgrader treats a student id as a path component and as a glob (``[b]ob`` matches
``bob``), and ``student_id_exclude`` splits it on commas. So an id reaches nbgrader, a
command line or a folder name only after :func:`check_student_id` accepted it.

On a shared exchange the id in a submission's folder name is also only a claim: the
folder's Unix owner (:func:`owner_name`; on the hub the user name is the student id) and
the class roster (:func:`roster_of`, :func:`check_on_roster`) decide whose it is, and its
last change (:func:`changed_at`) bounds the time it claims (``gmm_grader.exchange.CheckedCollect``).
"""

from __future__ import annotations

import datetime
import os
import pwd
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


def roster_of(db_url: str, course_id: str) -> frozenset[str]:
    """The student ids in the gradebook at ``db_url`` for ``course_id`` (empty if it has none).

    Parameters
    ----------
    db_url : str
        The gradebook's SQLAlchemy URL (nbgrader's ``CourseDirectory.db_url``).
    course_id : str
        The course whose gradebook it is.

    Returns
    -------
    frozenset of str
        Every student id the instructor's gradebook knows.
    """
    from nbgrader.api import Gradebook  # the instructor's side only: the learner never needs it

    with Gradebook(db_url, course_id) as gradebook:
        return frozenset(student.id for student in gradebook.students)


def check_on_roster(student_id: object, roster: frozenset[str] | None = None) -> str:
    """Return ``student_id`` if it is safe and, when a roster is given, on it.

    Parameters
    ----------
    student_id : object
        The id to check (a submission's folder name gives it: the student chose it).
    roster : frozenset of str or None
        The class's student ids; ``None`` checks the safe pattern only.

    Returns
    -------
    str
        ``student_id``, unchanged.

    Raises
    ------
    TypeError
        ``student_id`` is not a string, or ``roster`` is not a set of ids.
    ValueError
        ``student_id`` is not a safe id (see :func:`check_student_id`) or not on the roster.
    """
    check_student_id(student_id)
    if roster is not None:
        if not isinstance(roster, (set, frozenset)):
            raise TypeError(f"roster must be a set of student ids or None, got {type(roster).__name__}")
        if student_id not in roster:
            raise ValueError(
                f"student_id {student_id!r} is not on the class roster (the gradebook's students): "
                "add the student first (nbgrader db student add ID) if this is a real student"
            )
    return student_id


def owner_name(path: str | os.PathLike[str]) -> str | None:
    """The Unix user name owning ``path`` itself (not a link's target), or ``None`` if no user has its uid.

    On a JupyterHub with one Unix account per person, the hub's user name is the Unix
    user name and nbgrader's student id (``nbgrader.utils.get_username``), so the owner of a
    submission's folder is the student who made it.
    """
    uid = os.lstat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def changed_at(path: str | os.PathLike[str]) -> datetime.datetime:
    """The last time ``path`` or anything below it changed, as a naive UTC datetime.

    This is the newest inode change time (``st_ctime``) in the tree, links not followed. No
    user can set a change time (``touch`` and ``utime`` set only access and modification
    times, and changing those changes ``st_ctime`` to now), so a submission cannot claim to
    be older than its last change, and its claim to be newer can be checked against it.
    """
    newest = os.lstat(path).st_ctime
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            newest = max(newest, os.lstat(os.path.join(folder, name)).st_ctime)
    return datetime.datetime.fromtimestamp(newest, datetime.UTC).replace(tzinfo=None)
