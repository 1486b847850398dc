"""JupyterHub for the gmm-lesson course: one Unix account per person, nbgrader's stock exchange.

Started by ``python3 run.py hub`` (``deploy/hub/hub.py``), which installs what it uses.
Everything is set by environment variables, so a second section is a second hub with
another ``GMM_LESSON_COURSE_ID`` (and its own state folder and port), with no file edited:

``GMM_LESSON_INSTRUCTORS`` / ``GMM_LESSON_STUDENTS``
    comma-separated Unix user names allowed to log in (PAM, their own passwords). Each
    needs a Unix account with a home folder of mode 0700 (``useradd -m -K HOME_MODE=0700``):
    nbgrader files each submission under the OS user name of the server that submits it.
``GMM_LESSON_COURSE_ID`` (default ``gmm-lesson``), ``GMM_LESSON_EXCHANGE``
    (default ``/srv/nbgrader/exchange``)
    passed to every single-user server; nbgrader reads them there.
``GMM_LESSON_COURSE_DIR`` (default ``course``)
    the course folder in each instructor's home: on the instructor's first start the hub
    copies ``course/`` there (owned by the instructor) unless it exists. Its
    ``nbgrader_config.py`` (with the grading sandbox) is on the instructor's Jupyter config
    path, so the formgrader and ``nbgrader`` in the instructor's terminal both use it.
``GMM_LESSON_HUB_IP`` / ``GMM_LESSON_HUB_PORT`` (default ``127.0.0.1`` / ``8000``)
    where the hub is served (put TLS in front of it before opening it to a network).
``GMM_LESSON_HUB_API_PORT`` / ``GMM_LESSON_PROXY_API_PORT`` (default ``8081`` / ``8001``)
    the hub's and the proxy's own APIs, on 127.0.0.1 (a second hub needs other ports).
``GMM_LESSON_HUB_PREFIX``, ``GMM_LESSON_HUB_STATE``, ``GMM_LESSON_HUB_PROXY``
    set by ``hub.py``: the users' environment, the hub's state folder, the proxy.

Each user's server is ``jupyterhub-singleuser`` (JupyterLab) from the users' environment,
started by the local-process spawner **as that user**. Students get nbgrader's Assignments
tab (fetch, validate, submit, fetch feedback) and no formgrader; instructors also get the
formgrader, in their own server, as nbgrader documents for a single course on a hub.
"""

import os
import pwd
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hub_cgroups  # noqa: E402 -- beside this file

PROJECT = Path(__file__).resolve().parents[2]
PREFIX = Path(os.environ.get("GMM_LESSON_HUB_PREFIX", "/opt/gmm-lesson-hub"))
USERS_BIN = PREFIX / "venv" / "bin"
STATE = Path(os.environ.get("GMM_LESSON_HUB_STATE", "/srv/gmm-lesson-hub"))
COURSE_ID = os.environ.get("GMM_LESSON_COURSE_ID", "gmm-lesson")
EXCHANGE = os.environ.get("GMM_LESSON_EXCHANGE", "/srv/nbgrader/exchange")
COURSE_DIR = os.environ.get("GMM_LESSON_COURSE_DIR", "course")
COURSE_SOURCE = PROJECT / "course"


def _names(variable):
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


INSTRUCTORS = _names("GMM_LESSON_INSTRUCTORS")
STUDENTS = _names("GMM_LESSON_STUDENTS")

# -- the hub and its proxy ---------------------------------------------------------------
c.JupyterHub.bind_url = "http://{}:{}".format(
    os.environ.get("GMM_LESSON_HUB_IP", "127.0.0.1"), os.environ.get("GMM_LESSON_HUB_PORT", "8000")
)
# the hub's own API and the proxy's API, on this machine only (a second hub needs others)
HUB_API_PORT = os.environ.get("GMM_LESSON_HUB_API_PORT", "8081")
PROXY_API_PORT = os.environ.get("GMM_LESSON_PROXY_API_PORT", "8001")
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{HUB_API_PORT}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.command = [
    os.environ.get(
        "GMM_LESSON_HUB_PROXY",
        str(PROJECT / "build" / "hub" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy"),
    )
]
# Stopping the hub stops every user's server.
c.JupyterHub.cleanup_servers = True

# -- who may log in ----------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS

# -- memory limits for the instructors' grading ------------------------------------------
# The instructor grades as themself, unprivileged: the sandbox can set a memory limit per
# kernel only in a cgroup v2 subtree delegated to them. Where the host has cgroup v2 and
# the hub may write its own cgroup, each instructor's server gets one (hub_cgroups.py);
# elsewhere (cgroup v1, no memory controller) the hub opts out, and says why in one line.
# GMM_LESSON_ALLOW_NO_MEMORY_LIMIT=0 or 1 in the hub's environment overrides the choice.
SERVER_CGROUPS, NO_CGROUPS_WHY = hub_cgroups.prepare()
ALLOW_NO_MEMORY_LIMIT, _line = hub_cgroups.memory_limit_choice(
    SERVER_CGROUPS, NO_CGROUPS_WHY, os.environ.get("GMM_LESSON_ALLOW_NO_MEMORY_LIMIT")
)
print(_line, file=sys.stderr, flush=True)

# -- each person's own JupyterLab, as their own Unix user ----------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(USERS_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 180  # two cores shared by a class: a cold start can take a while
c.Spawner.http_timeout = 180
c.Spawner.environment = {
    # the users' environment first (nbgrader runs alembic); bwrap, prlimit and setpriv
    # (the instructor's grading sandbox) are in /usr/bin
    "PATH": f"{USERS_BIN}:/usr/local/bin:/usr/bin:/bin",
    "GMM_LESSON_COURSE_ID": COURSE_ID,
    "GMM_LESSON_EXCHANGE": EXCHANGE,
    # see "memory limits" below
    "GMM_LESSON_ALLOW_NO_MEMORY_LIMIT": ALLOW_NO_MEMORY_LIMIT,
}


def _copy_course(home, user):
    """The course folder for an instructor who has none yet, owned by the instructor."""
    target = Path(home) / COURSE_DIR
    if os.path.lexists(target):
        return target
    generated = {"release", "submitted", "autograded", "feedback", "exchange", "gradebook.db", "__pycache__"}
    shutil.copytree(
        COURSE_SOURCE,
        target,
        symlinks=True,
        ignore=lambda folder, names: [n for n in names if n in generated],
    )
    for folder, dirs, files in os.walk(target):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, user.pw_uid, user.pw_gid)
    return target


def pre_spawn_hook(spawner):
    """Instructors: their course folder and the instructor tools on their Jupyter config path."""
    if spawner.user.name not in INSTRUCTORS:
        return
    user = pwd.getpwnam(spawner.user.name)
    course = _copy_course(user.pw_dir, user)
    # a new dict: the configured one is shared by every spawner
    spawner.environment = {
        **spawner.environment,
        "JUPYTER_CONFIG_PATH": os.pathsep.join([str(course), str(PREFIX / "instructor")]),
    }


c.Spawner.pre_spawn_hook = pre_spawn_hook


if SERVER_CGROUPS is not None:
    from jupyterhub.spawner import LocalProcessSpawner

    class DelegatingSpawner(LocalProcessSpawner):
        """An instructor's server starts in a cgroup v2 subtree of its own (hub_cgroups.delegate)."""

        def make_preexec_fn(self, name):
            drop = super().make_preexec_fn(name)
            if name not in INSTRUCTORS:
                return drop
            user = pwd.getpwnam(name)

            def preexec():  # in the server's process, as root, before it becomes the instructor
                try:
                    hub_cgroups.delegate(SERVER_CGROUPS, name, user.pw_uid, user.pw_gid, os.getpid())
                except OSError as exc:  # grading then refuses, loudly, for want of a memory limit
                    print(f"gmm-lesson hub: no cgroup delegated to {name}: {exc}", file=sys.stderr)
                drop()

            return preexec

    c.JupyterHub.spawner_class = DelegatingSpawner
