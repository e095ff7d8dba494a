"""The embedded default of `make run`: web, Celery worker and beat together; Ctrl-C stops all of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = os.environ.get("PORT", "5000")


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from app.demo import DEMO_LOGINS, DEMO_PASSWORD

    env = {**os.environ, "TILLSYN_ENV": "development", "PUBLIC_BASE_URL": f"http://127.0.0.1:{PORT}"}
    (ROOT / "instance").mkdir(exist_ok=True)
    commands = {
        "web": [str(BIN / "flask"), "--app", "app", "run", "--host", "127.0.0.1", "--port", PORT, "--no-reload"],
        "worker+beat": [
            str(BIN / "celery"),
            "-A",
            "workers.celery_app",
            "worker",
            "--beat",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--schedule",
            str(ROOT / "instance" / "celerybeat-schedule"),
        ],
    }
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True) for name, cmd in commands.items()}  # noqa: S603
    print(f"\n  Lärande tillsyn runs at http://127.0.0.1:{PORT}/\n")
    print(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in DEMO_LOGINS:
        print(f"    {role:<14} {email}")
    print(
        f"  Mail is written to {ROOT / 'instance' / 'outbox'} and shown at /admin/outbox.\n  Ctrl-C stops everything.\n"
    )

    def stop(*_args: object) -> None:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
    try:
        while all(p.poll() is None for p in procs.values()):
            time.sleep(0.5)
        failed = [name for name, p in procs.items() if p.poll() not in (None, 0)]
        if failed:
            print(f"stopped because {', '.join(failed)} exited", file=sys.stderr)
        return 1 if failed else 0
    except KeyboardInterrupt:
        print("\nStopping…")
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
