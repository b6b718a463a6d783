"""`spinebot worker` stops cleanly on the signals a platform sends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_stops_on_sigterm_and_sigint_with_exit_code_zero(tmp_path, signum) -> None:  # type: ignore[no-untyped-def]
    exe = Path(sys.executable).with_name("spinebot")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SPINEBOT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen(
        [str(exe), "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert "scheduler runs these jobs" in proc.stdout.readline()  # type: ignore[union-attr]
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Spinebot worker stopped." in out
