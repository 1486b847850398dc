"""A hostile class, graded by stock ``nbgrader autograde`` with the course's own config.

Every submission in tests/grading_attacks.py joins the session's one graded class
(tests/graded_class.py): written into ``submitted/`` of a temporary course copy and
autograded in one batch (the attack suite's short time limits) beside the rest of the
class (sandboxed kernels, judged outside them). Then: every score in the gradebook is
exactly what the honest work in the submission earns; the batch finished; the course
files, the package and the release are byte-for-byte unchanged; no secret (a canary file
in the course, a canary in the grader's environment, the answer keys) reached any
notebook of the class; no sandboxed process, cgroup or work folder of the class's
batches is left. A positive control grades two of the attacks without the sandbox to
show they are real.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import sqlite3
from pathlib import Path

import graded_class as gc
import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import pytest

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(3600)]

attacks.register(*attacks.SUBMISSIONS)


@pytest.fixture(scope="module")
def batch(graded_class) -> gc.GradedClass:
    return graded_class


def autograded(batch: gc.GradedClass, student: str) -> nbformat.NotebookNode:
    return batch.autograded(attacks.SUBMISSIONS[student].assignment, student)


def stream_text(batch: gc.GradedClass, student: str, cell_id: str = "inserted-1") -> str:
    """The stream output of one cell of a student's autograded notebook."""
    cell = next(c for c in autograded(batch, student).cells if c.get("id") == cell_id)
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_the_class_is_large_enough():
    hostile = [s for s in attacks.SUBMISSIONS if not s.startswith("honest")]
    assert len(hostile) >= 40 or len(attacks.SUBMISSIONS) >= 50, len(attacks.SUBMISSIONS)
    assert len(attacks.SUBMISSIONS) >= 45


def test_batch_finished_and_graded_everyone(batch):
    for name, (proc, seconds) in batch.runs.items():
        assert proc.returncode == 0, (
            f"autograde {name} failed after {seconds:.0f} s\n{proc.stdout}\n{proc.stderr}"
        )
    for student, name in batch.entries:
        path = batch.root / "autograded" / student / name / f"{name}.ipynb"
        assert path.is_file(), student
    # the hostile class has a batch of its own for each assignment, under its short limits
    for name in {sub.assignment for sub in attacks.SUBMISSIONS.values()}:
        assert gc.batch_label(name, "short") in batch.runs


def test_each_submission_was_autograded_once_in_the_batch_of_its_limits(batch):
    """Every submission of the class (not only the hostile ones) went through exactly one
    autograde batch, the one of its time limits: no one is graded twice."""
    seen = collections.Counter()
    for label in batch.runs:
        name = label.split()[0]
        for line in batch.logs[f"autograde {label}"].splitlines():
            # nbgrader logs "Sanitizing submitted/<student>/<assignment>/<notebook>" once per
            # notebook it grades (then "Autograding" it; "Converting notebook" comes twice)
            found = re.search(r"INFO\S* Sanitizing (\S+\.ipynb)$", line.strip())
            if found:
                student = Path(found[1]).parts[-3]
                seen[student, name] += 1
                assert gc.batch_label(name, batch.entries[student, name].limits) == label, line
    assert seen == dict.fromkeys(batch.entries, 1)


@pytest.mark.parametrize("student", sorted(attacks.SUBMISSIONS))
def test_score_is_exactly_the_honest_work(batch, student):
    sub = attacks.SUBMISSIONS[student]
    want = gc.expected_scores(sub.assignment, sub.failing)
    assert batch.expected(sub.assignment, student) == want  # registered as this submission
    assert batch.scores(sub.assignment, student) == want, sub.why
    assert batch.total(sub.assignment, student) == pytest.approx(sum(want.values()))


def test_course_package_and_release_are_unchanged(batch):
    changed = {p for p in set(batch.before) | set(batch.after) if batch.before.get(p) != batch.after.get(p)}
    assert not changed


def test_gradebook_is_intact_and_lists_only_the_class(batch):
    db = batch.root / "gradebook.db"
    assert sqlite3.connect(db).execute("pragma integrity_check").fetchone() == ("ok",)
    assert not db.read_bytes().endswith(b"x\n")  # the detached saboteur's mark
    with batch.gradebook() as gb:
        assert {s.id for s in gb.students} == batch.students()  # the whole class, no one else
    # every submission is in it, a shared one (gc.SAME_SUBMISSION) as the student graded for both
    assert {batch.graded_as(sub.assignment, s) for s, sub in attacks.SUBMISSIONS.items()} <= batch.students()


def test_no_secret_reaches_any_notebook(batch):
    keys = set().union(*(h.key_lines(h.read(h.source_notebook_path(n))) for n in h.assignments()))
    secrets_ = {batch.canary_file, batch.canary_env, str(batch.root), *keys}
    for student, name in batch.entries:
        nb = batch.autograded(name, student)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            text = repr(cell.outputs)  # test cells' sources show their keys, as in stock nbgrader
            if not h.is_autograded_test(cell):
                text += cell.source
            for secret in secrets_:
                assert secret not in text, f"{student}/{cell.id} shows {secret!r}"


def test_attacks_ran_and_were_refused(batch):
    """The attacks did run in the sandbox, and the sandbox refused them (not a typo)."""

    def outputs(student, cell_id="inserted-1"):
        return stream_text(batch, student, cell_id)

    assert "keys found: {}" in outputs("read_keys_from_disk")
    assert "answers inside: False" in outputs("read_requests_for_answers")
    assert "found a copy: False" in outputs("exec_library_copy")
    assert "copied from 0 notebooks" in outputs("copy_other_students")
    assert "refused" in outputs("fetch_from_network") and " 200" not in outputs("fetch_from_network")
    wrote = outputs("write_package_and_course")
    assert "appended to" not in wrote and ("ReadOnly" in wrote or "OSError" in wrote or "Permission" in wrote)
    assert "wrote" not in outputs("write_gradebook")
    assert "PermissionError" in outputs("fill_grader_disk") or "13" in outputs("fill_grader_disk")
    if os.geteuid() == 0:  # as root the kernel has a uid of its own: its parent and pid 1 are out of reach
        assert outputs("kill_the_grader").count("Operation not permitted") == 2
    nested = outputs("nested_namespace_escape")
    assert "nested:" in nested and "wrote-venv" not in nested and "__init__.py" not in nested
    env_dump = outputs("read_environment_and_proc")
    assert "GMM_LESSON_GRADING" in env_dump and batch.canary_env not in env_dump


def test_crashes_and_time_outs_cost_only_their_own_cell(batch):
    for student, ename in (
        ("exits", "DeadKernelError"),
        *(
            [("kill_the_grader", "ProcessLookupError")] if os.geteuid() == 0 else []
        ),  # kill(-1): none to signal
        ("ignores_interrupts", "CellTimeoutError"),
        ("fork_bomb", "CellTimeoutError"),
        # a flood is stopped either by the output cap and then the time limit, or, when
        # ipykernel flushes one stream message past the largest the grader reads, at once
        ("output_flood", ("CellTimeoutError", "OutputLimitError")),
    ):
        errors = h.errors(autograded(batch, student))
        allowed = ename if isinstance(ename, tuple) else (ename,)
        assert errors.get("inserted-1") in allowed, (student, errors)
        not_graded = ("compare", "starts", "explorer")  # em.fit and the widgets are absent while graded
        assert not {cid for cid in errors if cid != "inserted-1" and cid not in not_graded}, (
            errors
        )


def test_output_is_capped(batch):
    nb = autograded(batch, "output_flood")
    assert len(nbformat.writes(nb)) < 5 * 2**20
    # the flood is cut: by the cap's note (which says which limit), or by refusing the one
    # message too large to read (the cell then ends in OutputLimitError)
    cut = h.errors(nb).get("inserted-1") == "OutputLimitError"
    assert cut or "[output truncated: " in nbformat.writes(nb)


def test_honest_stderr_shows_and_costs_nothing(batch):
    nb = autograded(batch, "honest_noisy")
    cell = h.cell_by_grade_id(nb, "test_log_gaussian")
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "debug: log_gaussian" in text


def test_no_sandboxed_process_or_cgroup_is_left(batch):
    """Counted for the class's batches alone (tests/graded_class.py): the processes
    re-parented to each batch's subreaper, the cgroups its kernels ran in, the work
    folders in the class's own TMPDIR. Other gradings on the machine do not count."""
    assert set(batch.leftovers) == set(batch.runs)
    for label, report in batch.leftovers.items():
        assert report["processes_left"] == [], label
        assert report["cgroups_left"] == [], label
        assert report["returncode"] == batch.runs[label][0].returncode  # the wrapper saw it through
    if os.geteuid() == 0:  # the kernels ran in cgroups of their own, which the wrapper saw
        assert any(report["cgroups_seen"] for report in batch.leftovers.values())
    assert batch.work_folders_left == []


def test_red_team_findings_are_closed(batch):
    def outputs(student, cell_id="inserted-1"):
        return stream_text(batch, student, cell_id)

    seen = outputs("symlinked_files")
    assert "work folder: []" in seen and "keys found: {}" in seen and "library: False" in seen
    assert "shadowed: False" in outputs("shadowed_launcher")
    errors = h.error_details(autograded(batch, "sleeps_forever_politely"))
    limit = f"time limit of {gc.LIMITS['short']['JudgedExecute.notebook_timeout']} s"  # the hostile class's
    assert any(limit in message for _, message in errors.values()), errors
    feedback = batch.root / "feedback" / "html_and_script_outputs" / attacks.EM / f"{attacks.EM}.html"
    page = feedback.read_text(encoding="utf-8")
    for raw in ("<script>", 'onerror="', "<img src=x", "<svg xmlns", '"application/javascript"'):
        assert raw not in page, raw  # the student's HTML is shown, if at all, as escaped text
    assert "My notes &lt;script&gt;" in page  # the markdown cell, as text


def test_the_attacks_are_real_without_the_sandbox(tmp_path):
    """Positive control: graded with ``sandbox='none'`` two attacks succeed (a student
    reads the keys, another zeroes an earlier student's grades). The sandbox is what
    stops them above."""
    # Unsandboxed, the attack must reach only this control's own gradebook: its glob of
    # other courses under /tmp would zero the gradebook of any other run on the machine.
    attack = attacks.SUBMISSIONS["write_gradebook"]
    others = " + glob.glob('/tmp/*/*/course/gradebook.db')"
    assert others in attack.inserted[0]
    own_only = dataclasses.replace(attack, inserted=[attack.inserted[0].replace(others, "")])
    students = [  # graded in this order
        attacks.entry("a_honest", attacks.Submission(attacks.EM, "full", set())),
        attacks.entry("b_write_gradebook", own_only),
        attacks.entry("c_read_keys_from_disk", attacks.SUBMISSIONS["read_keys_from_disk"]),
    ]
    without = {"GMM_LESSON_GRADING_SANDBOX": "none"}
    control = gc.grade_class(tmp_path, students, extra_env=without, feedback=False)
    assert all(proc.returncode == 0 for proc, _ in control.runs.values())
    with control.gradebook() as gb:
        stolen = gb.find_submission(attacks.EM, "c_read_keys_from_disk").score
        damaged = gb.find_submission(attacks.EM, "a_honest").score
    assert stolen == 2  # both multiple-choice keys, read from the course's source notebook
    assert damaged == 0  # 15 earned, zeroed by a later student's notebook


def test_duplicated_answer_cell_is_named_by_validate(batch, tmp_path):
    """A learner who copies an answer cell learns it from ``nbgrader validate`` (and the
    autograder grades such a notebook as it runs: see honest_duplicated_cell)."""
    release = h.read(batch.root / "release" / attacks.EM / f"{attacks.EM}.ipynb")
    nb = h.fill_solutions(release, h.read(h.source_notebook_path(attacks.EM)))
    index = next(i for i, c in enumerate(nb.cells) if h.grade_id(c) == "e_step")
    copy = nbformat.from_dict(nb.cells[index])
    copy.id = "e_step-copy"
    nb.cells.insert(index + 1, copy)
    path = tmp_path / f"{attacks.EM}.ipynb"
    nbformat.write(nb, path)
    proc = h.nbgrader(["validate", str(path)], cwd=tmp_path, env=h.nbgrader_env(tmp_path), check=False)
    assert proc.returncode != 0
    assert "Duplicate grade id: e_step" in proc.stdout + proc.stderr
