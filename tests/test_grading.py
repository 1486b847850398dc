"""The pieces of trusted grading, one by one: hidden checks, probe, judges, sandbox.

tests/test_grading_attacks.py grades a hostile class end to end; these tests pin down
each piece with a clear failure message.
"""

from __future__ import annotations

import json
import os
import shutil

import nbformat
import nbgrader_helpers as h
import numpy as np
import pytest
from gmm_grader import grading, judge, probe, sandbox
from nbclient.util import run_sync
from nbformat.v4 import new_code_cell

from gmm_lesson import em


# ---------------------------------------------------------------- hidden checks are read, not run
def test_hidden_part_is_parsed_into_checks_without_running_it():
    source = (
        "assert True\n### BEGIN HIDDEN TESTS\n# a worked solution\n"
        "from gmm_grader.judge import check\n\n"
        'check("e_step", e_step)\ncheck("choice", answer_q1, key="B")\n### END HIDDEN TESTS'
    )
    visible, checks = grading.parse_checks(source, "cell")
    assert visible == "assert True\n"
    assert [(c.name, c.values, c.options) for c in checks] == [
        ("e_step", ["e_step"], {}),
        ("choice", ["answer_q1"], {"key": "B"}),
    ]
    assert checks[0].token != checks[1].token


@pytest.mark.parametrize(
    "hidden, message",
    [
        ("import os\ncheck('e_step', e_step)", "may only hold check"),
        ("check('no_such_judge', e_step)", "name a judge"),
        ("check('choice', answer_q1, key=KEY)", "must be literals"),
        ("# only a comment", "hold no check"),
        ("check('e_step', e_step", "not valid Python"),
    ],
)
def test_hidden_part_that_cannot_be_judged_is_refused(hidden, message):
    source = f"### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    with pytest.raises(grading.GradingConfigError, match=message):
        grading.parse_checks(source, "cell")


def test_a_graded_test_cell_without_a_hidden_check_is_refused():
    """A test that only runs in the student's kernel could be forged by that kernel."""
    cell = new_code_cell("assert answer == 3", id="t")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    nb = nbformat.v4.new_notebook(cells=[cell])
    with pytest.raises(grading.GradingConfigError, match="needs hidden check"):
        grading.JudgedExecute()._plan(nb)


# ---------------------------------------------------------------- the verdict ignores what the kernel claims
def _cell_with(outputs):
    cell = new_code_cell("x", id="t")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _report(token, report):
    return {
        "output_type": "display_data",
        "metadata": {},
        "data": {probe.MIME: {"token": token, "report": report}},
    }


def _choice_check(key="B"):
    check = grading.Check("choice", ["answer_q1"], {"key": key})
    check.request = judge.JUDGES["choice"].request(np.random.default_rng(0), key=key)
    return check


def test_verdict_passes_a_right_report_and_rewrites_outputs_for_nbgrader():
    check = _choice_check()
    stderr = {"output_type": "stream", "name": "stderr", "text": "debug\n"}
    number = {
        "output_type": "execute_result",
        "execution_count": 1,
        "metadata": {},
        "data": {"text/plain": "0.5"},
    }
    cell = _cell_with([stderr, number, _report(check.token, {"values": ["b "]})])
    grading.JudgedExecute()._judge_cell(cell, [check])
    # stderr kept as stdout (stock nbgrader scores stderr 0); no execute_result (partial credit)
    assert [(o.output_type, o.get("name")) for o in cell.outputs] == [
        ("stream", "stdout"),
        ("display_data", None),
    ]


@pytest.mark.parametrize(
    "outputs, reason",
    [
        ([], "no single report"),
        (["B", "B"], "no single report"),
        (["A"], "not the right letter"),
        ([{"str": "B"}], "one letter"),
    ],
)
def test_verdict_fails_missing_duplicated_or_wrong_reports(outputs, reason):
    check = _choice_check()
    cell = _cell_with([_report(check.token, {"values": [value]}) for value in outputs])
    grading.JudgedExecute()._judge_cell(cell, [check])
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1 and reason in errors[0].evalue


def test_verdict_fails_a_cell_that_raised_even_with_a_right_report():
    check = _choice_check()
    error = {"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []}
    cell = _cell_with([error, _report(check.token, {"values": ["B"]})])
    assert grading.verdict(cell, [check]) is not None


def test_a_question_id_is_resolved_to_its_key_and_solution_on_the_grader_side_only():
    """A hidden line names the question; key and worked solution come from course/quiz/*.toml."""
    options, shown = judge.resolve("choice", {"question": "basics_q3"}, h.COURSE)
    assert options == {"key": "D"}
    assert shown.startswith("Worked solution:\n1. **EM climbs.**") and "**Answer: D.**" in shown
    # em_step_by_step's questions have worked solutions too (issue 8: every question has one)
    options, shown = judge.resolve("choice", {"question": "test_q1"}, h.COURSE)
    assert options == {"key": "B"} and shown.startswith("Worked solution:\n") and "68 / 272 = 0.25" in shown
    options, shown = judge.resolve("choice", {"question": "test_q2"}, h.COURSE)
    assert options == {"key": "C"} and "**Answer: C.**" in shown
    assert judge.resolve("e_step", {}, h.COURSE) == ({}, None)
    with pytest.raises(ValueError, match="must be in exactly one of"):
        judge.resolve("choice", {"question": "no_such_q"}, h.COURSE)
    with pytest.raises(TypeError, match="question must be"):
        judge.resolve("choice", {"question": 3}, h.COURSE)
    with pytest.raises(FileNotFoundError, match="no course folder"):
        judge.course_root(h.ROOT / "gmm_lesson")


def test_the_worked_solution_is_shown_after_grading_whatever_the_answer():
    """nbgrader's feedback shows the graded cell's outputs: the solution is one of them, as
    plain stdout, which does not change the score (an error output still scores 0)."""
    for answer, scored in (("D", True), ("A", False)):
        check = grading.Check("choice", ["answer_q3"], {"question": "basics_q3"})
        check.options, check.shown = judge.resolve(check.name, check.options, h.COURSE)
        check.request = judge.JUDGES["choice"].request(np.random.default_rng(0), **check.options)
        cell = _cell_with([_report(check.token, {"values": [answer]})])
        grading.JudgedExecute()._judge_cell(cell, [check])
        shown = [o.text for o in cell.outputs if o.output_type == "stream"]
        assert shown == [f"{check.shown}\n"] and "**Answer: D.**" in shown[0]
        assert any(o.output_type == "error" for o in cell.outputs) is not scored


def test_malformed_reports_fail_without_breaking_the_grader():
    check = grading.Check("e_step", ["e_step"], {})
    check.request = judge.JUDGES["e_step"].request(np.random.default_rng(1))
    for report in (
        {},
        {"calls": "x"},
        {"calls": [None, 1, "a"]},
        {"calls": [{"returned": {"tuple": [{"array": "x"}, 1]}}] * 3},
    ):
        cell = _cell_with([_report(check.token, report)])
        assert grading.verdict(cell, [check]) is not None


# ---------------------------------------------------------------- judges and probe
def _solution(name):
    """The course's own solution of one function, from the source notebook."""
    source_nb = h.read(h.source_notebook_path("em_step_by_step"))
    namespace = {"np": np, "em": em}
    for code in h.solution_sources(source_nb).values():
        if code.lstrip().startswith("def "):
            exec(code, namespace)
    return namespace[name]


FUNCTION_JUDGES = {
    "log_gaussian": ["log_gaussian"],
    "log_likelihood": ["log_likelihood"],
    "e_step": ["e_step"],
    "e_step_far": ["e_step"],
    "m_step_weights_means": ["m_step"],
    "m_step_covariances": ["m_step"],
    "run_em": ["run_em"],
    "run_em_stops": ["run_em"],
}


@pytest.mark.parametrize("name, functions", FUNCTION_JUDGES.items())
def test_each_judge_accepts_the_solution_and_refuses_a_wrong_one(name, functions):
    right = [_solution(f) for f in functions]
    judge.check(name, *right)  # raises if the judge refused the course's own solution
    wrong = [lambda *args, **kwargs: (np.zeros(1), 0.0)] * len(functions)
    with pytest.raises(AssertionError):
        judge.check(name, *wrong)


@pytest.mark.parametrize("name, functions", FUNCTION_JUDGES.items())
def test_each_judge_accepts_the_solution_on_every_draw(name, functions):
    """Inputs are drawn afresh for every submission: no draw may fail a correct answer."""
    right = [_solution(f) for f in functions]
    for seed in range(200):
        request = judge.JUDGES[name].request(np.random.default_rng(seed))
        report = probe.run(judge.for_kernel(request), *right)
        assert judge.JUDGES[name].verdict(request, report) is None, f"seed {seed}"


def test_stopping_rule_tables_do_not_tell_where_to_stop():
    """The stand-in tables for run_em_stops cover the whole reference run whatever t* is: a
    table as long as t* + 3 let a loop with no stopping rule read t* off its length."""
    stops, lengths = set(), set()
    for seed in range(30):
        request = judge.JUDGES["run_em_stops"].request(np.random.default_rng(seed))
        stops.add(len(request["cases"][0]["history"]))
        sent = judge.for_kernel(request)["stand_ins"]
        lengths.add(tuple(sorted((name, len(table)) for name, table in sent.items())))
    assert len(stops) > 3  # t* varies from draw to draw ...
    assert len(lengths) == 1  # ... and nothing the kernel receives varies with it


def test_requests_for_the_kernel_hold_inputs_only():
    rng = np.random.default_rng(2)
    for name, j in judge.JUDGES.items():
        options = {"key": "A"} if name == "choice" else {}
        sent = json.dumps(judge.for_kernel(j.request(rng, **options)))
        assert '"want"' not in sent and '"cases"' not in sent and '"key"' not in sent, name


def test_probe_reports_plain_data_only():
    encoded = probe.encode((np.array([[1.0, np.nan]]), np.float32(2.5), h.RiggedStr("A"), object()))
    assert json.loads(json.dumps(encoded)) == encoded
    array, number, letter, other = encoded["tuple"]
    assert array["finite"] is False and number == 2.5 and other == {"object": "object"}
    assert type(letter) is str and letter == "A"


def test_rigged_string_is_refused_by_the_choice_judge_in_process():
    judge.check("choice", "B", key="B")
    for letter in "ACD":
        with pytest.raises(AssertionError):
            judge.check("choice", h.RiggedStr(letter), key="B")


# ---------------------------------------------------------------- the sandbox
def test_sandbox_package_for_em_step_by_step_holds_no_em_maths(tmp_path):
    config = (h.COURSE / "nbgrader_config.py").read_text()
    allowed = ("params", "checks", "data", "figures", "quiz", "quiz_records")
    assert f'"em_step_by_step": {list(allowed)}'.replace("'", '"') in config  # the course's own list
    box = sandbox.Sandbox(tmp_path / "box", None, allowed_modules=allowed)
    site = box.site / "gmm_lesson"
    text = "\n".join(p.read_text() for p in site.glob("*.py"))
    for maths in (
        "def e_step",
        "def m_step",
        "def log_likelihood",
        "def estimate_log_prob",
        "def weighted_log_prob",
        "def log_sum_exp",
        "def initial_resp",
        "slogdet",
        "def fit",
    ):
        assert maths not in text
    assert "not available while your work is graded" in (site / "em.py").read_text()
    assert "def show" in (site / "figures.py").read_text()  # the figures draw, described, as before
    assert (site / "data" / "old_faithful.csv").is_file()
    # of the grader, only the kernel-side probe enters a sandbox (an allow-list)
    grader = box.site / "gmm_grader"
    assert sorted(p.name for p in grader.iterdir()) == ["__init__.py", "probe.py"]


def test_sandbox_refuses_to_start_without_bubblewrap(monkeypatch):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda tool: None if tool == "bwrap" else real(tool))
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.check_available()


INSIDE = r"""
import json, os, resource, socket, sys
facts = {"uid": os.getuid(), "cwd": os.getcwd(), "root": sorted(os.listdir("/")),
         "files": sorted(os.listdir(".")),
         "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
         "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()), "env": sorted(os.environ)}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1); facts["net"] = "open"
except OSError as exc:
    facts["net"] = type(exc).__name__
for name in ("sklearn", "scipy"):
    try:
        __import__(name + ".stats" if name == "scipy" else name + ".mixture"); facts[name] = "importable"
    except ImportError:
        facts[name] = "hidden"
import gmm_lesson.em as em
facts["params"] = em.GMMParams([1.0], [[0.0]], [[[1.0]]]).n_components
try:
    em.e_step
except ImportError as exc:
    facts["e_step"] = str(exc)
print(json.dumps(facts))
"""


def test_a_sandboxed_kernel_sees_only_its_box(tmp_path, monkeypatch):
    """A real kernel in the sandbox: its own uid, no network, no course, no reference."""
    monkeypatch.setenv("GMM_LESSON_DB_URL", "postgresql://grader:secret@localhost/gradebook")
    monkeypatch.setenv("GMM_LESSON_CANARY", "canary")
    (tmp_path / "course-secret.txt").write_text("secret")
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "data.csv").write_text("1,2\n")
    (tmp_path / "assignment" / "secret-link").symlink_to(tmp_path / "course-secret.txt")
    box = sandbox.Sandbox(
        tmp_path / "box",
        tmp_path / "assignment",
        allowed_modules=("params", "checks", "data"),
        hidden_packages=("sklearn", "scipy"),
    )
    km = sandbox.SandboxKernelManager(kernel_name="python3", sandbox=box)
    run_sync(km.start_kernel)()
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=120)
        box.lock_sockets()
        outputs = []
        run_sync(kc.execute_interactive)(INSIDE, timeout=120, output_hook=outputs.append)
        text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        facts = json.loads(text.strip().splitlines()[-1])
    finally:
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
    # as root a uid of its own; unprivileged, the grader's own uid in a user namespace
    assert facts["uid"] == (box.uid if box.privileged else os.getuid()) and facts["uid"] != 0
    assert facts["cwd"] == sandbox.SANDBOX_WORK
    assert facts["files"] == ["data.csv"]  # the assignment's own file; a symlink is not followed
    assert "course-secret.txt" not in str(facts) and str(tmp_path) not in facts["root"]
    assert facts["net"] in ("ConnectionRefusedError", "OSError") and facts["net"] != "open"
    assert facts["sklearn"] == facts["scipy"] == "hidden"
    assert facts["params"] == 1 and "not available while your work is graded" in facts["e_step"]
    if box.privileged:  # unprivileged, the limit also counts the grader's own processes
        assert facts["nproc"] == box.limits.processes
    assert len(facts["pids"]) <= 3  # its own PID namespace: bwrap's init, the kernel, maybe a child
    assert "GMM_LESSON_DB_URL" not in facts["env"] and "GMM_LESSON_CANARY" not in facts["env"]
    assert {"GMM_LESSON_GRADING", "GMM_LESSON_REQUESTS", "NBGRADER_EXECUTION"} <= set(facts["env"])
