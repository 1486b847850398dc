"""The grader's reach-ins into third-party private names, each held by a test.

jupyter_client offers no public hook around a kernel's launch and kill that keeps its
own ZeroMQ set-up (kernel provisioners would, at the price of a registered entry point
and a kernel spec per sandbox), so ``gmm_grader.sandbox.SandboxKernelManager`` overrides
``AsyncKernelManager``'s ``_async_*`` steps. ``gmm_grader.grading.JudgedExecute._run_all``
re-runs ``NotebookClient.__init__`` exactly as nbconvert's own
``ExecutePreprocessor.preprocess`` does. These tests fail on the upgrade that stops the
public calls from going through those names, before a grading silently skips the sandbox's
cgroup or reaping.
"""

from __future__ import annotations

import asyncio
import inspect

import nbformat
import pytest
from gmm_grader import grading, sandbox
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

#: the private steps of AsyncKernelManager that SandboxKernelManager overrides
OVERRIDDEN = (
    "_async_pre_start_kernel",
    "_async_launch_kernel",
    "_async_kill_kernel",
    "_async_cleanup_resources",
    "_async_interrupt_kernel",
    "_async_is_alive",
)


class Stop(Exception):
    """Raised by a recorded step to end the call there."""


def recording_manager(calls: list[str], stop_at: str | None = None):
    """An AsyncKernelManager whose overridden steps only record that they were called."""

    def step(name):
        async def record(self, *args, **kw):
            calls.append(name)
            if name == stop_at:
                raise Stop(name)
            if name == "_async_pre_start_kernel":
                return ["kernel-command"], {"cwd": "/nowhere"}
            if name == "_async_is_alive":
                return True
            return None

        return record

    namespace = {name: step(name) for name in OVERRIDDEN}
    namespace["has_kernel"] = True  # as if a kernel ran: shutdown then kills and interrupts it
    return type("Recording", (AsyncKernelManager,), namespace)()


def test_the_overridden_steps_exist_with_the_signatures_the_sandbox_calls():
    for name in OVERRIDDEN:
        assert callable(getattr(AsyncKernelManager, name, None)), f"jupyter_client has no {name}"
        ours = inspect.signature(getattr(sandbox.SandboxKernelManager, name)).parameters
        theirs = inspect.signature(getattr(AsyncKernelManager, name)).parameters
        takes_any_keyword = any(p.kind is p.VAR_KEYWORD for p in ours.values())
        for param in theirs.values():  # every argument jupyter_client passes, ours accepts
            if param.kind is param.VAR_KEYWORD:
                assert takes_any_keyword, name
            elif param.name not in ours:
                assert takes_any_keyword and param.kind is param.KEYWORD_ONLY, (name, param.name)


def test_start_kernel_goes_through_pre_start_then_launch():
    calls: list[str] = []
    km = recording_manager(calls, stop_at="_async_launch_kernel")
    with pytest.raises(Stop):
        asyncio.run(km.start_kernel())
    assert calls == ["_async_pre_start_kernel", "_async_launch_kernel"]


def test_shutdown_now_goes_through_kill_then_cleanup():
    calls: list[str] = []
    km = recording_manager(calls)
    asyncio.run(km.shutdown_kernel(now=True))
    assert calls == ["_async_interrupt_kernel", "_async_kill_kernel", "_async_cleanup_resources"]


def test_the_sandbox_binds_the_public_names_to_its_own_steps():
    km = sandbox.SandboxKernelManager
    assert km.is_alive is km._async_is_alive
    assert km.interrupt_kernel is km._async_interrupt_kernel
    assert km.cleanup_resources is km._async_cleanup_resources


def test_notebook_client_init_can_be_run_again_on_a_live_client():
    # What JudgedExecute._run_all does, as nbconvert's ExecutePreprocessor.preprocess does.
    assert list(inspect.signature(NotebookClient.__init__).parameters)[:3] == ["self", "nb", "km"]
    first, second = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    client = grading.JudgedExecute()
    NotebookClient.__init__(client, first)
    NotebookClient.__init__(client, second)
    assert client.nb is second and client.km is None
    client.reset_execution_trackers()
    assert client.code_cells_executed == 0
