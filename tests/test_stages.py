"""``analyze`` on a long run (issue 14, points 5 and 6): a failure is one line naming the
stage and what to try, with a non-zero exit; a progress line per stage even when stderr is
not a terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from pileon.cli import cli
from pileon.graph.errors import StageFailed
from pileon.service.analysis import analyze
from tests.helpers import load_sample

pytestmark = pytest.mark.xdist_group("stages")

E1 = "evt:2026-03-nancheng-teacher"
STAGES = ("project", "narratives", "clusters", "roles", "features")
STAGES += ("score", "tiers", "mcns", "report", "save")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stages")
    store, _ = load_sample(tmp, seed=0, scale=0.2)
    path = store.path
    store.close()
    return path


def _analyze(path: str, *more: str):
    args = ["analyze", "--store", path, "--event", E1, "--model", "rules", *more]
    return CliRunner().invoke(cli, args)


def _raise(exc: BaseException):
    def f(*args, **kwargs):
        raise exc

    return f


def test_running_out_of_memory_between_stages_is_one_line(small, monkeypatch):
    # corroborate runs after the roles stage (detect's last), outside any stage
    monkeypatch.setattr("pileon.detectors.pipeline.corroborate", _raise(MemoryError()))
    res = _analyze(small, "--no-progress")
    assert res.exit_code == 4
    assert res.output.splitlines() == [
        f"error: analyze {E1} ran out of memory after stage roles: free memory or run on "
        "a machine with more, or analyze a narrower event (fewer contents and reposts)"
    ]


def test_a_failure_inside_a_stage_names_it(small, monkeypatch):
    monkeypatch.setattr(
        "pileon.detectors.coordination.detect_coordinated", _raise(KeyError("account_id"))
    )
    res = _analyze(small, "--no-progress")
    assert res.exit_code == 4
    assert res.output.splitlines() == [
        f"error: analyze {E1} failed in stage clusters: KeyError: 'account_id' "
        "(a bug: please report it with the command that gave it)"
    ]
    # the library keeps the cause for those who want its traceback
    from pileon.graph.embedded import EmbeddedStore

    with EmbeddedStore(small) as store, pytest.raises(StageFailed) as info:
        analyze(store, E1, model=None, save=False)
    assert info.value.stage == "clusters" and isinstance(info.value.__cause__, KeyError)


def test_a_library_that_cannot_be_mapped_outside_the_stages_is_one_line(small, monkeypatch):
    # what the loader says when the address space is full, before the first stage
    err = ImportError("x.so: failed to map segment from shared object")
    monkeypatch.setattr("pileon.service.analysis.resolve_model", _raise(err))
    res = _analyze(small, "--no-progress")
    assert res.exit_code == 4
    assert res.output.splitlines() == [
        "error: pileon analyze ran out of memory: free memory or run on a machine with more, "
        "or give it less data at once"
    ]


CHILD = textwrap.dedent(
    """
    import resource, sys
    import pileon.cli, pileon.cli.cmd_analyze, pileon.service.analysis
    extra = int(sys.argv[1])
    vm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmSize:"))
    limit = vm * 1024 + extra * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.argv = ["pileon", *sys.argv[2:]]
    pileon.cli.main()
    """
)


def _analyze_limited(path: str, extra_mib: int, **kw) -> subprocess.CompletedProcess:
    """``pileon analyze`` in a child whose address space is limited to what its imports
    take plus ``extra_mib`` (:data:`CHILD`)."""
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(extra_mib), "analyze", "--store", path]
        + ["--event", E1, "--model", "rules", "--no-progress"],
        capture_output=True,
        text=True,
        **kw,
    )


@pytest.mark.parametrize("extra_mib", [2, 40])
def test_a_real_address_space_limit_gives_one_line_and_exit_4(small, extra_mib):
    """Under ``ulimit -v`` just above what the imports take: no traceback, one error
    line saying the run ran out of memory (in a stage or before the first)."""
    res = _analyze_limited(small, extra_mib, timeout=300)
    assert res.returncode == 4, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr[-2000:]
    assert "ran out of memory" in lines[0]


PROBE = textwrap.dedent(
    """
    import pileon.cli, pileon.cli.cmd_analyze, pileon.service.analysis
    def vm():
        return next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmSize:"))
    before = vm()
    import scipy.sparse.csgraph
    print((vm() - before) // 1024)
    """
)


@pytest.mark.parametrize("margin_mib", [-40, 8, 40, 120])
def test_blas_near_the_limit_is_one_line_not_a_hang(small, margin_mib):
    """scipy's OpenBLAS (sparse graph routines) allocates its threads' buffers when it is
    loaded and retries a failed allocation forever.  Under limits around what loading it
    takes (two BLAS threads), ``pileon analyze`` ends, in one line and exit 4 if it ran out,
    and never hangs: the library is loaded before the stages, or not at all when the
    limit leaves no room."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    room = max(2, int(probe.stdout.strip().splitlines()[-1]) + margin_mib)
    res = _analyze_limited(small, room, timeout=120, env=env)
    if res.returncode == 0:  # room enough for this small event
        assert res.stderr == "" and '"accounts"' in res.stdout
        return
    assert res.returncode == 4, res.stderr[-2000:]
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "ran out of memory" in lines[0], res.stderr[-2000:]


CRASH = textwrap.dedent(
    """
    import ctypes, os, signal, sys
    import pileon.cli, pileon.detectors.coordination
    how = sys.argv[1]
    def crash(*args, **kwargs):
        if how == "segv":
            ctypes.string_at(0)  # what native code does with an allocation it did not check
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's out-of-memory killer does
    pileon.detectors.coordination.detect_coordinated = crash
    sys.argv = ["pileon", *sys.argv[2:]]
    pileon.cli.main()
    """
)


@pytest.mark.parametrize(
    ("how", "says"), [("segv", "crashed in native code (SIGSEGV"), ("kill", "was killed (SIGKILL")]
)
def test_a_crash_in_native_code_or_a_kill_is_one_line_naming_the_stage(small, how, says):
    """Failures Python never sees (a segmentation fault in native code near a memory
    limit, the kernel's out-of-memory killer) still end in one line naming the stage,
    exit 4: the command runs in a child that its parent watches."""
    res = subprocess.run(
        [sys.executable, "-c", CRASH, how, "analyze", "--store", small, "--event", E1]
        + ["--model", "rules", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 4, res.stderr[-2000:]
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr[-2000:]
    assert lines[0].startswith(f"error: analyze {E1} in stage clusters {says}"), lines[0]
    assert "free memory" in lines[0] and res.stdout == ""


def test_progress_is_a_line_per_stage_when_stderr_is_not_a_terminal(small, tmp_path):
    out = tmp_path / "r.json"
    res = subprocess.run(
        [sys.executable, "-c", "from pileon.cli import main; main()"]
        + ["analyze", "--store", small, "--event", E1]
        + ["--model", "rules", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stderr.strip().splitlines()
    timed = [m for m in (re.fullmatch(rf"analyze {E1}: (\w+) \d+\.\d s", x) for x in lines) if m]
    assert [m.group(1) for m in timed] == list(STAGES)
    assert lines[-1].startswith(f"report of {E1}: ")
