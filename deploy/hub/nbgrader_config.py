"""nbgrader settings for every hub user (installed into the users' environment).

``deploy/hub/hub.py`` copies this file to ``<users' venv>/etc/jupyter/nbgrader_config.py``,
where nbgrader finds it for every student and instructor. The hub passes both variables
to every single-user server (``deploy/hub/jupyterhub_config.py``), so a second section is
a second hub started with another ``GMM_LESSON_COURSE_ID``: no file is edited.
"""

import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.CourseDirectory.course_id = os.environ.get("GMM_LESSON_COURSE_ID", "gmm-lesson")
# nbgrader's stock shared-folder exchange (root-owned, mode 1777; see docs/README-hub.md);
# hub.py makes the course's folder in it, owned by the instructor, before any student can
c.Exchange.root = os.environ.get("GMM_LESSON_EXCHANGE", "/srv/nbgrader/exchange")
# The stock exchange leaves submissions and feedback readable by every user who finds
# them; these keep each private to its student and the instructor (grader/gmm_grader/exchange.py).
c.ExchangeFactory.submit = "gmm_grader.exchange.PrivateSubmit"
c.ExchangeFactory.release_feedback = "gmm_grader.exchange.PrivateReleaseFeedback"
# Student ids come from who owns a submission, never from its folder name alone: collect
# refuses a folder whose owner is not the student it names, or whose id is unsafe.
c.ExchangeFactory.collect = "gmm_grader.exchange.CheckedCollect"
