"""One nbgrader process that autogrades several named students, one after the other.

    python -m gmm_grader.autograde_many ASSIGNMENT STUDENT [STUDENT ...] [-- NBGRADER OPTIONS]

Run in the course root by :func:`gmm_grader.classgrade.grade_slice`. It reads the same
configuration as ``nbgrader autograde`` (nbgrader's ``AutogradeApp`` is initialised with
the options, so the course's ``nbgrader_config.py`` and Jupyter's config folders apply),
and grades each student with nbgrader's own ``Autograde`` converter while
``CourseDirectory.student_id`` holds that one id: what ``nbgrader autograde ASSIGNMENT
--CourseDirectory.student_id=ID`` does, without paying nbgrader's start-up (1-3 s) once
per student. Ids are checked by :func:`gmm_grader.identity.check_student_id` first, so
nbgrader's glob matches exactly one folder; they are never joined into one option.

After each student a line ``<token> <student> graded`` (or ``failed``, or ``skipped`` when
nbgrader found it autograded already and unchanged, without ``--force``) goes to standard
output, where ``<token>`` is the value of ``GMM_AUTOGRADE_TOKEN``, a secret the parent
chose: the parent splits the log per student there and counts progress. Whether a student
was really graded is read from the gradebook, never from these lines.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from .identity import check_student_id

TOKEN_ENV = "GMM_AUTOGRADE_TOKEN"


def _outputs(coursedir, assignment: str, student: str) -> dict[str, int]:
    """The autograded notebooks of one submission, with their modification times."""
    folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    return {str(p): p.stat().st_mtime_ns for p in folder.glob("*.ipynb")}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    ours, nbgrader_args = argv[:cut], argv[cut + 1 :]
    if len(ours) < 2:
        print("usage: python -m gmm_grader.autograde_many ASSIGNMENT STUDENT... [-- OPTS]", file=sys.stderr)
        return 2
    assignment, students = ours[0], ours[1:]
    token = os.environ.pop(TOKEN_ENV, "")  # out of the environment every kernel inherits
    if not token:
        print(f"{TOKEN_ENV} is not set", file=sys.stderr)
        return 2
    for student in students:
        check_student_id(student)

    from nbgrader.apps.autogradeapp import AutogradeApp
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import NbGraderException

    app = AutogradeApp()
    app.initialize(nbgrader_args)
    app.coursedir.assignment_id = assignment
    failures = 0
    for student in students:
        app.coursedir.student_id = student
        outcome = "failed"
        before = _outputs(app.coursedir, assignment, student)
        try:
            Autograde(coursedir=app.coursedir, parent=app).start()
            # nbgrader skips (and says so) a submission autograded before and not changed
            # since, unless --force: then nothing was written, and nothing was graded now.
            after = _outputs(app.coursedir, assignment, student)
            outcome = "skipped" if after and after == before else "graded"
        except NbGraderException:  # nbgrader logged why, as `nbgrader autograde` does before exit 1
            pass
        except Exception:  # noqa: BLE001 -- anything else: logged, and the next student goes on
            app.log.error("autograding %s failed:\n%s", student, traceback.format_exc())
        failures += outcome == "failed"
        sys.stderr.flush()
        print(f"{token} {student} {outcome}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
