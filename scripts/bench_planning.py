"""Benchmark of planning, search and the filtered lists on PostgreSQL (not a test; issue 16).

    .venv/bin/python scripts/bench_planning.py [--units 2000] [--visits 50000] [--runs 9]
        [--database-url postgresql+psycopg://…/bench_planning]

It drops and creates its own database (``bench_planning`` by default), migrates it, loads ``--units`` units and
``--visits`` visits (each with a lead reviewer and a finding; most final, some planned, a few serious deviations)
with plain INSERTs (set-up, not measured), runs ANALYZE, logs in as a coordinator and prints, per page, the SQL
statements of one request and the median time of ``--runs`` requests through the app (the WSGI stack, templates
included; no network).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "Rutinerna för nattlarmen följs inte",
    "Bra överlämning mellan arbetslagen",
    "Läkemedelslistorna var inte signerade",
    "Brandlarmet provas varje månad",
    "Personalen känner till rutinen för avvikelser",
]
PASSWORD = "bench-lösenord-2026!"  # noqa: S105  (a throwaway database of its own)


def recreate_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def load(db: Any, units: int, visits: int, rng: random.Random) -> tuple[str, str]:
    """Everything inserted directly; returns (a coordinator's e-mail, a case number)."""
    from sqlalchemy import insert

    from app.auth.models import Role, User, UserRole
    from app.auth.passwords import hash_password
    from app.core.input import fold
    from app.units.models import Unit, UnitKind
    from app.visits.models import (
        Finding,
        FindingKind,
        ReviewArea,
        Severity,
        TeamMember,
        Template,
        TemplateVersion,
        Visit,
        VisitStatus,
    )

    now = datetime.now(UTC)
    coordinator = uuid.uuid4()
    reviewers = [uuid.uuid4() for _ in range(20)]
    hashed = hash_password(PASSWORD)
    db.session.execute(
        insert(User),
        [{"id": coordinator, "email": "samordnare@bench.se", "name": "Sara Samordnare", "password_hash": hashed}]
        + [{"id": r, "email": f"granskare{n}@bench.se", "name": f"Granskare {n}"} for n, r in enumerate(reviewers)],
    )
    db.session.execute(
        insert(UserRole),
        [{"user_id": coordinator, "role": Role.coordinator}]
        + [{"user_id": r, "role": Role.reviewer} for r in reviewers],
    )
    template, version = uuid.uuid4(), uuid.uuid4()
    db.session.execute(insert(Template), [{"id": template, "name": "Äldreomsorg"}])
    db.session.execute(insert(TemplateVersion), [{"id": version, "template_id": template, "number": 1}])
    db.session.execute(
        insert(ReviewArea), [{"id": uuid.uuid4(), "version_id": version, "position": 1, "title": "Trygghet"}]
    )
    kinds = list(UnitKind)
    unit_ids = [uuid.uuid4() for _ in range(units)]
    db.session.execute(
        insert(Unit),
        [
            {
                "id": u,
                "name": f"Enhet {n:05d} Åby",
                "name_key": fold(f"Enhet {n:05d} Åby"),
                "kind": kinds[n % len(kinds)],
                "created_at": now,
                "updated_at": now,
            }
            for n, u in enumerate(unit_ids)
        ],
    )
    per_unit = max(1, visits // units)
    visit_rows, team_rows, finding_rows = [], [], []
    number = 0
    for u in unit_ids:
        for k in range(per_unit):
            number += 1
            planned = k == per_unit - 1 and rng.random() < 0.3
            day = (
                date.today() + timedelta(days=rng.randint(1, 60))
                if planned
                else date.today() - timedelta(days=30 + (per_unit - k) * 200 + rng.randint(0, 100))
            )
            vid = uuid.uuid4()
            visit_rows.append(
                {
                    "id": vid,
                    "case_number": f"TS-{day.year}-{number:06d}",
                    "unit_id": u,
                    "template_version_id": version,
                    "status": VisitStatus.planned if planned else VisitStatus.final,
                    "visit_date": day,
                    "aim": "Uppföljning av " + rng.choice(WORDS).lower(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            team_rows.append({"id": uuid.uuid4(), "visit_id": vid, "user_id": rng.choice(reviewers), "is_lead": True})
            serious = rng.random() < 0.05
            finding_rows.append(
                {
                    "id": uuid.uuid4(),
                    "visit_id": vid,
                    "kind": FindingKind.deviation if serious else FindingKind.strength,
                    "severity": Severity.serious if serious else None,
                    "text": rng.choice(WORDS) + f" (besök {number}).",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for table, rows in ((Visit, visit_rows), (TeamMember, team_rows), (Finding, finding_rows)):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(table), rows[start : start + 5000])
    db.session.commit()
    return "samordnare@bench.se", visit_rows[len(visit_rows) // 2]["case_number"]


def build(db: Any, units: int, visits: int) -> tuple[str, str]:
    """Migrate, load, store the plans and ANALYZE; returns (a coordinator's e-mail, a case number)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    upgrade()
    print(f"loading {units} units and {visits} visits …", flush=True)
    email, case_number = load(db, units, visits, random.Random(2026))
    # Loaded behind the app's back (plain INSERTs): store every unit's plan as `flask planning recalculate` does.
    from app.planning import services as planning

    started = time.perf_counter()
    planning.recalculate()
    db.session.commit()
    print(f"planning recalculated in {time.perf_counter() - started:.1f} s", flush=True)
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return email, case_number


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--visits", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_planning")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database a previous run built (no drop, no load): to compare two versions of the code",
    )
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(args.database_url)
    from sqlalchemy import event, text

    from app import create_app
    from app.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "REDIS_URL": None,
            "CELERY_EMBEDDED_BROKER": "memory://",
            "SMTP_HOST": None,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        if args.reuse:
            case_number = db.session.scalar(
                text("SELECT case_number FROM visits ORDER BY case_number OFFSET :n LIMIT 1"), {"n": args.visits // 2}
            )
            email = "samordnare@bench.se"
        else:
            email, case_number = build(db, args.units, args.visits)
        engine = db.engine
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""})
    urls = [
        "/planning",
        "/planning?unit_kind=elderly_care&trust_level=baseline",
        "/search?q=nattlarmen",
        "/search?q=läkemedelslistor",
        f"/search?q={case_number}",
        "/units",
        "/units?sort=next_due&dir=desc&unit_kind=school",
        "/units?format=csv",
        "/visits",
        "/visits?status=final&sort=unit&unit_q=enhet%200100",
        "/visits?page=1000",
    ]
    count = 0

    def counting(*_: Any) -> None:
        nonlocal count
        count += 1

    print(f"{'page':<60} {'statements':>10} {'median ms':>10}")
    for url in urls:
        event.listen(engine, "before_cursor_execute", counting)
        count = 0
        status = client.get(url).status_code
        statements = count
        event.remove(engine, "before_cursor_execute", counting)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{url:<60} {statements:>10} {statistics.median(times):>10.0f}  (HTTP {status})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
