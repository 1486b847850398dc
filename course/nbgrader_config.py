"""nbgrader configuration for the gmm-lesson course.

Run every instructor command from this directory (``cd course``), e.g.
``nbgrader generate_assignment em_step_by_step``. See docs/README-instructors.md.

Defaults are for one machine: the exchange is ``course/exchange`` (git-ignored) and the
gradebook is the SQLite file ``course/gradebook.db``. On a JupyterHub set the
environment variable ``GMM_LESSON_EXCHANGE`` (for example ``/srv/nbgrader/exchange``)
and, if you want, ``GMM_LESSON_DB_URL`` (any SQLAlchemy URL).
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "gmm-lesson"
# The course root is this folder wherever the command is run from (and wherever the
# course is copied to).
c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.db_url = os.environ.get(
    "GMM_LESSON_DB_URL", "sqlite:///" + str(COURSE_ROOT / "gradebook.db")
)

# The exchange: where released assignments wait for students and submissions wait to
# be collected. nbgrader release_assignment creates it (world-writable) if missing.
c.Exchange.root = os.environ.get("GMM_LESSON_EXCHANGE", str(COURSE_ROOT / "exchange"))

# Autograding: every cell gets 30 s, then the kernel is interrupted and the cell
# records a CellTimeoutError (that test scores 0, the rest of the notebook still runs).
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True

# A student who deletes a read-only test cell does not lose those points silently and
# does not escape the test: the cell is put back from the gradebook and graded.
# (Edited read-only cells are always restored from their checksum.)
c.OverwriteCells.add_missing_cells = True
