"""`make run` (scripts/run) never leaves a second qcluster beside the workers of an earlier one."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SLEEP = "import time; time.sleep(120)"


def qcluster_like(reap: bool = True, **popen) -> subprocess.Popen:
    """A process whose command line reads like the qcluster's (`manage.py qcluster`)."""
    process = subprocess.Popen([sys.executable, "-c", SLEEP, "manage.py", "qcluster"], **popen)
    if reap:  # as soon as it ends, so that a stopped process does not linger as a zombie
        threading.Thread(target=process.wait, daemon=True).start()
    return process


def stop_stale_cluster(var_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", "source scripts/run && stop_stale_cluster"],
        cwd=ROOT,
        env={**os.environ, "VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("master_reaped", [True, False], ids=["master-reaped", "master-a-zombie"])
def test_start_stops_the_workers_a_killed_master_left(tmp_path, master_reaped):
    # A group of its own as scripts/run makes (there with setsid), the workers in it: a master's
    # forks. Made by this process, they are its children, reaped as soon as they end. A dead
    # master can stay a zombie (a container's init that reaps nothing): dead all the same.
    master = qcluster_like(reap=master_reaped, process_group=0)
    workers = [qcluster_like(process_group=master.pid) for _ in range(2)]
    (tmp_path / "qcluster.pgid").write_text(f"{master.pid}\n")
    master.send_signal(signal.SIGKILL)  # what `kill -9 <master>` does: the workers go on
    if master_reaped:
        master.wait(timeout=10)
    else:
        os.waitid(os.P_PID, master.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped
    assert all(worker.poll() is None for worker in workers)

    try:
        result = stop_stale_cluster(tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Stopping qcluster workers left by an earlier run" in result.stderr
        assert [worker.wait(timeout=10) for worker in workers] == [-signal.SIGTERM, -signal.SIGTERM]
        assert not (tmp_path / "qcluster.pgid").exists()
    finally:
        for process in [master, *workers]:
            process.kill()
            process.wait(timeout=10)


def test_start_refuses_while_the_other_runs_master_is_alive(tmp_path):
    master = qcluster_like(process_group=0)
    try:
        (tmp_path / "qcluster.pgid").write_text(f"{master.pid}\n")
        result = stop_stale_cluster(tmp_path)
        assert result.returncode == 1
        assert f"A qcluster (pid {master.pid}) from another 'make run' is still running" in result.stderr
        assert master.poll() is None
    finally:
        master.kill()


def test_start_forgets_a_cluster_that_ended_cleanly(tmp_path):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (tmp_path / "qcluster.pgid").write_text(ended.stdout)
    result = stop_stale_cluster(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert not (tmp_path / "qcluster.pgid").exists()
