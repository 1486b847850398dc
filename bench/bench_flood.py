"""The grader's memory while a student floods it with output (a benchmark, not a test).

    .venv/bin/python bench/bench_flood.py [--messages 24] [--mib 16] [--students a,b] [--results F]

One honest em_step_by_step submission and four flooding ones (full solutions, plus one
ordinary cell that sends ``--messages`` messages of ``--mib`` MiB each: report-MIME
``display_data``, comm/widget messages, ``update_display_data``; or one message of
``--messages`` binary parts of ``--mib`` MiB each) are each graded by
their own stock ``nbgrader autograde --student=...`` with the course's own config
(sandboxed kernels). For each it prints the grader's peak RSS (the ``nbgrader``
process, sampled every 20 ms), the peak RSS summed over the grader and all its
children (kernels included), ``ru_maxrss`` of the finished grader from ``wait4`` (its
own and its waited-for children's largest: the kernels' relays, under their own
address-space limit, are such children), the autograded notebook's size, the score
and the wall time. Figures go to ``bench/results/bench_flood.json``.

Run it with another checkout's interpreter (``/work/main/.venv/bin/python
bench/bench_flood.py``) to measure that checkout's grader on the same submissions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbformat.v4 import new_code_cell

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import nbgrader_helpers as h  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bench_flood.json"
EM = "em_step_by_step"
MIME = "application/vnd.gmm-lesson.report+json"


def floods(messages: int, size: int) -> dict[str, str]:
    """student -> the flooding cell's code (empty for the honest submission)."""
    return {
        "honest": "",
        "report_flood": (
            "from IPython.display import display\n"
            f"for _ in range({messages}):\n"
            f"    display({{{MIME!r}: {{'token': '0' * 16, 'report': 'x' * {size}}}}}, raw=True)"
        ),
        "comm_flood": (
            "from comm import create_comm\n"
            "channel = create_comm(target_name='jupyter.widget', data={'state': {}})\n"
            f"for _ in range({messages}):\n"
            f"    channel.send({{'method': 'update', 'state': {{'value': 'y' * {size}}}}})"
        ),
        "display_flood": (
            "from IPython.display import display\n"
            "handle = display('small', display_id=True)\n"
            f"for _ in range({messages}):\n"
            f"    handle.update('u' * {size})"
        ),
        # one message of many parts (binary buffers): ZeroMQ's MAXMSGSIZE limits each part
        # and RCVHWM counts whole messages, so neither bounds it; the kernel's relay
        # (gmm_grader.relay) refuses it. Sent without copies, it costs the kernel one part
        "multipart_flood": (
            "kernel = get_ipython().kernel\n"
            f"part = b'm' * {size}\n"
            "_ = kernel.session.send(kernel.iopub_socket, 'display_data', {'data': {'text/plain': 'parts'}, "
            f"'metadata': {{}}}}, parent=kernel.get_parent(), buffers=[part] * {messages})"
        ),
    }


def watch(pid: int, peaks: dict[str, int], stop: threading.Event) -> None:
    """Sample the RSS of ``pid`` and of its whole process tree until ``stop``."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            own = root.memory_info().rss
            tree = own
            for child in root.children(recursive=True):
                try:
                    tree += child.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
        except psutil.NoSuchProcess:
            return
        peaks["grader"] = max(peaks["grader"], own)
        peaks["tree"] = max(peaks["tree"], tree)
        time.sleep(0.02)


def grade(course: Path, env: dict[str, str], student: str) -> dict:
    peaks = {"grader": 0, "tree": 0}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(h.VENV_BIN / "nbgrader"), "autograde", EM, f"--student={student}"],
        cwd=course,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(proc.pid, peaks, stop))
    watcher.start()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    watcher.join()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"autograde {student} failed:\n{err.decode()[-3000:]}")
    path = course / "autograded" / student / EM / f"{EM}.ipynb"
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=h.COURSE_ID) as gb:
        score = gb.find_submission(EM, student).score
    return {
        "grader_peak_rss_mib": round(peaks["grader"] / 2**20, 1),
        "tree_peak_rss_mib": round(peaks["tree"] / 2**20, 1),
        "wait4_maxrss_mib": round(usage.ru_maxrss / 1024, 1),
        "notebook_mib": round(path.stat().st_size / 2**20, 2),
        "score": score,
        "seconds": round(seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=24, help="messages per flood (default 24)")
    parser.add_argument("--mib", type=int, default=16, help="MiB per message (default 16)")
    parser.add_argument("--students", default="", help="comma-separated subset (default: all five)")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"where to write (default {RESULTS})")
    args = parser.parse_args()
    if args.messages < 1 or args.mib < 1:
        parser.error("--messages and --mib must be positive")
    code = floods(args.messages, args.mib * 2**20)
    if args.students:
        wanted = args.students.split(",")
        if set(wanted) - set(code):
            parser.error(f"--students: unknown {sorted(set(wanted) - set(code))}; choose from {sorted(code)}")
        code = {name: code[name] for name in wanted}
    results = {}
    with tempfile.TemporaryDirectory(prefix="gmm-bench-flood-") as tmp:
        tmp = Path(tmp)
        env = h.nbgrader_env(tmp)
        course = h.copy_course(tmp / "course")
        h.nbgrader(["generate_assignment", EM], cwd=course, env=env)
        source = h.read(h.source_notebook_path(EM))
        for student, cell in code.items():
            nb = h.read(course / "release" / EM / f"{EM}.ipynb")
            h.fill_solutions(nb, source)
            if cell:
                first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
                nb.cells.insert(first + 1, new_code_cell(cell, id="flood"))
            folder = course / "submitted" / student / EM
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{EM}.ipynb")
        for student in code:
            results[student] = grade(course, env, student)
            print(f"{student:14s} " + "  ".join(f"{k}={v}" for k, v in results[student].items()), flush=True)
    args.results.parent.mkdir(exist_ok=True)
    args.results.write_text(
        json.dumps(
            {
                "messages": args.messages,
                "mib_per_message": args.mib,
                "python": sys.executable,
                "cpus": os.cpu_count(),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
