"""The kernel's side of grading: run the student's code on given inputs, report plain data.

When a notebook is autograded, each hidden check of a test cell becomes one call to
:func:`emit`. It reads the grader's request (which inputs to call the student's
function with), runs the student's code on them, and sends back what came out as
plain JSON data (numbers, lists, strings) under :data:`MIME`. Nothing here decides
anything: the grader compares the report with its reference outside the student's
kernel, so patching this module can only change what is reported, never what a
correct report must contain. :func:`run` is the same work without the transport; the
instructor's own run of a source notebook uses it through :func:`gmm_grader.judge.check`.

**Stand-ins.** A request may carry ``"stand_ins"``: for a function name of the student's
(``log_gaussian``, ``e_step``, ...), a table of ``{"args": [...], "returned": ...}``
entries, the right results of that function on the exact inputs the grader's check
will lead to, computed by the grader. While the student's function is checked, each
such name in its module's namespace answers from the table (and hands any other call
to the student's own function), so a later step is scored on its own: a bug in
``log_gaussian`` does not also fail ``log_likelihood``, ``e_step`` and the EM loop.
The tables hold values, never an implementation, and only for inputs the kernel is
given anyway. A call is matched whichever way the student wrote it: its arguments are
bound to the parameters of the student's own function of that name (by
:func:`inspect.signature`), so ``e_step(X=X, params=params)`` matches as ``e_step(X,
params)`` does. The names are replaced in the namespace of the checked function (for a
callable object, of its ``__call__``) and in the notebook's own namespace.

This module may import only numpy, :mod:`gmm_lesson.params` and IPython.
"""

from __future__ import annotations

import inspect
import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from gmm_lesson.params import GMMParams

MIME = "application/vnd.gmm-lesson.report+json"
#: where the sandbox puts the grader's requests (read-only inside the sandbox)
REQUESTS_ENV = "GMM_LESSON_REQUESTS"


# ------------------------------------------------------------------ inputs: decode
def decode(value: Any) -> Any:
    """Turn a request's plain data into the arguments the student's code expects.

    ``{"array": nested list}`` becomes a float array, ``{"tuple": [...]}`` a tuple and
    ``{"GMMParams": {...}}`` an :class:`~gmm_lesson.params.GMMParams`; lists and dicts
    are decoded item by item.
    """
    if isinstance(value, dict):
        if "array" in value:
            return np.array(value["array"], dtype=float)
        if "tuple" in value:
            return tuple(decode(item) for item in value["tuple"])
        if "GMMParams" in value:
            fields = value["GMMParams"]
            return GMMParams(**{name: np.array(fields[name], dtype=float) for name in fields})
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


# ------------------------------------------------------------------ outputs: encode
def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-safe description of what the student's code returned.

    Numbers stay numbers (non-finite floats become the strings ``"nan"``, ``"inf"``,
    ``"-inf"``), arrays become ``{"array": nested list, "shape": [...]}``, tuples
    ``{"tuple": [...]}``, parameters ``{"GMMParams": {...}}``; anything else is named
    by its type, so the grader can say what was wrong.
    """
    if depth > 8:
        return {"object": "too deeply nested"}
    if isinstance(value, str):
        return str.__str__(value)  # a plain copy: a str subclass cannot rig ==, strip or upper
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.size > 100_000:
            return {"object": f"ndarray of dtype {value.dtype} and shape {list(value.shape)}"}
        as_float = value.astype(float)
        nested = np.where(np.isfinite(as_float), as_float, 0.0).tolist()
        report = {"array": nested, "shape": list(value.shape), "dtype": str(value.dtype)}
        if not np.isfinite(as_float).all():
            report["finite"] = False
        return report
    if isinstance(value, tuple):
        return {"tuple": [encode(item, depth + 1) for item in value]}
    if isinstance(value, list):
        return [encode(item, depth + 1) for item in value[:10_000]]
    if isinstance(value, GMMParams):
        return {
            "GMMParams": {
                name: encode(getattr(value, name), depth + 1) for name in ("weights", "means", "covariances")
            }
        }
    return {"object": type(value).__name__}


# ------------------------------------------------------------------ stand-ins
def _same(given: Any, expected: Any) -> bool:
    """Whether an argument the student's code passed is the grader's (decoded) input."""
    if isinstance(expected, GMMParams):
        fields = ("weights", "means", "covariances")
        return isinstance(given, GMMParams) and all(
            _same(getattr(given, name), getattr(expected, name)) for name in fields
        )
    try:  # arithmetic only: a notebook that rebinds np.allclose must not change what matches
        given = np.asarray(given, dtype=float)
        if given.shape != expected.shape:
            return False
        return bool((abs(given - expected) <= 1e-12 + 1e-9 * abs(expected)).all())
    except Exception:  # whatever the student passed, it is not the grader's input
        return False


def _positional(own: Any, args: tuple, kwargs: dict) -> tuple | None:
    """The call's arguments in the order of ``own``'s parameters (None if they do not bind).

    Without a signature to bind to (no function of the student's, or a builtin) only a
    call without keywords is matched.
    """
    if not kwargs:
        return args
    try:
        bound = inspect.signature(own).bind(*args, **kwargs)
    except (TypeError, ValueError):  # no signature, or a call own would refuse
        return None
    ordered: list[Any] = []
    for parameter in bound.signature.parameters.values():
        if parameter.name not in bound.arguments:
            break
        value = bound.arguments[parameter.name]
        if parameter.kind is parameter.VAR_POSITIONAL:
            ordered.extend(value)
        elif parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            ordered.append(value)
        else:
            break
    return tuple(ordered)


def _stand_in(name: str, table: list[dict], own: Any) -> Callable:
    """A function answering from ``table`` and handing any other call to ``own``."""
    entries = [(decode(entry["args"]), entry["returned"]) for entry in table]

    def stand_in(*args: Any, **kwargs: Any) -> Any:
        given = _positional(own, args, kwargs)
        for expected, returned in entries if given is not None else ():
            if len(given) >= len(expected) and all(map(_same, given, expected)):
                return decode(returned)  # a fresh copy: the caller may change it
        if own is _ABSENT:
            raise NameError(f"name {name!r} is not defined")
        return own(*args, **kwargs)

    return stand_in


_ABSENT = object()


def _namespaces(function: Any) -> list[dict]:
    """Where the names ``function`` calls are looked up: its globals (for a callable
    object, those of its class's ``__call__``), and the notebook's namespace."""
    found: list[dict] = []
    candidates = [getattr(function, "__globals__", None)]
    call = inspect.getattr_static(type(function), "__call__", None)  # a callable object's method
    candidates.append(getattr(call, "__globals__", None))
    candidates.append(getattr(getattr(function, "__func__", None), "__globals__", None))  # a bound method
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython is always there in a kernel
        shell = None
    candidates.append(getattr(shell, "user_ns", None))
    for namespace in candidates:
        if isinstance(namespace, dict) and all(namespace is not seen for seen in found):
            found.append(namespace)
    return found


@contextmanager
def standing_in(function: Any, stand_ins: dict[str, list[dict]] | None) -> Iterator[None]:
    """Within the block, the names in ``stand_ins`` answer from tables where ``function`` looks them up.

    That is ``function``'s module namespace (for a callable object, its ``__call__``'s)
    and the notebook's. A name a namespace does not define is defined for the block;
    each name is put back, or removed, afterwards. ``function`` itself is never replaced.
    """
    saved: list[tuple[dict, str, Any]] = []
    for namespace in _namespaces(function) if stand_ins else ():
        for name, table in stand_ins.items():
            own = namespace.get(name, _ABSENT)
            if own is function or name == getattr(function, "__name__", None):
                continue
            saved.append((namespace, name, own))
            namespace[name] = _stand_in(name, table, own)
    try:
        yield
    finally:
        for namespace, name, own in reversed(saved):
            if own is _ABSENT:
                namespace.pop(name, None)
            else:
                namespace[name] = own


# ------------------------------------------------------------------ the work
def _call(function: Callable, args: list, kwargs: dict) -> Any:
    try:
        return {"returned": encode(function(*decode(args), **decode(kwargs)))}
    except Exception as exc:  # the student's error, reported rather than raised
        return {"raised": f"{type(exc).__name__}: {exc}"[:500]}


def run(request: dict, *values: Any) -> dict:
    """Do what ``request`` asks with the student's ``values``; return the report.

    ``request["kind"]`` is one of

    * ``"value"``: report each value as it is;
    * ``"call"``: ``values[0]`` is the student's function; call it once per entry of
      ``request["calls"]`` (``{"args": [...], "kwargs": {...}}``), with the request's
      ``"stand_ins"`` (if any) answering for the student's earlier functions.
    """
    kind = request["kind"]
    if kind == "value":
        return {"values": [encode(value) for value in values]}
    if kind == "call":
        function = values[0]
        if not callable(function):
            return {"not_callable": type(function).__name__}
        with standing_in(function, request.get("stand_ins")):
            calls = [_call(function, call["args"], call.get("kwargs", {})) for call in request["calls"]]
        return {"calls": calls}
    raise ValueError(f"unknown request kind {kind!r}")


def emit(token: str, *values: Any) -> None:
    """Read the grader's request ``token``, run it, and display the report for the grader."""
    from IPython.display import display

    path = Path(os.environ.get(REQUESTS_ENV, "/grading")) / f"{token}.json"
    report = run(json.loads(path.read_text()), *values)
    display({MIME: {"token": token, "report": report}}, raw=True)
