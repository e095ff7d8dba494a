"""Benchmark of the main pages at two sizes on PostgreSQL (not a test; issue 17).

    .venv/bin/python scripts/bench_pages.py [--rounds 20] [--load-seconds 3] [--base-url postgresql+psycopg://…/]

It drops and creates two databases, ``bench_small`` and ``bench_large``, migrates them, loads the demo data
through the services and then adds, in bulk (multi-row ``INSERT … SELECT generate_series``):

  SMALL:     20 units,    200 visits
  LARGE:  2,000 units, 50,000 visits, ~390k findings, ~240k messages, ~72k follow-ups, ~215k reminders,
          ~1.4M audit events, 30k outbox e-mails, 10k unit members (people: :visits / 5, one unit each)

Then, for every main page of every role and the main API lists, it prints the SQL statements, the response size
and the median of ``--rounds`` requests at SMALL and at LARGE (interleaved: S, L, S, L …, in process through the
Flask test client), the LARGE/SMALL ratio, and the targets. Last, it serves LARGE with gunicorn (2 workers) on
a loopback port and drives a few pages and ``/healthz`` with 8 connections for ``--load-seconds`` each, and prints
requests/s; the server is stopped at the end. Figures depend on the machine and its load: read them as such.
"""

from __future__ import annotations

import argparse
import html
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {
    "SMALL": {"units": 20, "visits": 200},
    "LARGE": {"units": 2000, "visits": 50000},
}
TARGET_MS, TARGET_RATIO = 50.0, 1.5


def recreate_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def app_config(url: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench-pages",
        "REDIS_URL": None,
        "CELERY_EMBEDDED_BROKER": "memory://",
        "SMTP_HOST": None,
        "SESSION_COOKIE_SECURE": False,
        "DB_STATEMENT_TIMEOUT_SECONDS": 0,  # the bulk load and VACUUM take longer than a request may
    }


# Every statement takes the scale from :visits and :units; "B-" marks the bulk rows.
BULK = [
    # units, numbered after the demo's
    """INSERT INTO units (id, name, name_key, kind, contact_email, trust_level, created_at, updated_at)
       SELECT gen_random_uuid(), 'Enhet ' || lpad(g::text, 5, '0'), 'enhet ' || lpad(g::text, 5, '0'), 'school',
              NULL, 'baseline', now(), now()
       FROM generate_series(1, :units - (SELECT count(*) FROM units)) g""",
    # visits spread over every unit and every status
    """INSERT INTO visits (id, case_number, unit_id, template_version_id, purpose, status, visit_date, aim,
                           comment_deadline, sent_for_comment_at, created_at, updated_at)
       SELECT gen_random_uuid(), 'B-' || g, u.ids[1 + g % array_length(u.ids, 1)], t.id, 'planned',
              (ARRAY['planned','in_progress','draft','sent_for_comment','final','closed'])[1 + g % 6],
              current_date - (g % 900), 'Syfte med besöket ' || g, current_date + 14,
              CASE WHEN g % 6 >= 3 THEN now() - make_interval(mins => g) END,
              now() - make_interval(mins => g), now() - make_interval(mins => g)
       FROM generate_series(1, :visits) g,
            (SELECT array_agg(id ORDER BY name) AS ids FROM units) u,
            (SELECT id FROM template_versions ORDER BY created_at LIMIT 1) t""",
    """INSERT INTO visit_team_members (id, visit_id, user_id, is_lead)
       SELECT gen_random_uuid(), v.id, r.id, true FROM visits v,
              (SELECT id FROM users WHERE email = 'granskare@demo.tillsyn.se') r
       WHERE v.case_number LIKE 'B-%'""",
    # nine findings per visit that has begun
    """INSERT INTO findings (id, visit_id, review_area_id, kind, severity, text, created_at, updated_at)
       SELECT gen_random_uuid(), v.id, a.id, (ARRAY['strength','development','deviation'])[1 + f % 3],
              CASE WHEN f % 3 = 2 THEN 'minor' END, 'Iakttagelse ' || f || ' vid ' || v.case_number,
              v.created_at, v.created_at
       FROM visits v, generate_series(1, 9) f,
            (SELECT ra.id FROM review_areas ra JOIN template_versions tv ON tv.id = ra.version_id
             ORDER BY tv.created_at, ra.position LIMIT 1) a
       WHERE v.case_number LIKE 'B-%' AND v.status <> 'planned'""",
    # a conversation per visit that has begun, five messages each (every fifth an internal note)
    """INSERT INTO dialogue_threads (id, key, unit_id, visit_id, finding_id, created_at)
       SELECT gen_random_uuid(), 'visit:' || v.id, v.unit_id, v.id, NULL, v.created_at
       FROM visits v WHERE v.case_number LIKE 'B-%' AND v.status <> 'planned'""",
    """INSERT INTO dialogue_messages (id, thread_id, author_id, author_side, text, is_internal, created_at)
       SELECT gen_random_uuid(), t.id, r.id, 'supervisor', 'Meddelande ' || m, m = 5,
              t.created_at + make_interval(mins => m)
       FROM dialogue_threads t, generate_series(1, 5) m,
            (SELECT id FROM users WHERE email = 'granskare@demo.tillsyn.se') r
       WHERE t.key LIKE 'visit:%' AND t.finding_id IS NULL
         AND EXISTS (SELECT 1 FROM visits v WHERE v.id = t.visit_id AND v.case_number LIKE 'B-%')""",
    """INSERT INTO dialogue_threads (id, key, unit_id, visit_id, finding_id, created_at)
       SELECT DISTINCT ON (v.id) gen_random_uuid(), 'finding:' || f.id, v.unit_id, v.id, f.id, v.created_at
       FROM visits v JOIN findings f ON f.visit_id = v.id
       WHERE v.case_number LIKE 'B-%' AND v.status IN ('sent_for_comment', 'final', 'closed')
       ORDER BY v.id, f.id""",
    """INSERT INTO dialogue_messages (id, thread_id, author_id, author_side, text, is_internal, created_at)
       SELECT gen_random_uuid(), t.id, r.id, 'supervisor', 'Om iakttagelsen ' || m, false,
              t.created_at + make_interval(mins => 10 + m)
       FROM dialogue_threads t, generate_series(1, 2) m,
            (SELECT id FROM users WHERE email = 'granskare@demo.tillsyn.se') r
       WHERE t.finding_id IS NOT NULL
         AND EXISTS (SELECT 1 FROM visits v WHERE v.id = t.visit_id AND v.case_number LIKE 'B-%')""",
    """UPDATE dialogue_threads t SET
         last_message_at = (SELECT max(created_at) FROM dialogue_messages m WHERE m.thread_id = t.id),
         last_public_at = (SELECT max(created_at) FROM dialogue_messages m
                           WHERE m.thread_id = t.id AND NOT is_internal)""",
    # follow-ups: four per finished visit, three reminders each
    """INSERT INTO follow_ups (id, unit_id, visit_id, title, description, owner_id, reviewer_id, due_date, status,
                               proposed_by_side, created_at, updated_at)
       SELECT gen_random_uuid(), v.unit_id, v.id, 'Åtgärd ' || n || ' efter ' || v.case_number, 'Beskrivning',
              o.id, r.id, current_date + ((v.visit_date - current_date + 400) % 200) - 60,
              (ARRAY['agreed','done_reported','verified','proposed'])[1 + n % 4], 'supervisor', v.created_at,
              v.created_at
       FROM visits v, generate_series(1, 4) n,
            (SELECT id FROM users WHERE email = 'enhet@demo.tillsyn.se') o,
            (SELECT id FROM users WHERE email = 'granskare@demo.tillsyn.se') r
       WHERE v.case_number LIKE 'B-%' AND v.status IN ('final', 'closed')""",
    """INSERT INTO reminders (id, follow_up_id, kind, offset_days, due_date, send_on, send_after, status, attempts,
                              delivered_to, failed_to, created_at, updated_at)
       SELECT gen_random_uuid(), f.id,
              CASE WHEN o = 0 THEN 'follow_up_due' ELSE 'follow_up_before_' || o || 'd' END, -o, f.due_date,
              f.due_date - o,
              (f.due_date - o)::timestamptz, CASE WHEN f.due_date - o < current_date THEN 'sent' ELSE 'pending' END,
              0, '[]', '[]', f.created_at, f.created_at
       FROM follow_ups f, unnest(ARRAY[7, 1, 0]) o
       WHERE f.title LIKE 'Åtgärd % efter B-%'""",
    # the audit trail: 28 events per visit
    """INSERT INTO audit_events (id, occurred_at, actor_id, actor_label, action, object_type, object_id,
                                 parent_type, parent_id, unit_id, changes, via)
       SELECT gen_random_uuid(), v.created_at + make_interval(secs => e), NULL, 'bench', 'update', 'visit',
              v.id::text, NULL, NULL, v.unit_id, '{}', 'web'
       FROM visits v, generate_series(1, 28) e WHERE v.case_number LIKE 'B-%'""",
    # the outbox: 30k e-mails at LARGE
    """INSERT INTO outbox_emails (id, message_id, recipient, subject, text, html, source, status, attempts,
                                  created_at, sent_at)
       SELECT gen_random_uuid(), '<bench-' || g || '@bench.se>', 'person' || g || '@bench.se', 'Påminnelse ' || g,
              'Text', '<p>Text</p>', 'bench', 'sent', 1, now() - make_interval(mins => g), now()
       FROM generate_series(1, :visits * 3 / 5) g""",
]

# People: unit members, one unit each (every tenth deactivated), so /people is a long list at LARGE. Added after
# the unread counts are stored: a person without a stored count is counted at their first page view (the bench's
# members never log in), and counting 10,000 people's unread messages in bulk takes minutes.
PEOPLE = [
    """INSERT INTO users (id, email, name, name_key, is_active_account, created_at, updated_at)
       SELECT gen_random_uuid(), 'medlem' || g || '@bench.se',
              (ARRAY['Anna','Bo','Cecilia','David','Eva','Fredrik','Greta','Hugo'])[1 + g % 8] || ' Medlem '
              || lpad(g::text, 5, '0'),
              lower((ARRAY['Anna','Bo','Cecilia','David','Eva','Fredrik','Greta','Hugo'])[1 + g % 8]) || ' medlem '
              || lpad(g::text, 5, '0'),
              g % 10 <> 0, now(), now()
       FROM generate_series(1, :visits / 5) g""",
    """INSERT INTO user_roles (id, user_id, role)
       SELECT gen_random_uuid(), u.id, 'unit_member' FROM users u WHERE u.email LIKE 'medlem%@bench.se'""",
    """INSERT INTO unit_memberships (id, unit_id, user_id, created_at, updated_at)
       SELECT gen_random_uuid(), n.ids[1 + p.n % array_length(n.ids, 1)], p.id, now(), now()
       FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users WHERE email LIKE 'medlem%@bench.se') p,
            (SELECT array_agg(id ORDER BY name) AS ids FROM units) n""",
]


def build(url: str, size: dict[str, int]) -> Any:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app, demo
    from app.core import audit
    from app.dialogue import services as dialogue_services
    from app.extensions import db
    from app.followups import counts as followup_counts

    recreate_database(url)
    app = create_app(app_config(url))
    app.extensions["celery"].send_task = lambda *a, **k: None  # e-mails and tasks: not sent
    with app.app_context():
        upgrade()
        audit.set_audit_context(db.session(), audit.AuditContext(actor_id=None, actor_label="bench", via="cli"))
        demo.load()
        db.session.commit()
        for statement in BULK:
            db.session.execute(text("SET LOCAL statement_timeout = 0"))  # a bulk load, not a request
            db.session.execute(text(statement), size)
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))  # as autovacuum would: the next statement's plan needs it
        db.session.execute(text("SET LOCAL statement_timeout = 0"))
        dialogue_services.count_unread_for_everyone()
        followup_counts.recount()  # the bulk rows bypassed the session hooks that keep the start pages' counts
        db.session.commit()
        for statement in PEOPLE:
            db.session.execute(text("SET LOCAL statement_timeout = 0"))
            db.session.execute(text(statement), size)
            db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        counts = {
            table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608  (names above)
            for table in (
                "units",
                "visits",
                "findings",
                "dialogue_messages",
                "follow_ups",
                "reminders",
                "audit_events",
                "outbox_emails",
                "users",
            )
        }
    return app, counts


class Client:
    """A logged-in test client for one demo person, counting the SQL statements of each request."""

    def __init__(self, app: Any, email: str) -> None:
        from sqlalchemy import event, select

        from app.auth import services
        from app.auth.login import SESSION_KEY
        from app.auth.models import User
        from app.extensions import db

        self.app, self.statements = app, 0
        self.client = app.test_client()
        with app.app_context():
            person = db.session.scalar(select(User).where(User.email == email))
            raw = services.start_session(person, client_address="127.0.0.1")
            _token, self.api_token = services.create_api_token(actor=person, label="bench")
            db.session.commit()
            self.person_id = person.id
            event.listen(db.engine, "before_cursor_execute", self._count)
        with self.client.session_transaction() as session:
            session[SESSION_KEY] = raw

    def _count(self, *args: Any) -> None:
        self.statements += 1

    def get(self, path: str) -> tuple[float, int, int, int]:
        headers = {"Authorization": f"Bearer {self.api_token}"} if path.startswith("/api/") else {}
        self.statements = 0
        start = time.perf_counter()
        response = self.client.get(path, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        return elapsed, self.statements, len(response.data), response.status_code

    def cookie(self) -> str:
        name = self.app.config["SESSION_COOKIE_NAME"]
        cookie = self.client.get_cookie(name)
        return f"{name}={cookie.value}" if cookie else ""


ROLES = {
    "coordinator": "samordnare@demo.tillsyn.se",
    "reviewer": "granskare@demo.tillsyn.se",
    "unit member": "enhet@demo.tillsyn.se",
}


def pages(app: Any, role: str) -> list[str]:
    """The main pages of a role, with ids from this data set (a visit of the role's own, the newest)."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        unit = "Björkbackens äldreboende"
        visit = db.session.scalar(
            text(
                "SELECT v.id FROM visits v JOIN units u ON u.id = v.unit_id WHERE u.name = :u "
                "AND v.status IN ('sent_for_comment', 'final') ORDER BY v.created_at DESC LIMIT 1"
            ),
            {"u": unit},
        ) or db.session.scalar(text("SELECT id FROM visits ORDER BY created_at DESC LIMIT 1"))
        unit_id = db.session.scalar(text("SELECT id FROM units WHERE name = :u"), {"u": unit})
    common = ["/start", "/messages", f"/visits/{visit}", f"/visits/{visit}/messages", "/follow-ups"]
    if role == "unit member":
        return [*common, f"/units/{unit_id}/follow-ups", "/api/v1/threads", "/api/v1/follow-ups"]
    staff = [
        *common,
        "/visits",
        "/units",
        "/reminders",
        "/trust",
        f"/units/{unit_id}",
        "/api/v1/visits",
        "/api/v1/threads",
        "/api/v1/units",
    ]
    return [*staff, "/admin/outbox", *DEEP] if role == "coordinator" else staff


# The deep pages (issue 17): the last page of the long lists, reached as a person would, by the pager's
# "Sista sidan" link in the first page's HTML (an OFFSET pager's "Sida 1 av N": ?page=N); the API's by its total.
DEEP = ["/follow-ups?status=all#last", "/visits#last", "/people#last", "/api/v1/follow-ups#last"]
LAST_LINK = re.compile(r'<a href="([^"]+)"[^>]*>(?:Sista sidan|Last page)</a>')
PAGE_COUNT = re.compile(r"(?:Sida|Page) 1 (?:av|of) (\d+)")


def resolve(client: Client, path: str) -> str:
    """``path`` itself, or for ``…#last`` the URL of the list's last page as the first page links it (the API:
    ``?page=`` of its ``total`` / ``per_page``); a list with no way to its end answers its first page, marked."""
    if not path.endswith("#last"):
        return path
    first = path.removesuffix("#last")
    headers = {"Authorization": f"Bearer {client.api_token}"} if first.startswith("/api/") else {}
    response = client.client.get(first, headers=headers)
    joiner = "&" if "?" in first else "?"
    if first.startswith("/api/"):
        body = response.get_json()
        return f"{first}{joiner}page={max(1, -(-body['total'] // body['per_page']))}"
    text = response.get_data(as_text=True)
    if link := LAST_LINK.search(text):
        return html.unescape(link.group(1))
    if count := PAGE_COUNT.search(text):
        return f"{first}{joiner}page={count.group(1)}"
    return f"{first}{joiner}no-last-page-link=1"


def measure(apps: dict[str, Any], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for role, email in ROLES.items():
        clients = {name: Client(app, email) for name, app in apps.items()}
        paths = {name: pages(app, role) for name, app in apps.items()}
        for index, small_path in enumerate(paths["SMALL"]):
            chosen = {name: resolve(clients[name], paths[name][index]) for name in ("SMALL", "LARGE")}
            times: dict[str, list[float]] = {"SMALL": [], "LARGE": []}
            seen: dict[str, tuple[int, int, int]] = {}
            for name in ("SMALL", "LARGE"):
                clients[name].get(chosen[name])  # warm-up
            for _ in range(rounds):
                for name in ("SMALL", "LARGE"):
                    elapsed, statements, size, status = clients[name].get(chosen[name])
                    times[name].append(elapsed)
                    seen[name] = (statements, size, status)
            rows.append(
                {
                    "role": role,
                    "page": _label(small_path.replace("#last", " last page"))
                    + (" (no link to its last page: the first page)" if "no-last-page-link" in chosen["LARGE"] else ""),
                    "statements": (seen["SMALL"][0], seen["LARGE"][0]),
                    "kb": (seen["SMALL"][1] / 1024, seen["LARGE"][1] / 1024),
                    "status": (seen["SMALL"][2], seen["LARGE"][2]),
                    "ms": (statistics.median(times["SMALL"]), statistics.median(times["LARGE"])),
                }
            )
            print(_row(rows[-1]), flush=True)
    return rows


def _label(path: str) -> str:
    parts = ["<id>" if len(p) == 36 and p.count("-") == 4 else p for p in path.split("/")]
    return "/".join(parts) or "/"


def _row(row: dict[str, Any]) -> str:
    small, large = row["ms"]
    ratio = large / small if small else 0.0
    ok = (
        "ok"
        if large <= TARGET_MS and ratio <= TARGET_RATIO and row["statements"][0] == row["statements"][1]
        else "MISSED"
    )
    status = "" if row["status"] == (200, 200) else f" (HTTP {row['status'][0]}/{row['status'][1]})"
    return (
        f"| {row['role']} | `{row['page']}`{status} | {row['statements'][0]} → {row['statements'][1]} | "
        f"{row['kb'][0]:.0f} → {row['kb'][1]:.0f} | {small:.1f} → {large:.1f} | ×{ratio:.2f} | {ok} |"
    )


@contextmanager
def gunicorn(url: str, port: int):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-pages",
        "REDIS_URL": "",
        "SMTP_HOST": "",
        "SESSION_COOKIE_SECURE": "false",
    }
    process = subprocess.Popen(  # noqa: S603  (this interpreter, fixed arguments)
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def requests_per_second(port: int, path: str, cookie: str, seconds: float, connections: int = 8) -> tuple[float, int]:
    done, failures = [0], [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            try:
                connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
                response = connection.getresponse()
                response.read()
                with lock:
                    done[0] += 1
                    failures[0] += response.status != 200
            except (OSError, http.client.HTTPException):
                with lock:
                    failures[0] += 1
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.monotonic() - started), failures[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--load-seconds", type=float, default=3.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--large-units", type=int, default=SIZES["LARGE"]["units"])
    parser.add_argument("--large-visits", type=int, default=SIZES["LARGE"]["visits"])
    parser.add_argument("--db-prefix", default="bench_", help="database names: PREFIX small and PREFIX large")
    args = parser.parse_args()
    SIZES["LARGE"] = {"units": args.large_units, "visits": args.large_visits}

    apps, urls = {}, {}
    for name, size in SIZES.items():
        urls[name] = f"{args.base_url}{args.db_prefix}{name.lower()}"
        started = time.perf_counter()
        apps[name], counts = build(urls[name], size)
        print(
            f"built {name} in {time.perf_counter() - started:.0f} s: "
            + ", ".join(f"{table} {count:,}" for table, count in counts.items()),
            flush=True,
        )

    print(f"\nmedian of {args.rounds} requests each, SMALL and LARGE interleaved, in process (Flask test client)\n")
    print("| role | page | SQL statements S → L | KB S → L | median ms S → L | L/S | target |")
    print("|---|---|---|---|---|---|---|")
    rows = measure(apps, args.rounds)
    missed = [r for r in rows if _row(r).endswith("MISSED |")]
    print(
        f"\ntargets: every page ≤ {TARGET_MS:.0f} ms median at LARGE, LARGE/SMALL ≤ {TARGET_RATIO}, statements "
        f"unchanged: {len(rows) - len(missed)} of {len(rows)} pages meet them"
    )

    coordinator = Client(apps["LARGE"], ROLES["coordinator"])
    coordinator.get("/start")  # a logged-in response
    cookie = coordinator.cookie()
    print(f"\nunder load at LARGE: gunicorn, 2 workers, 8 loopback connections, {args.load_seconds:.0f} s per page\n")
    print("| page | requests/s | share of /healthz | failures |")
    print("|---|---|---|---|")
    with gunicorn(urls["LARGE"], args.port):
        healthz, failures = requests_per_second(args.port, "/healthz", "", args.load_seconds)
        print(f"| `/healthz` | {healthz:.0f} | 100 % | {failures} |", flush=True)
        for path in ("/start", "/messages", "/visits", "/reminders", "/trust"):
            rate, failures = requests_per_second(args.port, path, cookie, args.load_seconds)
            print(f"| `{path}` (coordinator) | {rate:.1f} | {100 * rate / healthz:.1f} % | {failures} |", flush=True)
    print("\ntarget: staff pages ≥ 5 % of /healthz's requests/s")


if __name__ == "__main__":
    main()
