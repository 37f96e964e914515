"""The grading runner: executes one submission's exercises and runs the pristine checks.

This file runs **inside the sandbox** (``tools.sandbox``), started by ``tools.grade`` as
``python -I grade_runner.py job.json`` in a fresh interpreter. It imports nothing from
``tools`` (the sandbox does not show the repository, only ``course_utils`` and Python) and
writes one JSON line, its result, to the file descriptor the job names.

What it does, for every exercise of the job:

1. the parent (this process) imports ``course_utils.checks`` and the heavy libraries once,
   and keeps its own references to every ``check_*`` function, before any notebook code;
2. it forks a child per exercise, so that what one exercise's code changes cannot reach
   another, with a CPU-time limit and a wall-clock watchdog;
3. the child runs the cells the job lists (given cells from the pristine source, the
   student's answer cells), records an integrity snapshot just before the first student
   cell, then calls each check **through the parent's reference** with the arguments of
   the pristine check cell, evaluated in the notebook's namespace;
4. after the checks the child compares the snapshot with the state now: any function,
   class or module of ``course_utils`` replaced, added or removed, any changed callable of
   an already-imported library (``torch.allclose = ...``), ``builtins`` changed (``print``),
   a trace or profile hook set, or a check called with a ``__course_reference__``
   implementation. Any of these makes the exercise's checks count as failed and is reported.

Code that runs in the checked process can in principle subvert all of this (it can find
the snapshot through ``gc``, or forge the result line); ``tools.grade`` therefore also
scans the answer source for such code and flags it (see docs/instructor-guide.md).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import io
import json
import linecache
import os
import resource
import secrets
import signal
import sys
import time
import traceback
import types

OUTPUT_LIMIT = 20_000  # characters of one cell's output kept for the report and feedback


def _code_hash(code: types.CodeType) -> str:
    digest = hashlib.sha256()

    def feed(co: types.CodeType) -> None:
        digest.update(co.co_code)
        digest.update(repr(co.co_names).encode())
        for const in co.co_consts:
            if isinstance(const, types.CodeType):
                feed(const)
            else:
                digest.update(repr(const).encode())

    feed(code)
    return digest.hexdigest()[:16]


def _fingerprint(obj: object) -> str:
    """Identity and, for a function, its code: a replaced ``__code__`` shows."""
    if isinstance(obj, types.FunctionType):
        return f"{id(obj)}:{_code_hash(obj.__code__)}:{id(obj.__defaults__)}"
    return str(id(obj))


def _is_course(name: str) -> bool:
    return name == "course_utils" or name.startswith("course_utils.")


def _watched(obj: object) -> bool:
    try:
        return callable(obj) or isinstance(obj, types.ModuleType)
    except Exception:  # noqa: BLE001 - a proxy object that cannot even say
        return False


def snapshot() -> dict[str, dict[str, str]]:
    """What tampering would change: module attributes (course_utils: all; others: callables),
    methods of course_utils classes, builtins, sys.modules entries, trace hooks."""
    state: dict[str, dict[str, str]] = {}
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType):
            continue
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        course = _is_course(name)
        entry = {"<module>": str(id(module))}
        for attr, value in items:
            if course or _watched(value):
                entry[attr] = _fingerprint(value)
            if course and isinstance(value, type) and _is_course(getattr(value, "__module__", "")):
                for key, member in list(vars(value).items()):
                    entry[f"{attr}.{key}"] = _fingerprint(member)
        state[name] = entry
    state["<sys>"] = {
        "trace": str(sys.gettrace()),
        "profile": str(sys.getprofile()),
        "builtins": str(id(builtins.__dict__)),
    }
    return state


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[str]:
    """Human-readable differences that count as tampering."""
    problems = []
    for name, was in before.items():
        now = after.get(name)
        if now is None:
            if name != "<sys>":
                problems.append(f"module {name} removed from sys.modules")
            continue
        course = _is_course(name) or name == "builtins"
        for attr, fingerprint in was.items():
            if attr not in now:
                problems.append(f"{name}.{attr} deleted")
            elif now[attr] != fingerprint:
                what = "module object replaced" if attr == "<module>" else f"{name}.{attr} replaced"
                problems.append(f"{what}" if attr == "<module>" else what)
        if course:
            problems += [f"{name}.{attr} added" for attr in now if attr not in was]
    for name in after:
        if _is_course(name) and name not in before:
            problems.append(f"module {name} added to sys.modules")
    return problems


# --------------------------------------------------------------------------- running cells


def _transform(source: str) -> str:
    """IPython syntax (``%pip``, ``!ls``) into Python, as a notebook kernel would."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with the course's environment
        return source
    return TransformerManager().transform_cell(source)


def _run_source(source: str, filename: str, namespace: dict) -> None:
    code = _transform(source)
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    tree = ast.parse(code, filename)
    # As a kernel does: a last expression is evaluated (its value is not shown here).
    body, last = tree.body, None
    if body and isinstance(body[-1], ast.Expr):
        body, last = body[:-1], ast.Expression(body[-1].value)
    exec(compile(ast.Module(body=body, type_ignores=[]), filename, "exec"), namespace)
    if last is not None:
        eval(compile(last, filename, "eval"), namespace)


def _check_call(source: str) -> tuple[str, list[ast.expr], list[ast.keyword]] | None:
    """``checks.check_x(args)`` as the whole cell: the check's name and its arguments."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "checks"
        and call.func.attr.startswith("check_")
    ):
        return call.func.attr, list(call.args), list(call.keywords)
    return None


def _is_reference(obj: object) -> bool:
    if getattr(obj, "__course_reference__", False) is True:
        return True
    if isinstance(obj, type):  # a class some of whose methods are references
        return any(getattr(m, "__course_reference__", False) is True for m in vars(obj).values())
    return False


def _error_text(error: BaseException) -> str:
    """The diagnosis of a check (its own rendering), or the traceback of the notebook's
    code without the runner's frames, as a notebook would show it."""
    render = getattr(error, "_render_traceback_", None)
    if callable(render):
        try:
            return "\n".join(render())
        except Exception:  # noqa: BLE001 - fall back to the plain traceback
            pass
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<")]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return "".join(lines + traceback.format_exception_only(type(error), error))


class _Shell:
    """Enough of ``get_ipython()`` for the course's cells: ``%matplotlib inline`` and
    ``%config`` do nothing here (figures are not shown); other magics and shell commands
    are skipped with a line in the cell's output."""

    def run_line_magic(self, name: str, line: str, *args: object) -> None:
        if name not in ("matplotlib", "config", "load_ext"):
            print(f"[grading] %{name} {line} skipped")

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        print(f"[grading] %%{name} skipped")

    def system(self, command: str) -> None:
        print(f"[grading] !{command} skipped")

    getoutput = system


def _evaluated(nodes: list, namespace: dict, filename: str) -> list:
    return [eval(compile(ast.Expression(node), filename, "eval"), namespace) for node in nodes]


def run_exercise(exercise: dict, pristine: dict, checks_module: types.ModuleType) -> dict:
    """Run one exercise's cells in this (forked) process; return its result."""
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    shell = _Shell()
    namespace["get_ipython"] = lambda: shell
    cells, results, before, references = [], [], None, []
    for cell in exercise["cells"]:
        role, source = cell["role"], cell["source"]
        filename = f"<cell {cell['id']}>"
        if role == "answer" and before is None:
            before = snapshot()
        record = {"id": cell["id"], "role": role, "error": None}
        buffer = io.StringIO()
        passed = None
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            try:
                if role == "check":
                    call = _check_call(source)
                    if call is None:  # not a plain call: run the pristine cell itself
                        namespace["checks"] = checks_module
                        _run_source(source, filename, namespace)
                    else:
                        name, args, keywords = call
                        function = pristine.get(name)
                        if function is None:
                            raise LookupError(f"course_utils.checks has no {name}")
                        values = _evaluated(args, namespace, filename)
                        kwargs = dict(
                            zip(
                                [k.arg for k in keywords],
                                _evaluated([k.value for k in keywords], namespace, filename),
                                strict=True,
                            )
                        )
                        used = [v for v in [*values, *kwargs.values()] if _is_reference(v)]
                        references += [getattr(v, "__name__", repr(v)) for v in used]
                        function(*values, **kwargs)
                    passed = True
                else:
                    _run_source(source, filename, namespace)
            except BaseException as error:  # noqa: BLE001 - student code may raise anything
                record["error"] = _error_text(error)[-OUTPUT_LIMIT:]
                record["error_name"] = type(error).__name__
                passed = False
        record["output"] = buffer.getvalue()[-OUTPUT_LIMIT:]
        cells.append(record)
        if role == "check":
            results.append({"grade_id": cell["grade_id"], "passed": bool(passed)})
    tampering = compare(before, snapshot()) if before is not None else []
    return {
        "label": exercise["label"],
        "checks": results,
        "cells": cells,
        "tampering": tampering,
        "references": references,
    }


# --------------------------------------------------------------------------- the parent


def hook_optimizer_steps() -> None:
    """Wrap the ``step`` of every optimizer class of course_utils as torch does when the
    class is first instantiated (``Optimizer._patch_step_function``), so that the snapshot
    sees the wrapped method and a check creating its optimizer changes nothing."""
    import torch

    for name, module in list(sys.modules.items()):
        if not _is_course(name) or not isinstance(module, types.ModuleType):
            continue
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, torch.optim.Optimizer)
                and not getattr(value.step, "hooked", None)
            ):
                value.step = torch.optim.Optimizer.profile_hook_step(value.step)
                value.step.hooked = True


def import_all_course_modules() -> None:
    """Every module of the course package, so that the snapshot covers each of them and a
    course_utils module that appears later can only be the student's."""
    import pkgutil

    import course_utils

    for info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        with contextlib.suppress(Exception):
            __import__(info.name)


def _child(exercise: dict, pristine: dict, checks_module, write_fd: int, token: str, cpu_s: int):
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    out = os.fdopen(write_fd, "w")
    try:
        result = run_exercise(exercise, pristine, checks_module)
    except BaseException as error:  # noqa: BLE001
        result = {"label": exercise["label"], "crash": _error_text(error)}
    result["token"] = token
    try:
        out.write(json.dumps(result) + "\n")
        out.flush()
    finally:
        os._exit(0)


def _wait(pid: int, read_fd: int, wall_s: float) -> tuple[str, str]:
    """The child's output and how it ended: 'ok', 'timeout', or 'exit N' / 'signal N'."""
    chunks, deadline = [], time.monotonic() + wall_s
    os.set_blocking(read_fd, False)
    status = None
    while True:
        try:
            data = os.read(read_fd, 1 << 16)
            if data:
                chunks.append(data)
        except BlockingIOError:
            pass
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code
            break
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_fd)
            return b"".join(chunks).decode(errors="replace"), "timeout"
        time.sleep(0.02)
    with contextlib.suppress(BlockingIOError):
        while data := os.read(read_fd, 1 << 16):
            chunks.append(data)
    os.close(read_fd)
    text = b"".join(chunks).decode(errors="replace")
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        how = "cpu" if signum == signal.SIGXCPU else f"signal {signum}"
        return text, how
    return text, "ok" if os.WEXITSTATUS(status) == 0 else f"exit {os.WEXITSTATUS(status)}"


def main(job_path: str) -> int:
    started = time.monotonic()
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    os.environ["COURSE_UTILS_GRADING"] = "1"
    import matplotlib

    matplotlib.use("Agg")
    for module in job.get("preload", []):
        with contextlib.suppress(Exception):
            __import__(module)
    import course_utils.checks as checks_module

    import_all_course_modules()
    hook_optimizer_steps()

    pristine = {n: getattr(checks_module, n) for n in dir(checks_module) if n.startswith("check_")}
    exercises = []
    timing = {"imports_s": round(time.monotonic() - started, 2)}
    for exercise in job["exercises"]:
        token = secrets.token_hex(16)
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(exercise, pristine, checks_module, write_fd, token, int(job["cpu_s"]))
        os.close(write_fd)
        start = time.monotonic()
        text, how = _wait(pid, read_fd, float(job["wall_s"]))
        seconds = round(time.monotonic() - start, 2)
        lines = [line for line in text.splitlines() if line.strip()]
        outcome: dict = {"label": exercise["label"], "ended": how, "seconds": seconds}
        try:
            reported = json.loads(lines[-1]) if len(lines) == 1 else None
        except ValueError:
            reported = None
        if reported is None or reported.pop("token", None) != token:
            if how == "ok":
                how = "forged" if lines else "no result"
            outcome["ended"] = how
            outcome["garbled"] = bool(lines)
        else:
            outcome.update(reported)
        exercises.append(outcome)
    # Written last, by this process, in which no notebook code has run.
    with open(job["result_path"], "w", encoding="utf-8") as f:
        json.dump({"exercises": exercises, "timing": timing}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
