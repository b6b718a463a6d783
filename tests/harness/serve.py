"""`spinebot serve` as a real process on a port, for crash and shutdown tests and benches.

The process gets its own session (process group), so a test can kill it alone
(``signal``) or with its answer processes, like a container dying (``kill_group``).
``descendants`` lists the processes it started, read from /proc.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.harness.fixtures import BOT_TOKEN, SIGNING_SECRET
from tests.harness.signing import Response, http_request

SPINEBOT = Path(sys.executable).with_name("spinebot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_index(data_dir: Path) -> None:
    """Index the bundled corpus into ``data_dir`` once (copy it for each process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["SPINEBOT_DATA_DIR"] = str(data_dir)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(SPINEBOT), "ingest"], env=env, check=True, capture_output=True, cwd=data_dir.parent
    )


class ServeProcess:
    def __init__(
        self, workdir: Path, slack_api_url: str, *, index: Path | None = None, **settings: str
    ) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        if index is not None and not self.data_dir.exists():
            shutil.copytree(index, self.data_dir, ignore=shutil.ignore_patterns("*.db*"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        self.env.update(
            SPINEBOT_DATA_DIR=str(self.data_dir),
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack_api_url,
            LOG_LEVEL="INFO",
        )
        self.env.update({k.upper(): v for k, v in settings.items()})
        self.log_path = workdir / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> ServeProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(SPINEBOT), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.health().status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not become healthy:\n{self.log()}")
            time.sleep(0.2)

    def health(self) -> Response:
        return http_request(self.base + "/healthz", timeout=5)

    def health_json(self) -> dict[str, Any]:
        return self.health().json()  # type: ignore[no-any-return]

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def descendants(self) -> list[int]:
        """Every live process started by serve (children, grandchildren...)."""
        found: list[int] = []
        todo = [self.pid]
        while todo:
            pid = todo.pop()
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    kids = (task / "children").read_text().split()
                except OSError:
                    continue
                for kid in kids:
                    found.append(int(kid))
                    todo.append(int(kid))
        return found

    def session_processes(self) -> list[int]:
        """Every live process of serve's session (what would be orphaned)."""
        sid = self.pid
        alive = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":  # session id, not a zombie
                alive.append(int(entry.name))
        return alive

    def signal(self, signum: int) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float = 60) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def kill_group(self) -> None:
        """SIGKILL serve and everything it started, as when a container is killed."""
        with_group = self.pid
        os.killpg(with_group, signal.SIGKILL)
        self.wait(30)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # anything left over
        if self.process.poll() is None:
            self.process.wait(timeout=10)
