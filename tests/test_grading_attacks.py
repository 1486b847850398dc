"""A hostile class, graded by stock ``nbgrader autograde`` with the course's own config.

Every submission in tests/grading_attacks.py is written into ``submitted/`` of a
temporary course copy and the whole batch is autograded (sandboxed kernels, judged
outside them). Then: every score in the gradebook is exactly what the honest work in the
submission earns; the batch finished; the course files, the package and the release are
byte-for-byte unchanged; no secret (a canary file in the course, a canary in the
grader's environment, the answer keys) reached any notebook; no sandboxed process is
left. A positive control grades two of the attacks without the sandbox to show they
are real.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import tempfile
import time
from pathlib import Path

import grading_attacks as attacks
import nbformat
import nbgrader_helpers as h
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader.api import Gradebook

pytestmark = [pytest.mark.nbgrader, pytest.mark.timeout(3600)]

# Short per-cell limit for this batch: the attacks that loop forever cost 10 s each.
TIMEOUT = 10
NOTEBOOK_TIMEOUT = 45  # the honest notebooks take under 10 s here, 25 s with a kernel restart
SANDBOX_UIDS = range(200_000, 300_000)  # gmm_grader.sandbox picks each kernel's uid here


def build(sub: attacks.Submission, course: Path):
    """The submission's notebook, from the release (and the source's solutions)."""
    name = sub.assignment
    nb = h.read(course / "release" / name / f"{name}.ipynb")
    source_nb = h.read(h.source_notebook_path(name))
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


def digest_tree(*roots: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for root in roots
        for p in sorted(root.rglob("*") if root.is_dir() else [root])
        if p.is_file() and "__pycache__" not in p.parts
    }


def sandbox_processes() -> list[str]:
    """Processes of a grading sandbox still alive: a sandbox uid, or bwrap's own."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            status = (proc / "status").read_text().splitlines()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        uid = int(next((line for line in status if line.startswith("Uid:")), "Uid: -1").split()[1])
        if uid in SANDBOX_UIDS or b"gmm-grading-" in cmdline:
            found.append(f"{proc.name} uid={uid} {cmdline[:80]!r}")
    return found


def leftover_work_folders() -> set[str]:
    """JudgedExecute's temporary folders that exist now (one per graded notebook)."""
    return {str(p) for p in Path(tempfile.gettempdir()).glob("gmm-grading-*")}


def leftover_cgroups() -> set[str]:
    """The sandboxes' cgroup folders that exist now (gmm_grader.sandbox.Cgroups)."""
    return {str(p) for p in Path("/sys/fs/cgroup").glob("*/**/gmm-lesson-*") if p.is_dir()}


class Batch:
    def __init__(self, root: Path, students: dict[str, attacks.Submission]):
        self.root, self.students = root, students
        self.runs = {}
        self.canary_file = secrets.token_hex(16)
        self.canary_env = secrets.token_hex(16)

    def gradebook(self) -> Gradebook:
        return Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", course_id=h.COURSE_ID)

    def autograded(self, student: str):
        name = self.students[student].assignment
        return h.read(self.root / "autograded" / student / name / f"{name}.ipynb")


def grade(tmp: Path, students: dict[str, attacks.Submission], sandbox: str = "bubblewrap") -> Batch:
    root = h.copy_course(tmp / "course")
    batch = Batch(root, students)
    (root / "canary.txt").write_text(f"CANARY {batch.canary_file}\n")
    env = h.nbgrader_env(tmp)
    env["GMM_LESSON_CANARY"] = batch.canary_env
    env["GMM_LESSON_GRADING_SANDBOX"] = sandbox
    names = sorted({s.assignment for s in students.values()})
    for name in names:
        h.nbgrader(["generate_assignment", name], cwd=root, env=env)
    for student, sub in students.items():
        folder = root / "submitted" / student / sub.assignment
        folder.mkdir(parents=True)
        nbformat.write(build(sub, root), folder / f"{sub.assignment}.ipynb")
        for name, text in sub.files.items():
            (folder / name).write_text(text)
        for name, target in sub.links.items():
            (folder / name).symlink_to(target.format(package=h.PACKAGE))
    watched = [root / "source", root / "release", root / "nbgrader_config.py", root / "canary.txt", h.PACKAGE]
    batch.before = digest_tree(*watched)
    batch.cgroups_before = leftover_cgroups()
    batch.work_folders_before = leftover_work_folders()
    for name in names:
        start = time.perf_counter()
        limits = [f"--Execute.timeout={TIMEOUT}", f"--JudgedExecute.notebook_timeout={NOTEBOOK_TIMEOUT}"]
        proc = h.nbgrader(["autograde", name, *limits], cwd=root, env=env, check=False)
        batch.runs[name] = (proc, time.perf_counter() - start)
    batch.after = digest_tree(*watched)
    if "html_and_script_outputs" in students:
        h.nbgrader(["generate_feedback", attacks.EM, "--student=html_and_script_outputs"], cwd=root, env=env)
    batch.cgroups_after = leftover_cgroups()
    batch.work_folders_after = leftover_work_folders()
    return batch


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    return grade(tmp_path_factory.mktemp("attacks"), attacks.SUBMISSIONS)


def expected(sub: attacks.Submission) -> dict[str, float]:
    points = h.autograded_points(h.read(h.source_notebook_path(sub.assignment)))
    failing = set(points) if sub.failing == attacks.ALL else sub.failing
    assert failing <= set(points), f"unknown test cells {failing - set(points)}"
    return {gid: 0.0 if gid in failing else p for gid, p in points.items()}


def test_the_class_is_large_enough():
    hostile = [s for s in attacks.SUBMISSIONS if not s.startswith("honest")]
    assert len(hostile) >= 40 or len(attacks.SUBMISSIONS) >= 50, len(attacks.SUBMISSIONS)
    assert len(attacks.SUBMISSIONS) >= 45


def test_batch_finished_and_graded_everyone(batch):
    for name, (proc, seconds) in batch.runs.items():
        assert proc.returncode == 0, (
            f"autograde {name} failed after {seconds:.0f} s\n{proc.stdout}\n{proc.stderr}"
        )
    for student, sub in batch.students.items():
        path = batch.root / "autograded" / student / sub.assignment / f"{sub.assignment}.ipynb"
        assert path.is_file(), student


@pytest.mark.parametrize("student", sorted(attacks.SUBMISSIONS))
def test_score_is_exactly_the_honest_work(batch, student):
    sub = attacks.SUBMISSIONS[student]
    want = expected(sub)
    with batch.gradebook() as gb:
        got = {gid: gb.find_grade(gid, sub.assignment, sub.assignment, student).score for gid in want}
        total = gb.find_submission(sub.assignment, student).score
    assert got == want, sub.why
    assert total == pytest.approx(sum(want.values()))


def test_course_package_and_release_are_unchanged(batch):
    changed = {p for p in set(batch.before) | set(batch.after) if batch.before.get(p) != batch.after.get(p)}
    assert not changed


def test_gradebook_is_intact_and_lists_only_the_class(batch):
    db = batch.root / "gradebook.db"
    assert sqlite3.connect(db).execute("pragma integrity_check").fetchone() == ("ok",)
    assert not db.read_bytes().endswith(b"x\n")  # the detached saboteur's mark
    with batch.gradebook() as gb:
        assert {s.id for s in gb.students} == set(attacks.SUBMISSIONS)


def test_no_secret_reaches_any_notebook(batch):
    keys = set().union(*(h.key_lines(h.read(h.source_notebook_path(n))) for n in h.assignments()))
    secrets_ = {batch.canary_file, batch.canary_env, str(batch.root), *keys}
    for student in batch.students:
        nb = batch.autograded(student)
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
        cell = next(c for c in batch.autograded(student).cells if c.get("id") == cell_id)
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

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
        errors = h.errors(batch.autograded(student))
        allowed = ename if isinstance(ename, tuple) else (ename,)
        assert errors.get("inserted-1") in allowed, (student, errors)
        not_graded = ("compare", "starts", "explorer")  # em.fit and the widgets are absent while graded
        assert not {cid for cid in errors if cid != "inserted-1" and cid not in not_graded}, (
            errors
        )


def test_output_is_capped(batch):
    nb = batch.autograded("output_flood")
    assert len(nbformat.writes(nb)) < 5 * 2**20
    # the flood is cut: by the cap's note (which says which limit), or by refusing the one
    # message too large to read (the cell then ends in OutputLimitError)
    cut = h.errors(nb).get("inserted-1") == "OutputLimitError"
    assert cut or "[output truncated: " in nbformat.writes(nb)


def test_honest_stderr_shows_and_costs_nothing(batch):
    nb = batch.autograded("honest_noisy")
    cell = h.cell_by_grade_id(nb, "test_log_gaussian")
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "debug: log_gaussian" in text


def test_no_sandboxed_process_or_cgroup_is_left(batch):
    assert sandbox_processes() == []
    assert batch.cgroups_after <= batch.cgroups_before
    # this batch's own: an nbgrader killed earlier in the session (tests/test_classgrade.py
    # kills one on purpose) cannot clean up its folder, and that is not this batch's doing
    assert batch.work_folders_after <= batch.work_folders_before


def test_red_team_findings_are_closed(batch):
    def outputs(student, cell_id="inserted-1"):
        cell = next(c for c in batch.autograded(student).cells if c.get("id") == cell_id)
        return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")

    seen = outputs("symlinked_files")
    assert "work folder: []" in seen and "keys found: {}" in seen and "library: False" in seen
    assert "shadowed: False" in outputs("shadowed_launcher")
    errors = h.error_details(batch.autograded("sleeps_forever_politely"))
    assert any("time limit of 45 s" in message for _, message in errors.values()), errors
    feedback = batch.root / "feedback" / "html_and_script_outputs" / attacks.EM / f"{attacks.EM}.html"
    page = feedback.read_text(encoding="utf-8")
    for raw in ("<script>", 'onerror="', "<img src=x", "<svg xmlns", '"application/javascript"'):
        assert raw not in page, raw  # the student's HTML is shown, if at all, as escaped text
    assert "My notes &lt;script&gt;" in page  # the markdown cell, as text


def test_the_attacks_are_real_without_the_sandbox(tmp_path):
    """Positive control: graded with ``sandbox='none'`` two attacks succeed (a student
    reads the keys, another zeroes an earlier student's grades). The sandbox is what
    stops them above."""
    students = {  # graded in this order
        "a_honest": attacks.Submission(attacks.EM, "full", set()),
        "b_write_gradebook": attacks.SUBMISSIONS["write_gradebook"],
        "c_read_keys_from_disk": attacks.SUBMISSIONS["read_keys_from_disk"],
    }
    control = grade(tmp_path, students, sandbox="none")
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
