"""The real-process harness of the fault tests (tests/core/test_mail_faults.py, tests/followups/test_faults.py): an
SMTP server (aiosmtpd) in this process, Celery worker processes started here on a queue of their own, and the
environment those workers run with. The modules keep their own inboxes and scenarios; what they share is here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, TEST_DB, TEST_REDIS_URL, require_service

ROOT = Path(__file__).resolve().parents[1]


def require_fault_services() -> str:
    """The Redis URL of the fault tests; skips outside the PostgreSQL pass, and fails there in CI (never skipped)."""
    if TEST_DB != "postgres":
        if IN_CI:
            pytest.fail("the fault tests run in the PostgreSQL pass (TEST_DB=postgres)")
        pytest.skip("the fault tests need TEST_DB=postgres with TEST_DATABASE_URL and TEST_REDIS_URL")
    return require_service(TEST_REDIS_URL, "TEST_REDIS_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpServer:
    """aiosmtpd on a free loopback port, handing every message to ``inbox`` (an aiosmtpd handler); it can be
    stopped and started again (the server "down")."""

    def __init__(self, inbox: Any) -> None:
        self.port = free_port()
        self.inbox = inbox
        self.controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def worker_env(
    *, database_url: str, redis_url: str, smtp_port: int, queue: str, instance: Path, **settings: Any
) -> dict[str, str]:
    """The environment of a worker process: production settings against the test database, Redis and SMTP server,
    reading ``queue``; ``settings`` are further configuration keys (short leases and back-offs)."""
    return {
        **os.environ,
        "TILLSYN_ENV": "production",
        "SECRET_KEY": "faults",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "0",
        "PUBLIC_BASE_URL": "http://localhost",
        "CELERY_QUEUE": queue,
        "INSTANCE_PATH": str(instance),
        **{key: str(value) for key, value in settings.items()},
    }


@dataclass
class Workers:
    """Celery worker processes (``--pool=solo``) reading ``queue``, each with its log file under ``logs``."""

    env: dict[str, str]
    logs: Path
    queue: str
    name: str = "faults"
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)
    started: int = 0

    def start(self, *, wait: bool = True) -> subprocess.Popen[bytes]:
        self.started += 1
        log = self.logs / f"worker-{self.started}.log"
        with log.open("wb") as output:  # the worker keeps its own copy of the file
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workers.celery_app",
                    "worker",
                    "--pool=solo",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{self.name}{self.started}-{os.getpid()}@%h",
                    "--loglevel=INFO",
                    "--without-heartbeat",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log = log  # type: ignore[attr-defined]
        self.running.append(process)
        if wait:
            self.wait_ready(process)
        return process

    def wait_ready(self, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        log: Path = process.log  # type: ignore[attr-defined]
        while time.monotonic() < deadline:
            if "ready." in log.read_text(errors="replace"):
                return
            if process.poll() is not None:
                pytest.fail(f"a worker stopped at start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        pytest.fail(f"a worker did not start in {seconds} s:\n{log.read_text(errors='replace')[-3000:]}")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL, no warning: the process and anything it started, mid-whatever."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self.running.remove(process)

    def stop_all(self) -> None:
        for process in list(self.running):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in list(self.running):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.running.clear()

    def tail(self) -> str:
        return "\n".join(
            p.log.read_text(errors="replace")[-1500:]  # type: ignore[attr-defined]
            for p in self.running
        )
