"""Long commands run in a watched child process, so that a crash is one line too.

A failure that Python sees (an exception, :class:`MemoryError`) is already one line
(:mod:`pileon.service.stages`).  Some failures kill the process before Python sees
anything: the kernel's out-of-memory killer (``SIGKILL``), or native code that does not
check a failed allocation near a memory limit and crashes (``SIGSEGV``, in pandas' hash
tables for one).  A command decorated with :func:`watched` forks: the child runs the
command, the parent waits and, if the child died of a signal, prints one line naming the
stage it was in (:func:`pileon.service.stages.where`) and what to try, and exits non-zero.

The child is the whole command (it writes the output and the report); the parent only
waits, so memory and time are those of an unwatched run.  Where there is no ``fork`` or
the output streams are not real files (a test's in-memory runner), the command runs in
this process as before.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: signals that mean the run died for want of memory, most often (exit 4, as a stage
#: that ran out of memory)
MEMORY_SIGNALS = {signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT}

#: what to try then: :data:`pileon.service.stages.MEMORY_ADVICE` widened to every watched
#: command (not only analyze), and a request for a report, since a crash in native code
#: may not be memory at all
ADVICE = (
    "free memory or run on a machine with more, or give it a narrower event or less data "
    "at once; if memory was not short, please report it with the command that gave it"
)


def watched(name: str) -> Callable[[F], F]:
    """Run the decorated click callback in a watched child (see the module docstring).

    Parameters
    ----------
    name : str
        The command's name, for the error line when no stage was marked.
    """

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            if not _can_fork():
                return f(*args, **kwargs)
            return _watch(lambda: f(*args, **kwargs), name)

        return run  # type: ignore[return-value]

    return decorate


def _can_fork() -> bool:
    if not hasattr(os, "fork") or os.environ.get("PILEON_NO_WATCH"):
        return False
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True


def _watch(run: Callable[[], Any], name: str) -> None:
    from pileon.service.stages import share_marks, where

    share_marks()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: the command itself
        os._exit(_child(run, name))
    # the parent: a terminal's ^C reaches the child too (same process group), which
    # handles it; a termination sent to the parent alone is passed on
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: os.kill(pid, signum))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:  # reaped elsewhere: nothing to report
            return
        except InterruptedError:
            continue
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        if code:
            sys.exit(code)
        return
    sig = os.WTERMSIG(status)
    place = where() or f"pileon {name}"
    click.echo(f"error: {_died(place, sig)}", err=True)
    sys.exit(4 if sig in MEMORY_SIGNALS else 128 + sig)


def _died(place: str, sig: int) -> str:
    """The one line for a child that died of ``sig`` at ``place``."""
    label = signal.Signals(sig).name
    if sig == signal.SIGKILL:
        return (
            f"{place} was killed ({label}, most often by the kernel when memory ran out): {ADVICE}"
        )
    if sig in MEMORY_SIGNALS:
        return (
            f"{place} crashed in native code ({label}, most often an allocation that "
            f"failed when memory ran short): {ADVICE}"
        )
    return f"{place} was stopped by {label}"


def _child(run: Callable[[], Any], name: str) -> int:
    """Run the command in the child; its exit code (click's and pileon's errors are
    printed as the group would print them)."""
    _die_with_parent()
    code = 0
    try:
        run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            click.echo(str(exc.code), err=True)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.Abort:
        click.echo("Aborted!", err=True)
        code = 1
    except BaseException as exc:  # the child must always reach _exit
        from pileon.cli import one_line

        line = one_line(exc, name)
        if line is None:
            traceback.print_exc()
            code = 1
        else:
            click.echo(line[0], err=True)
            code = line[1]
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # a closed pipe: the exit code still counts
            code = code or 1
    return code


def _die_with_parent() -> None:
    """Ask the kernel to end the child if the watching parent is killed (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
