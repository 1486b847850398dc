"""nbgrader configuration for the gmm-lesson course.

Run every instructor command from this directory (``cd course``), e.g.
``nbgrader generate_assignment em_step_by_step``. See docs/README-instructors.md.

Defaults are for one machine: the exchange is ``course/exchange`` (git-ignored) and the
gradebook is the SQLite file ``course/gradebook.db``. On a JupyterHub set the
environment variable ``GMM_LESSON_EXCHANGE`` (for example ``/srv/nbgrader/exchange``)
and, if you want, ``GMM_LESSON_DB_URL`` (any SQLAlchemy URL; for PostgreSQL
``postgresql://user@host:port/database``, connected with psycopg 3). ``GMM_LESSON_COURSE_ID``
names the course (default ``gmm-lesson``): a second section of the same course is the
same folder copied, with another id, and needs no file edited.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = os.environ.get("GMM_LESSON_COURSE_ID", "gmm-lesson")
# The course root is this folder wherever the command is run from (and wherever the
# course is copied to).
c.CourseDirectory.root = str(COURSE_ROOT)
# The gradebook: SQLite beside this file unless GMM_LESSON_DB_URL names another database.
# A PostgreSQL URL written plainly (postgresql://user@host:port/db, or Heroku-style
# postgres://) is pinned to psycopg 3, the driver the `class` extra installs, whatever
# default driver the installed SQLAlchemy has. An explicit driver (postgresql+psycopg2://)
# is kept as written.
_db_url = os.environ.get("GMM_LESSON_DB_URL") or "sqlite:///" + str(COURSE_ROOT / "gradebook.db")
for _plain in ("postgresql://", "postgres://"):
    if _db_url.startswith(_plain):
        _db_url = "postgresql+psycopg://" + _db_url[len(_plain) :]
c.CourseDirectory.db_url = _db_url

# The exchange: where released assignments wait for students and submissions wait to
# be collected. nbgrader release_assignment creates it (world-writable) if missing.
c.Exchange.root = os.environ.get("GMM_LESSON_EXCHANGE", str(COURSE_ROOT / "exchange"))
# Collect only what the student it names made: a safe id, owned by that student's Unix
# account (or by you), a timestamp no later than its last change (gmm_grader/exchange.py).
c.ExchangeFactory.collect = "gmm_grader.exchange.CheckedCollect"

# Autograding: every cell gets 30 s, then the kernel is interrupted and the cell
# records a CellTimeoutError (that test scores 0, the rest of the notebook still runs).
c.Execute.timeout = 30  # JudgedExecute inherits these
c.Execute.interrupt_on_timeout = True

# A student who deletes a read-only test cell does not lose those points silently and
# does not escape the test: the cell is put back from the gradebook and graded.
# (Edited read-only cells are always restored from their checksum.)
c.OverwriteCells.add_missing_cells = True

# Grading that a student's code cannot forge (docs/README-instructors.md, "Trust"):
# nbgrader's Execute is replaced by gmm_grader.grading.JudgedExecute. Each student's
# kernel runs in a bubblewrap sandbox (its own unprivileged uid, no network, no view of
# this folder, the gradebook or the exchange) and only runs the student's functions on
# inputs the grader picks; the hidden check(...) lines of the test cells are judged here,
# outside the kernel, and the answer keys never enter it.
from gmm_grader.grading import DeduplicateCells, JudgedExecute  # noqa: E402
from gmm_grader.render import FeedbackExporter  # noqa: E402
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

# nbgrader 0.9's list, with DeduplicateIds replaced (a copied answer cell crashed it)
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateCells,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]
# nbgrader 0.9's list, with Execute replaced
c.Autograde.autograde_preprocessors = [
    JudgedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# What each assignment's grading kernel may import. em_step_by_step asks students to write
# the E-step and M-step with numpy, so its sandbox holds no implementation of them:
# gmm_lesson keeps only its parameters and data (em.GMMParams, no EM maths), and neither
# scikit-learn nor scipy is there. The other assignments use the library as learners do
# (em_in_depth too: its graded answers are computed with the library and scikit-learn, so
# the whole package and scikit-learn stay importable in its sandbox).
# (quiz and its sealed records: the learner's multiple-choice self-check cells, no EM maths;
# figures: the figures shown with their text alternative, display only.)
c.JudgedExecute.allowed_modules = {
    "em_step_by_step": ["params", "checks", "data", "figures", "quiz", "quiz_records"]
}
c.JudgedExecute.hidden_packages = {"em_step_by_step": ["sklearn", "scipy"]}
# A check can be graded in a kernel of its own that lacks more: em_in_depth's parameter
# count (check("n_parameters", ...)) is run again, with the notebook's cells before it, where
# neither scikit-learn nor GMMParams.n_parameters exists (its code is cut out of the sandbox's
# copy of params.py; bic and aic, which call it, fail there too), so delegating the count to
# either scores 0. That run alone decides that test cell.
c.JudgedExecute.isolated_checks = {
    "em_in_depth": {
        "n_parameters": {"hidden_packages": ["sklearn"], "hidden_names": ["params.GMMParams.n_parameters"]}
    }
}
# "none" grades without a sandbox: student code then runs with your rights and can read
# the keys and rewrite the gradebook. Only for a trusted single-user setting.
c.JudgedExecute.sandbox = os.environ.get("GMM_LESSON_GRADING_SANDBOX", "bubblewrap")

# Feedback pages (nbgrader generate_feedback, and the formgrader's feedback button) are
# written by gmm_grader.render.FeedbackExporter: nbgrader's own HTML exporter and feedback
# template, with every output sanitised again and a Content-Security-Policy first in the
# page's head (no script but the template's own and MathJax; no inline handlers, no
# javascript: URLs, no requests). The graded notebook itself was made safe to render by
# JudgedExecute (allow-listed outputs and metadata, inert student markdown).
c.GenerateFeedback.exporter_class = FeedbackExporter
# The sandbox's limits (gmm_grader.sandbox.Limits; docs/README-instructors.md, "Limits"):
# change any of memory, processes, address_space, cpu_seconds, file_size, open_files,
# tmpfs_size, shm_size here, e.g. {"memory": 2 * 2**30, "processes": 64}. Grading logs
# one line saying which limits are in force, and refuses to start where no memory cgroup
# (v1, or v2 under a delegated subtree) can be made for each kernel, unless
# GMM_LESSON_ALLOW_NO_MEMORY_LIMIT=1 (one student's kernel can then take the machine's memory).
c.JudgedExecute.limits = {}
c.JudgedExecute.allow_no_memory_limit = os.environ.get("GMM_LESSON_ALLOW_NO_MEMORY_LIMIT", "") == "1"
