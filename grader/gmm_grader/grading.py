"""Autograding that a student's code cannot forge: nbgrader's Execute, judged outside.

:class:`JudgedExecute` takes the place of nbgrader's ``Execute`` preprocessor in
``nbgrader autograde`` (see ``course/nbgrader_config.py``). For each notebook it

1. reads the hidden checks of every graded test cell (``check("e_step", e_step)``
   lines, :mod:`gmm_grader.judge`) **without running them**, asks each judge for a
   request (fresh random inputs) and keeps the judge's side to itself;
2. sends the kernel the test cells with their hidden part replaced by
   ``probe.emit(token, e_step)``: run the student's code on the request, report plain data;
3. runs the notebook in a :mod:`gmm_grader.sandbox` kernel; a cell that kills its kernel
   or runs past the time limit costs only that cell: a new kernel re-runs the cells
   before it and grading goes on. Only restarts caused by graded test cells count
   against ``max_restarts``; an ungraded cell (a slow exploration, an answer cell) may
   cause any number, within the notebook's time limit. A cell made only of imports whose
   run fails on an import is run again import by import, so one missing module leaves
   the other names of that cell defined and costs only the checks that need it;
4. decides every graded test cell itself: it passes when the cell raised nothing and
   every check's report is right. The cell's outputs are rewritten so that nbgrader's
   own scoring (an ``error`` output scores 0, anything else full points) gives exactly
   that verdict, whatever the kernel printed; the original cell source is put back.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbformat.v4 import new_notebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import DeduplicateIds, Execute
from nbgrader.utils import setenv
from traitlets import Bool, Dict, Integer, List, Unicode, validate

from . import judge, probe, render, sandbox

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
#: exception name of the error output that records a failed hidden check
FAILED = "HiddenTestFailed"
#: a file to append one JSON line of timings per graded notebook to (bench/bench_course.py);
#: unset, nothing is timed. The same line is logged at debug level when it is written.
TIMINGS_ENV = "GMM_GRADER_TIMINGS"


class GradingConfigError(ValueError):
    """A test cell the grader cannot judge (no check, or a hidden part it cannot read)."""


@dataclass
class Check:
    """One ``check(name, *values, **options)`` line of a hidden test."""

    name: str
    values: list[str]  # source of each value expression, evaluated in the student's kernel
    options: dict[str, Any]
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    request: dict = field(default_factory=dict)
    shown: str | None = None  # shown in the graded cell's output after grading (a worked solution)


def parse_checks(source: str, cell_id: str) -> tuple[str, list[Check]]:
    """Split a test cell into its visible part and its hidden checks.

    The hidden part may hold only comments, ``from gmm_grader.judge import check`` and
    ``check("name", value, ..., option=literal)`` lines; anything else is refused.
    """
    if BEGIN not in source:
        return source, []
    visible, _, rest = source.partition(BEGIN)
    hidden, _, after = rest.partition(END)
    if after.strip():
        raise GradingConfigError(f"{cell_id}: nothing may follow {END!r}")
    try:
        tree = ast.parse(hidden)
    except SyntaxError as exc:
        raise GradingConfigError(f"{cell_id}: the hidden tests are not valid Python: {exc}") from None
    checks = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "gmm_grader.judge":
            continue
        call = node.value if isinstance(node, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check"):
            raise GradingConfigError(
                f"{cell_id}: hidden tests may only hold check(...) lines, found {ast.unparse(node)!r}"
            )
        if (
            not call.args
            or not isinstance(call.args[0], ast.Constant)
            or call.args[0].value not in judge.JUDGES
        ):
            raise GradingConfigError(
                f"{cell_id}: check's first argument must name a judge in gmm_grader.judge"
            )
        try:
            options = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
        except ValueError:
            raise GradingConfigError(f"{cell_id}: check's options must be literals") from None
        values = [ast.unparse(arg) for arg in call.args[1:]]
        checks.append(Check(call.args[0].value, values, options))
    if not checks:
        raise GradingConfigError(f"{cell_id}: the hidden tests hold no check(...) line")
    return visible, checks


def _is_test_cell(cell: NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


DIED = (
    "the kernel died in this cell (os._exit, a crash or a resource limit); it was replaced",
    "DeadKernelError",
)


def _error(message: str, ename: str = FAILED) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


def _as_scored_safely(output: NotebookNode) -> NotebookNode | None:
    """A kernel output as it may stay in a graded cell without deciding its score.

    stderr becomes stdout (nbgrader zeroes a cell with stderr), an ``execute_result``
    becomes ``display_data`` (nbgrader reads a number there as partial credit), and
    report outputs are dropped (they are read separately).
    """
    if output.output_type == "stream" and output.get("name") == "stderr":
        return NotebookNode(output_type="stream", name="stdout", text=output.text)
    if output.output_type == "execute_result":
        return NotebookNode(output_type="display_data", data=output.data, metadata=output.get("metadata", {}))
    if output.output_type == "display_data" and probe.MIME in output.get("data", {}):
        return None
    return output


def _defuse(cell: NotebookNode, instructor_cells: set[str]) -> None:
    """Make a graded cell safe to render for the instructor (:mod:`gmm_grader.render`).

    nbgrader's feedback and formgrader pages render outputs, output metadata and markdown
    as the notebook says; only allow-listed outputs and metadata are kept, and markdown or
    raw cells that are not the instructor's (``instructor_cells`` holds the sources of the
    source notebook's) are made inert. The grader's own reports are kept (no template
    renders their type).
    """
    render.sanitize_cell(cell, instructor_cells, extra_mimetypes=(probe.MIME,))


def verdict(cell: NotebookNode, checks: list[Check]) -> str | None:
    """None if every check of this executed cell passed, else the first problem."""
    if any(out.output_type == "error" for out in cell.outputs):
        return "the cell raised an error before its hidden tests could run"
    reports: dict[str, list] = {}
    for out in cell.outputs:
        if out.output_type == "display_data" and probe.MIME in out.get("data", {}):
            body = out.data[probe.MIME]
            if isinstance(body, dict) and isinstance(body.get("token"), str):
                reports.setdefault(body["token"], []).append(body.get("report"))
    for check in checks:
        found = reports.get(check.token, [])
        if len(found) != 1 or not isinstance(found[0], dict):
            return f"hidden test {check.name!r}: no single report came back from your code"
        try:
            problem = judge.JUDGES[check.name].verdict(check.request, found[0], **check.options)
        except Exception as exc:  # a malformed report must fail the check, not the grader
            problem = f"your code's results could not be read ({type(exc).__name__})"
        if problem:
            return f"hidden test {check.name!r}: {problem}"
    return None


def _hide_library_names(package: Path, names: list[str]) -> None:
    """Remove ``names`` (``"module.function"`` or ``"module.Class.method"``) from a sandbox's copy
    of gmm_lesson: their definitions are cut out of the module's source, so neither the name
    nor its code is there (anything that calls it fails)."""
    for name in names:
        module, *path = name.split(".")
        file = package / f"{module}.py"
        if not path or not all(part.isidentifier() for part in (module, *path)) or not file.is_file():
            raise GradingConfigError(f"hidden name {name!r} is not 'module.name' of gmm_lesson")
        tree = ast.parse(file.read_text())
        body = tree.body
        for part in path[:-1]:
            found = [n for n in body if isinstance(n, ast.ClassDef) and n.name == part]
            if not found:
                raise GradingConfigError(f"hidden name {name!r}: no class {part!r} in gmm_lesson.{module}")
            body = found[0].body
        kept = [
            node for node in body
            if not (isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == path[-1])
        ]
        if len(kept) == len(body):
            raise GradingConfigError(f"hidden name {name!r}: no such definition in gmm_lesson.{module}")
        body[:] = kept or [ast.Pass()]
        file.write_text(ast.unparse(tree) + "\n")


def _failed_import(cell: NotebookNode) -> bool:
    """Whether this ungraded code cell's run ended in an ImportError (or ModuleNotFoundError)."""
    return cell.cell_type == "code" and not _is_test_cell(cell) and any(
        out.output_type == "error" and out.get("ename") in ("ImportError", "ModuleNotFoundError")
        for out in cell.get("outputs", [])
    )


def _import_statements(cell: NotebookNode) -> list[str] | None:
    """The statements of a cell made only of two or more imports (None for any other cell).

    Running such a cell again import by import has the effect a learner expects (each
    import binds its own names) and nothing else: no statement but an import is re-run.
    """
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:  # IPython syntax (magics) or invalid code: run as written only
        return None
    if len(tree.body) < 2 or not all(isinstance(node, ast.Import | ast.ImportFrom) for node in tree.body):
        return None
    return [ast.get_source_segment(cell.source, node) for node in tree.body]


class DeduplicateCells(DeduplicateIds):
    """nbgrader's DeduplicateIds, without the crash: a copied answer cell is graded as run.

    A learner who copies an answer cell (JupyterLab copies its nbgrader metadata too)
    submits two cells with one grade id. nbgrader 0.9.6 empties the metadata of all but
    the last, and then ``OverwriteCells.add_missing_cells`` fails on the empty metadata,
    so the whole notebook went ungraded. Here the metadata is removed instead: both cells
    run in order, as they did for the learner.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class JudgedExecute(Execute):
    """nbgrader's Execute, with the kernel sandboxed and every test cell judged outside it."""

    sandbox = Unicode(
        "bubblewrap",
        help="'bubblewrap' (default) or 'none': no sandbox, UNSAFE, for a trusted single user only",
    ).tag(config=True)
    allowed_modules = Dict(
        help="assignment -> gmm_lesson modules its grading kernel may import (default: all)"
    ).tag(config=True)
    hidden_packages = Dict(
        help="assignment -> site packages hidden from its grading kernel (e.g. ['sklearn'])"
    ).tag(config=True)
    always_hidden = List(Unicode(), help="site packages hidden from every grading kernel").tag(config=True)
    isolated_checks = Dict(
        help="assignment -> {judge name -> {'hidden_packages': [...], 'hidden_names': [...]}}: a test "
        "cell holding such a check is graded again in a kernel of its own, in a sandbox where those "
        "site packages and gmm_lesson names (e.g. 'params.GMMParams.n_parameters') are missing; "
        "that run alone decides the cell"
    ).tag(config=True)
    output_limit = Integer(2_000_000, help="bytes of output kept per cell").tag(config=True)
    report_limit = Integer(
        8_000_000, help="bytes of the hidden checks' reports a cell may send (then they are dropped)"
    ).tag(config=True)
    notebook_output_limit = Integer(
        20_000_000, help="bytes of output (all cells, reports apart) kept per notebook"
    ).tag(config=True)
    limits = Dict(
        help="sandbox limits changed from gmm_grader.sandbox.Limits, e.g. {'memory': 2 * 2**30, "
        "'processes': 64}: memory, processes, address_space, cpu_seconds, file_size, open_files, "
        "tmpfs_size, shm_size"
    ).tag(config=True)
    allow_no_memory_limit = Bool(
        False,
        help="grade even where no memory cgroup can be made (UNSAFE: one student's kernel can "
        "then take the machine's memory; rlimits still apply)",
    ).tag(config=True)
    max_restarts = Integer(
        3,
        help="new kernels per notebook after a graded test cell crashed or timed out (restarts "
        "caused by ungraded cells are bounded by notebook_timeout only)",
    ).tag(config=True)
    notebook_timeout = Integer(
        900, help="seconds for a whole notebook (cells that would start later are not run)"
    ).tag(config=True)

    @validate("limits")
    def _valid_limits(self, proposal):
        sandbox.Limits.from_mapping(proposal["value"], name="JudgedExecute.limits")
        return proposal["value"]

    #: the limits line is logged once per grading process (and the refusal decided once)
    _limits_checked: dict = {}

    def _check_limits(self, limits: sandbox.Limits) -> None:
        """Log which limits are in force; refuse where memory cannot be limited (unless allowed)."""
        key = (limits, self.allow_no_memory_limit)
        if key not in JudgedExecute._limits_checked:
            line, memory_limited = sandbox.limits_in_force(limits)
            JudgedExecute._limits_checked[key] = (line, memory_limited)
            self.log.info(line)
            if not memory_limited and self.allow_no_memory_limit:
                self.log.warning(
                    "GRADING WITHOUT A MEMORY LIMIT (JudgedExecute.allow_no_memory_limit=True): one "
                    "student's kernel can take this machine's memory"
                )
        line, memory_limited = JudgedExecute._limits_checked[key]
        if not memory_limited and not self.allow_no_memory_limit:
            raise sandbox.SandboxUnavailable(
                f"no memory limit can be set for the grading sandbox here: {line}. Run grading as root "
                "(cgroup v1 or v2), or in a delegated cgroup v2 subtree (systemd-run --scope -p "
                "Delegate=yes), or accept the risk with c.JudgedExecute.allow_no_memory_limit = True "
                "(environment GMM_LESSON_ALLOW_NO_MEMORY_LIMIT=1 with the course's config)"
            )

    # -------------------------------------------------------------- the notebook
    def preprocess(self, nb, resources=None, km=None):
        timings_file = os.environ.get(TIMINGS_ENV)
        self._timings = {"kernel_start": [], "cells": [], "kernel_stop": []} if timings_file else None
        started = time.perf_counter()
        plan = self._plan(nb)
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        root = tempfile.mkdtemp(prefix=f"{sandbox.WORK_PREFIX}{sandbox.owner_tag()}-")
        try:
            self._sandbox = None
            if self.sandbox == "none":
                self.log.warning(
                    "GRADING WITHOUT A SANDBOX (JudgedExecute.sandbox='none'): student code "
                    "runs with your rights and can read keys and rewrite the gradebook"
                )
                requests = Path(root) / "requests"
                requests.mkdir()
            else:
                if self.sandbox != "bubblewrap":
                    raise GradingConfigError(
                        f"JudgedExecute.sandbox must be 'bubblewrap' or 'none', got {self.sandbox!r}"
                    )
                sandbox.check_available()
                limits = sandbox.Limits.from_mapping(self.limits, name="JudgedExecute.limits")
                self._check_limits(limits)
                allowed = self.allowed_modules.get(assignment)
                self._sandbox = sandbox.Sandbox(
                    Path(root) / "box",
                    self._assignment_folder(assignment),
                    allowed_modules=None if allowed is None else tuple(allowed),
                    hidden_packages=(*self.always_hidden, *self.hidden_packages.get(assignment, ())),
                    limits=limits,
                )
                requests = self._sandbox.requests
            self._time("sandbox_setup", started)
            judging = time.perf_counter()
            rng = np.random.default_rng(secrets.randbits(128))
            for index, (_, visible, checks) in plan.items():
                for check in checks:
                    check.options, check.shown = judge.resolve(check.name, check.options, self._course_root())
                    check.request = judge.JUDGES[check.name].request(rng, **check.options)
                    (requests / f"{check.token}.json").write_text(json.dumps(judge.for_kernel(check.request)))
                probes = "".join(
                    f"__import__('gmm_grader.probe').probe.emit({c.token!r}, {', '.join(c.values)})\n"
                    for c in checks
                )
                nb.cells[index].source = visible + probes
            self._time("judge_requests", judging)
            try:
                with setenv(**{probe.REQUESTS_ENV: str(requests)}):  # read by probe.emit without a sandbox
                    self._run_all(nb, resources, km)
                    self._run_isolated(nb, resources, plan, assignment, Path(root), requests)
            finally:
                for index, (original, _, _) in plan.items():
                    nb.cells[index].source = original
        finally:
            if self._sandbox is not None:
                self._sandbox.release()  # its kernels are gone: the uid goes back to the pool
            removing = time.perf_counter()
            sandbox.remove_tree(Path(root))
            self._time("remove_folder", removing)
        judging = time.perf_counter()
        for index, (_, _, checks) in plan.items():
            self._judge_cell(nb.cells[index], checks)
        self._time("judge_verdicts", judging)
        defusing = time.perf_counter()
        instructor_cells = self._instructor_cells(assignment, resources)
        for cell in nb.cells:
            _defuse(cell, instructor_cells)
        self._time("defuse", defusing)
        if self._timings is not None:
            self._time("preprocess", started)
            who = resources.get("nbgrader", {})
            line = json.dumps(
                {
                    "student": who.get("student"),
                    "assignment": assignment,
                    "notebook": resources.get("unique_key"),
                    "sandbox": self.sandbox,
                    **self._timings,
                }
            )
            self.log.debug("grading timings: %s", line)
            with open(timings_file, "a", encoding="utf-8") as out:
                out.write(line + "\n")
        return self.nb, self.resources

    def _time(self, phase: str, since: float, **extra) -> None:
        """Record the seconds since ``since`` under ``phase`` (a list phase gets one more entry)."""
        if getattr(self, "_timings", None) is None:
            return
        seconds = time.perf_counter() - since
        if isinstance(self._timings.get(phase), list):
            self._timings[phase].append({"seconds": seconds, **extra} if extra else seconds)
        else:
            self._timings[phase] = seconds

    def _run_isolated(
        self, nb, resources: dict, plan: dict, assignment: str, root: Path, requests: Path
    ) -> None:
        """Grade again, each in a kernel of its own, the test cells of the assignment's isolated checks.

        The new kernel runs the notebook's code cells up to that test cell, as the student
        wrote them, in a sandbox that lacks the packages and library names the check names
        (:attr:`isolated_checks`); the test cell's outputs from that run replace those of
        the notebook's run, so a check of a count cannot be answered by calling the
        library's or scikit-learn's count. Errors in the other cells of that run are
        dropped with it: they cost nothing.
        """
        wanted = self.isolated_checks.get(assignment, {})
        main_sandbox = self._sandbox
        for number, (index, (_, _, checks)) in enumerate(plan.items()):
            hiding = [wanted[check.name] for check in checks if check.name in wanted]
            if not hiding:
                continue
            if main_sandbox is None:
                raise GradingConfigError(
                    f"{assignment}: isolated checks ({', '.join(wanted)}) need the sandbox to hide anything"
                )
            packages = {p for h in hiding for p in h.get("hidden_packages", ())}
            names = sorted({n for h in hiding for n in h.get("hidden_names", ())})
            box = sandbox.Sandbox(
                root / f"isolated-{number}",
                self._assignment_folder(assignment),
                allowed_modules=main_sandbox.allowed_modules,
                hidden_packages=tuple(sorted({*main_sandbox.hidden_packages, *packages})),
                limits=main_sandbox.limits,
            )
            _hide_library_names(box.site / "gmm_lesson", names)
            for check in checks:
                shutil.copyfile(requests / f"{check.token}.json", box.requests / f"{check.token}.json")
            cells = [copy.deepcopy(c) for c in nb.cells[: index + 1] if c.cell_type == "code"]
            for cell in cells:
                cell.outputs = []
            part = new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))
            self._sandbox = box  # its requests are mounted where probe.emit reads them
            try:
                self._run_all(part, resources, None)
            finally:
                box.release()  # its kernel is gone: the uid goes back to the pool
                self._sandbox = main_sandbox
                self.nb, self.km = nb, None
            nb.cells[index].outputs = part.cells[-1].outputs
            nb.cells[index].execution_count = part.cells[-1].get("execution_count")

    def _instructor_cells(self, assignment: str, resources: dict) -> set[str]:
        """The markdown and raw cells of this notebook's source version in course/source."""
        folder = self._assignment_folder(assignment)
        name = resources.get("unique_key", "")
        if folder is None or not (folder / f"{name}.ipynb").is_file():
            return set()
        source = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        return {cell.source for cell in source.cells if cell.cell_type in ("markdown", "raw")}

    def _course_root(self) -> Path:
        """The course folder (trusted): its quiz/ data files hold the multiple-choice keys."""
        return Path(CourseDirectory(config=self.config).root)

    def _assignment_folder(self, assignment: str) -> Path | None:
        """The assignment's folder in course/source (trusted), for the files it ships."""
        if not assignment:
            return None
        coursedir = CourseDirectory(config=self.config)
        folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
        return folder if folder.is_dir() else None

    def _plan(self, nb) -> dict[int, tuple[str, str, list[Check]]]:
        """Every graded test cell: (original source, visible part, hidden checks)."""
        plan = {}
        for index, cell in enumerate(nb.cells):
            if _is_test_cell(cell):
                cell_id = cell.metadata["nbgrader"].get("grade_id", f"cell {index}")
                visible, checks = parse_checks(cell.source, cell_id)
                if not checks:
                    raise GradingConfigError(
                        f"{cell_id}: a graded test cell needs hidden check(...) lines; a test that "
                        "only runs in the student's kernel could be forged by that kernel"
                    )
                plan[index] = (cell.source, visible, checks)
        return plan

    def _judge_cell(self, cell: NotebookNode, checks: list[Check]) -> None:
        problem = verdict(cell, checks)
        outputs = [safe for out in cell.outputs if (safe := _as_scored_safely(out)) is not None]
        outputs += [
            NotebookNode(output_type="stream", name="stdout", text=f"{c.shown}\n") for c in checks if c.shown
        ]
        if problem and not any(out.output_type == "error" for out in outputs):
            outputs.append(_error(problem))  # a cell that raised keeps its own error instead
        cell.outputs = outputs

    # -------------------------------------------------------------- the kernel
    def create_kernel_manager(self):
        if self._sandbox is None:
            return super().create_kernel_manager()
        self.km = sandbox.SandboxKernelManager(
            kernel_name=self.kernel_name or self.nb.metadata.get("kernelspec", {}).get("name", "python3"),
            config=self.config,
            sandbox=self._sandbox,
            # no single message may cost the grader more than a few cells' worth of limits:
            # the kernel's relay passes none larger, in all its parts (gmm_grader.relay)
            max_message=4 * (self.report_limit + self.output_limit),
        )
        return self.km

    def _run_all(self, nb, resources, km) -> None:
        """Run every cell; after a crash or time-out start a new kernel and go on."""
        NotebookClient.__init__(self, nb, km)  # as nbconvert's ExecutePreprocessor.preprocess does
        self.reset_execution_trackers()
        if resources or not hasattr(self, "resources"):  # what nbconvert's private step did
            self.resources = resources
        cells, done, index, restarts = nb.cells, [], 0, 0
        self._notebook_bytes = 0  # output bytes kept in this notebook (re-runs after a restart apart)
        deadline = self._deadline = time.monotonic() + self.notebook_timeout
        why_not = "not run: the kernel had to be restarted too often"
        while index < len(cells) and restarts <= self.max_restarts and time.monotonic() <= deadline:
            starting = time.perf_counter()
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self._time("kernel_start", starting)
                nb.metadata["language_info"] = info["content"]["language_info"]
                if self._sandbox is not None:
                    self._sandbox.lock_sockets()  # bound: the kernel may create no more files there
                kept = self._notebook_bytes
                for earlier in list(done):  # a new kernel: re-run what the old one had run
                    if self._run_cell(copy.deepcopy(cells[earlier]), earlier) is not None:
                        done.remove(earlier)
                self._notebook_bytes = kept  # the re-runs' outputs are not kept
                while index < len(cells):
                    if time.monotonic() > deadline:
                        break
                    cell, index = cells[index], index + 1
                    running = time.perf_counter()
                    stopped = self._run_cell(cell, index - 1)
                    if cell.cell_type == "code":
                        self._time("cells", running, index=index - 1)
                    if stopped is not None:
                        if not any(out.output_type == "error" for out in cell.outputs):
                            cell.outputs.append(_error(*stopped))
                        restarts += _is_test_cell(cell)  # an ungraded cell costs only its own run
                        break
                    if cell.cell_type == "code":
                        done.append(index - 1)
                stopping = time.perf_counter()
            self._time("kernel_stop", stopping)  # shutdown, reaping, cgroup removal
        if time.monotonic() > deadline:
            why_not = f"not run: the notebook ran past its time limit of {self.notebook_timeout} s"
        for cell in cells[index:]:
            if cell.cell_type == "code":
                cell.outputs = [_error(why_not, "NotRun")]
        self.set_widgets_metadata()

    def _run_cell(self, cell: NotebookNode, index: int) -> tuple[str, str] | None:
        """Run one cell; None if its kernel is still usable, else (why not, error name).

        A cell of imports only that fails on an import runs again one import at a time
        (see :func:`_import_statements`); the output limit counts all its runs together.
        """
        self._output_bytes = self._report_bytes = 0
        self._cut_notes, self._error_passed = set(), False
        stopped = self._execute(cell, index)
        statements = _import_statements(cell) if stopped is None and _failed_import(cell) else None
        if statements:
            outputs = []
            for statement in statements:
                if time.monotonic() > self._deadline:  # many slow imports: the notebook's limit holds
                    break
                part = copy.deepcopy(cell)
                part.source, part.outputs = statement, []
                stopped = self._execute(part, index)
                outputs += part.outputs
                cell.execution_count = part.get("execution_count")
                if stopped is not None:
                    break
            cell.outputs = outputs
            self.nb.cells[index] = cell  # nbclient put each part in the notebook in turn
        return stopped

    def _execute(self, cell: NotebookNode, index: int) -> tuple[str, str] | None:
        try:
            self.preprocess_cell(cell, self.resources, index)
        except DeadKernelError:
            if isinstance(self.km, sandbox.SandboxKernelManager) and self.km.message_refused():
                return self._message_refused()
            return DIED
        except (CellControlSignal, TimeoutError):
            return self._timed_out()
        except Exception as exc:  # never let one student's cell stop the batch
            self.log.warning("cell %d could not be run: %r", index, exc)
            return f"this cell could not be run ({type(exc).__name__})", "NotRun"
        if any(
            out.output_type == "error" and out.ename == "CellTimeoutError" for out in cell.get("outputs", [])
        ):
            return self._timed_out()
        if not run_sync(self.km.is_alive)():
            if isinstance(self.km, sandbox.SandboxKernelManager) and self.km.message_refused():
                return self._message_refused()
            return DIED
        return None

    def _message_refused(self) -> tuple[str, str]:
        return (
            f"this cell sent one message of more than {self.km.max_message} bytes; it was not read "
            "and the kernel was replaced",
            "OutputLimitError",
        )

    def _timed_out(self) -> tuple[str, str]:
        return (
            f"this cell ran past the time limit of {self.timeout} s; its kernel was replaced",
            "CellTimeoutError",
        )

    def process_message(self, msg, cell, cell_index):
        """Count every byte the kernel sends for this cell before any of it is kept.

        Every IOPub message but ``status`` counts: outputs of every kind, reports, comm and
        widget messages, ``update_display_data`` (which may target an earlier cell) and
        ``clear_output`` (clearing gives no bytes back). Reports count against
        ``report_limit`` per cell; everything else against ``output_limit`` per cell, and
        what cells keep against ``notebook_output_limit`` per notebook. Past a limit the
        cell gets one note saying so and the rest is dropped unread: a flood costs only
        the cell that sends it (its reports, once dropped, fail its own checks), and the
        notebook and the grader's memory stay bounded. A single message of more than
        ``SandboxKernelManager.max_message`` bytes in all its parts never reaches here: the
        kernel's relay (:mod:`gmm_grader.relay`) refuses it and the kernel is replaced.
        One error message (at most 100 kB) still passes, so that a cell that raised after
        its flood shows why.
        """
        msg_type = msg.get("msg_type", "")
        if msg_type == "status":
            return super().process_message(msg, cell, cell_index)
        content = msg.get("content") or {}
        size = message_size(msg)
        data = content.get("data") if isinstance(content, dict) else None
        if msg_type == "display_data" and isinstance(data, dict) and probe.MIME in data:
            self._report_bytes += size
            if self._report_bytes > self.report_limit:
                why = f"its hidden checks' reports passed {self.report_limit} bytes"
                return self._cut(cell, cell_index, msg, size, why)
            return super().process_message(msg, cell, cell_index)
        self._output_bytes += size
        if self._output_bytes > self.output_limit:
            why = f"this cell sent more than {self.output_limit} bytes of output"
            return self._cut(cell, cell_index, msg, size, why)
        self._notebook_bytes += size  # what the cells kept: one cell's flood costs no other cell
        if self._notebook_bytes > self.notebook_output_limit:
            why = f"this notebook sent more than {self.notebook_output_limit} bytes of output"
            return self._cut(cell, cell_index, msg, size, why)
        return super().process_message(msg, cell, cell_index)

    def _cut(self, cell: NotebookNode, cell_index: int, msg: dict, size: int, why: str) -> None:
        """Drop a message past a limit; the first time in a cell, say so in the cell."""
        if why not in self._cut_notes:
            self._cut_notes.add(why)
            self.log.warning("cell output cut off: %s", why)
            cell.outputs.append(
                NotebookNode(output_type="stream", name="stdout", text=f"\n[output truncated: {why}]\n")
            )
        if msg.get("msg_type") == "error" and size <= 100_000 and not self._error_passed:
            self._error_passed = True
            return super().process_message(msg, cell, cell_index)
        return None


def message_size(msg: dict) -> int:
    """Bytes of an IOPub message's content (as JSON) and binary buffers."""
    size = len(json.dumps(msg.get("content"), default=str))
    for buffer in msg.get("buffers") or ():
        size += memoryview(buffer).nbytes
    return size
