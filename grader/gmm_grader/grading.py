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
   before it and grading goes on;
4. decides every graded test cell itself: it passes when the cell raised nothing and
   every check's report is right. The cell's outputs are rewritten so that nbgrader's
   own scoring (an ``error`` output scores 0, anything else full points) gives exactly
   that verdict, whatever the kernel printed; the original cell source is put back.
"""

from __future__ import annotations

import ast
import copy
import html
import json
import os
import secrets
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
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import DeduplicateIds, Execute
from nbgrader.utils import setenv
from traitlets import Dict, Integer, List, Unicode

from . import judge, probe, sandbox

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


#: what a graded notebook may show of the kernel's rich output: no HTML, SVG or script,
#: which nbgrader's formgrader and feedback pages would otherwise run for the instructor
SAFE_MIMETYPES = ("text/plain", "image/png", "image/jpeg", probe.MIME)


def _defuse(cell: NotebookNode, instructor_markdown: set[str]) -> None:
    """Keep only inert output, and show a student's own markdown as text, not HTML.

    nbgrader's feedback and formgrader pages render markdown with any HTML in it, and
    do not sanitise it; a markdown cell that is not the instructor's (``instructor_markdown``
    holds the source notebook's) has its HTML escaped.
    """
    if cell.cell_type == "markdown" and cell.source not in instructor_markdown:
        cell.source = html.escape(cell.source, quote=False)
    for out in cell.get("outputs", []):
        if "data" in out:
            dropped = [m for m in out.data if m not in SAFE_MIMETYPES]
            for mimetype in dropped:
                del out.data[mimetype]
            if dropped and not out.data:
                out.data["text/plain"] = f"[{', '.join(dropped)} output is not kept in a graded notebook]"


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
    output_limit = Integer(2_000_000, help="bytes of output kept per cell").tag(config=True)
    max_restarts = Integer(3, help="new kernels per notebook after a crash or time-out").tag(config=True)
    notebook_timeout = Integer(
        900, help="seconds for a whole notebook (cells that would start later are not run)"
    ).tag(config=True)

    # -------------------------------------------------------------- the notebook
    def preprocess(self, nb, resources=None, km=None):
        timings_file = os.environ.get(TIMINGS_ENV)
        self._timings = {"kernel_start": [], "cells": [], "kernel_stop": []} if timings_file else None
        started = time.perf_counter()
        plan = self._plan(nb)
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        root = tempfile.mkdtemp(prefix="gmm-grading-")
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
                allowed = self.allowed_modules.get(assignment)
                self._sandbox = sandbox.Sandbox(
                    Path(root) / "box",
                    self._assignment_folder(assignment),
                    allowed_modules=None if allowed is None else tuple(allowed),
                    hidden_packages=(*self.always_hidden, *self.hidden_packages.get(assignment, ())),
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
            finally:
                for index, (original, _, _) in plan.items():
                    nb.cells[index].source = original
        finally:
            removing = time.perf_counter()
            sandbox.remove_tree(Path(root))
            self._time("remove_folder", removing)
        judging = time.perf_counter()
        for index, (_, _, checks) in plan.items():
            self._judge_cell(nb.cells[index], checks)
        self._time("judge_verdicts", judging)
        defusing = time.perf_counter()
        instructor_markdown = self._instructor_markdown(assignment, resources)
        for cell in nb.cells:
            _defuse(cell, instructor_markdown)
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

    def _instructor_markdown(self, assignment: str, resources: dict) -> set[str]:
        """The markdown cells of this notebook's source version in course/source."""
        folder = self._assignment_folder(assignment)
        name = resources.get("unique_key", "")
        if folder is None or not (folder / f"{name}.ipynb").is_file():
            return set()
        source = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        return {cell.source for cell in source.cells if cell.cell_type == "markdown"}

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
        )
        return self.km

    def _run_all(self, nb, resources, km) -> None:
        """Run every cell; after a crash or time-out start a new kernel and go on."""
        NotebookClient.__init__(self, nb, km)  # as nbconvert's ExecutePreprocessor.preprocess does
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        cells, done, index, restarts = nb.cells, [], 0, 0
        deadline = time.monotonic() + self.notebook_timeout
        why_not = "not run: the kernel had to be restarted too often"
        while index < len(cells) and restarts <= self.max_restarts and time.monotonic() <= deadline:
            starting = time.perf_counter()
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self._time("kernel_start", starting)
                nb.metadata["language_info"] = info["content"]["language_info"]
                if self._sandbox is not None:
                    self._sandbox.lock_sockets()  # bound: the kernel may create no more files there
                for earlier in list(done):  # a new kernel: re-run what the old one had run
                    if self._run_cell(copy.deepcopy(cells[earlier]), earlier) is not None:
                        done.remove(earlier)
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
                        restarts += 1
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
        """Run one cell; None if its kernel is still usable, else (why not, error name)."""
        self._output_bytes = 0
        try:
            self.preprocess_cell(cell, self.resources, index)
        except DeadKernelError:
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
            return DIED
        return None

    def _timed_out(self) -> tuple[str, str]:
        return (
            f"this cell ran past the time limit of {self.timeout} s; its kernel was replaced",
            "CellTimeoutError",
        )

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most ``output_limit`` bytes of one cell's output (reports are kept apart)."""
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        is_report = msg.get("msg_type") == "display_data" and probe.MIME in content.get("data", {})
        if is_report:
            if size > 20 * self.output_limit:
                return None
        else:
            self._output_bytes = getattr(self, "_output_bytes", 0) + size
            if self._output_bytes > self.output_limit:
                if self._output_bytes - size <= self.output_limit:
                    outs.append(
                        NotebookNode(output_type="stream", name="stdout", text="\n[output truncated]\n")
                    )
                return None
        return super().output(outs, msg, display_id, cell_index)
