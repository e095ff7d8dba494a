"""Benchmark of conditional trust on PostgreSQL (not a test): 2 000 units × 5 indicator boundaries × 36 monthly
readings, stored and evaluated through the service, then the full sweep, with SQL statements counted.

    .venv/bin/python scripts/bench_trust.py [--units 2000] [--database-url postgresql+psycopg://…/bench_trust]

It drops and creates its own database (``bench_trust`` by default), migrates it, and prints:
  * readings stored and evaluated per second through ``services.record_readings`` (a batch per unit: what a CSV
    import or an API batch does), and single readings per second (what a form or a one-reading API call does);
  * the full sweep's time (``services.evaluate_unit`` for every unit, one transaction each: what
    ``flask trust evaluate`` does; beat's sweep fans the same calls out to the workers);
  * SQL statements per evaluated unit, at 12 and at 36 months of readings: the same, because the evaluation reads
    only the k newest readings of each boundary through the (unit, indicator, period) index;
  * after one more month inserted as rows (facts the sweep must catch): the sweep unit by unit (every unit with a
    boundary in force, as before issue 17) against the sweep decided set-wise (``units_whose_verdict_may_change``:
    one ``LATERAL … LIMIT k`` statement over every boundary, then only the units that change), each from the same
    state and rolled back, in readings/s (readings in the database / seconds), with the ``LATERAL`` statement alone
    as the reference and whether both leave the same breaches. ``--sweep-only`` inserts the 36 months as rows
    instead of through the service and prints only this comparison.
Units, people and the agreed boundaries are inserted directly (set-up, not measured); after each bulk load the
script runs ANALYZE, as autovacuum would, so that the planner has statistics.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INDICATORS = [
    # key, comparator, threshold, k, mean and spread of the generated values (a few units cross a boundary)
    ("larm_inom_10_min", "<", 90.0, 3, 93.5, 3.0),
    ("fall_per_1000_vardygn", ">", 9.0, 2, 6.5, 2.0),
    ("personalomsattning", ">", 25.0, 3, 19.0, 4.0),
    ("hog_franvaro", ">", 18.0, 2, 13.0, 3.0),
    ("svarstid_epost", ">", 5.0, 3, 3.0, 1.2),
]


class StatementCounter:
    def __init__(self, engine: Any) -> None:
        self.engine, self.count = engine, 0

    def _count(self, *args: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self):  # type: ignore[no-untyped-def]
        from sqlalchemy import event

        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._count)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._count)


def recreate_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def months_before(today: date, count: int) -> list[str]:
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count, index)]


def set_up(db: Any, units: int) -> tuple[list[uuid.UUID], dict[str, Any]]:
    """Units with a member each, a reviewer and a coordinator, a template, the indicators, five agreed boundaries."""
    from app.auth.models import Role, User, UserRole
    from app.core import access
    from app.core.models import utcnow
    from app.trust import services
    from app.trust.models import Boundary, BoundaryKind, BoundaryVersion, Comparator, Side, VersionStatus
    from app.units.models import Membership, Unit, UnitKind
    from app.visits import services as visit_services

    now = utcnow()
    operator: Any = access.OPERATOR
    reviewer = User(id=uuid.uuid4(), email="granskare@bench.se", name="Bench Reviewer")
    reviewer.role_rows = [UserRole(role=Role.reviewer)]
    coordinator = User(id=uuid.uuid4(), email="samordnare@bench.se", name="Bench Coordinator")
    coordinator.role_rows = [UserRole(role=Role.coordinator)]
    db.session.add_all([reviewer, coordinator])
    visit_services.create_template(actor=operator, name="Äldreomsorg", areas="Trygghet\n- Hur?")
    indicators = {
        key: services.create_indicator(actor=operator, key=key, name_sv=key, name_en=key, unit_of_measure="%")
        for key, *_rest in INDICATORS
    }
    db.session.commit()
    unit_ids = [uuid.uuid4() for _ in range(units)]
    member_ids = [uuid.uuid4() for _ in range(units)]
    stamp = {"created_at": now, "updated_at": now}
    db.session.execute(
        Unit.__table__.insert(),
        [
            {
                "id": u,
                "name": f"Enhet {i:05d}",
                "name_key": f"enhet {i:05d}",
                "kind": UnitKind.elderly_care.name,
                "trust_level": "baseline",
                **stamp,
            }
            for i, u in enumerate(unit_ids)
        ],
    )
    db.session.execute(
        User.__table__.insert(),
        [
            {
                "id": m,
                "email": f"enhet{i:05d}@bench.se",
                "name": f"Medlem {i}",
                "name_key": f"medlem {i}",
                "is_active_account": True,
                **stamp,
            }
            for i, m in enumerate(member_ids)
        ],
    )
    db.session.execute(
        UserRole.__table__.insert(), [{"id": uuid.uuid4(), "user_id": m, "role": "unit_member"} for m in member_ids]
    )
    db.session.execute(
        Membership.__table__.insert(),
        [{"id": uuid.uuid4(), "unit_id": u, "user_id": m, **stamp} for u, m in zip(unit_ids, member_ids, strict=True)],
    )
    boundaries, versions = [], []
    for unit_id, member_id in zip(unit_ids, member_ids, strict=True):
        for key, comparator, threshold, k, _mean, _spread in INDICATORS:
            boundary_id = uuid.uuid4()
            boundaries.append(
                {
                    "id": boundary_id,
                    "unit_id": unit_id,
                    "kind": BoundaryKind.indicator.name,
                    "created_at": now,
                    "agreed_at": now,
                }
            )
            versions.append(
                {
                    "id": uuid.uuid4(),
                    "boundary_id": boundary_id,
                    "number": 1,
                    "status": VersionStatus.active.name,
                    "ends_boundary": False,
                    "indicator_id": indicators[key].id,
                    "comparator": Comparator(comparator).name,
                    "threshold": threshold,
                    "periods": k,
                    "rationale": "Benchmark.",
                    "proposed_by_id": reviewer.id,
                    "proposed_by_side": Side.supervisor.name,
                    "proposed_at": now,
                    "accepted_by_id": member_id,
                    "accepted_at": now,
                }
            )
    db.session.execute(Boundary.__table__.insert(), boundaries)
    db.session.execute(BoundaryVersion.__table__.insert(), versions)
    db.session.commit()
    return unit_ids, indicators


def readings_for(rng: random.Random, months: list[str]) -> list[Any]:
    from app.trust import services

    items = []
    for key, _comparator, _threshold, _k, mean, spread in INDICATORS:
        for month in months:
            items.append(services.ReadingInput(key, month, round(rng.gauss(mean, spread), 1)))
    return items


def store_all(app: Any, db: Any, unit_ids: list[uuid.UUID], months: list[str], rng: random.Random) -> dict[str, float]:
    from app.core import access
    from app.trust import services

    stored = breaches = 0
    started = time.perf_counter()
    for unit_id in unit_ids:
        result = services.record_readings(
            unit_id,
            readings_for(rng, months),
            actor=access.OPERATOR,
            source="cli",  # type: ignore[arg-type]
        )
        db.session.commit()
        stored += len(result.readings)
        breaches += len(result.breaches)
    elapsed = time.perf_counter() - started
    return {"readings": stored, "seconds": elapsed, "units": len(unit_ids), "breaches": breaches}


def single_readings(db: Any, unit_ids: list[uuid.UUID], months: list[str], rng: random.Random, count: int) -> float:
    """Corrections of one reading at a time (a form, a one-reading API call): store, evaluate, commit."""
    from app.core import access
    from app.trust import services

    started = time.perf_counter()
    for _ in range(count):
        key, _comparator, _threshold, _k, mean, spread = rng.choice(INDICATORS)
        services.record_readings(
            rng.choice(unit_ids),
            [services.ReadingInput(key, rng.choice(months[-6:]), round(rng.gauss(mean, spread), 1))],
            actor=access.OPERATOR,  # type: ignore[arg-type]
            source="api",
        )
        db.session.commit()
    return count / (time.perf_counter() - started)


def sweep(db: Any, counter: StatementCounter) -> dict[str, float]:
    """The full sweep, unit by unit, with the statements of each evaluation counted."""
    from app.trust import services

    started = time.perf_counter()
    unit_ids = services.units_to_evaluate()
    db.session.commit()
    per_unit: list[int] = []
    opened = 0
    for unit_id in unit_ids:
        with counter.counting():
            opened += len(services.evaluate_unit(unit_id))
        per_unit.append(counter.count)
        db.session.commit()
    return {
        "seconds": time.perf_counter() - started,
        "units": len(unit_ids),
        "opened": opened,
        "statements_mean": statistics.mean(per_unit),
        "statements_max": max(per_unit),
        "statements_min": min(per_unit),
    }


def next_month_as_rows(db: Any, unit_ids: list[uuid.UUID], month: str, rng: random.Random) -> int:
    """One more month of readings for every unit, inserted as rows (an import that bypassed the evaluation, or facts
    the sweep is there to catch): what the two sweeps below then have to find."""
    from app.trust.models import Indicator, Reading

    ids = {i.key: i.id for i in db.session.query(Indicator).all()}
    rows = [
        {
            "id": uuid.uuid4(),
            "unit_id": unit_id,
            "indicator_id": ids[key],
            "period": month,
            "value": round(rng.gauss(mean, spread), 1),
            "source": "cli",
        }
        for unit_id in unit_ids
        for key, _comparator, _threshold, _k, mean, spread in INDICATORS
    ]
    db.session.execute(Reading.__table__.insert(), rows)
    db.session.commit()
    return len(rows)


def breach_state(db: Any) -> set[tuple[str, str, tuple[str, ...], bool, bool]]:
    from sqlalchemy import select

    from app.trust.models import Breach

    db.session.flush()
    return {
        (str(u), str(v), tuple(k), c is None, cl is not None)
        for u, v, k, c, cl in db.session.execute(
            select(
                Breach.unit_id,
                Breach.boundary_version_id,
                Breach.trigger_keys,
                Breach.closed_at,
                Breach.condition_cleared_at,
            )
        )
    }


def compare_sweeps(db: Any, counter: StatementCounter) -> dict[str, Any]:
    """The sweep unit by unit (every unit with a boundary in force, as before issue 17) against the sweep decided
    set-wise (``units_whose_verdict_may_change``, then only those units), each from the same state in one
    transaction that is rolled back; and the ``LATERAL … LIMIT k`` statement alone, the reference."""
    from sqlalchemy import func, select

    from app.trust import services
    from app.trust.models import Reading

    readings = db.session.scalar(select(func.count()).select_from(Reading))
    db.session.commit()
    result: dict[str, Any] = {"readings": readings}
    for mode in ("unit by unit", "set-wise"):
        started = time.perf_counter()
        with counter.counting():
            chosen = (
                services.units_to_evaluate() if mode == "unit by unit" else services.units_whose_verdict_may_change()
            )
            decided = time.perf_counter() - started
            opened = sum(len(services.evaluate_unit(unit_id)) for unit_id in chosen)
        elapsed = time.perf_counter() - started
        result[mode] = {
            "seconds": elapsed,
            "decided": decided,
            "units": len(chosen),
            "opened": opened,
            "statements": counter.count,
            "state": breach_state(db),
        }
        db.session.rollback()
    started = time.perf_counter()
    crossed = services.crossed_indicator_boundaries()
    result["lateral"] = {"seconds": time.perf_counter() - started, "crossed": len(crossed)}
    db.session.rollback()
    result["task"] = beat_task(db, counter)
    return result


def beat_task(db: Any, counter: StatementCounter) -> dict[str, Any]:
    """Beat's hourly task as production runs it (``workers/trust.py`` ``sweep``): choose the units set-wise and hand
    one ``trust.evaluate_unit`` task per chosen unit to the workers (captured here, not run), then each of those
    evaluations as a worker runs it (one transaction each, rolled back here so the state stays the same)."""
    from unittest import mock

    from workers import trust as trust_tasks

    handed: list[str] = []
    with mock.patch.object(trust_tasks.evaluate_unit, "delay", side_effect=handed.append), counter.counting():
        started = time.perf_counter()
        trust_tasks.sweep()
        seconds = time.perf_counter() - started
        statements = counter.count
    per_unit: list[float] = []
    from app.trust import services

    for unit_id in handed:
        started = time.perf_counter()
        services.evaluate_unit(uuid.UUID(unit_id))
        db.session.flush()
        per_unit.append(time.perf_counter() - started)
        db.session.rollback()
    return {"seconds": seconds, "statements": statements, "handed": len(handed), "per_unit": per_unit}


def analyze(db: Any) -> None:
    """What autovacuum does in production after a bulk load: fresh planner statistics."""
    from sqlalchemy import text

    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/bench_trust")
    parser.add_argument("--singles", type=int, default=1000, help="single-reading corrections to time")
    parser.add_argument(
        "--sweep-only",
        action="store_true",
        help="insert the 36 months as rows (no service, no evaluation) and compare only the two sweeps",
    )
    args = parser.parse_args()

    recreate_database(args.database_url)
    from flask_migrate import upgrade

    from app import create_app
    from app.core import audit
    from app.core.models import local_today
    from app.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "REDIS_URL": None,
            "CELERY_EMBEDDED_BROKER": "memory://",
            "SMTP_HOST": None,
        }
    )
    queued: list[str] = []
    app.extensions["celery"].send_task = lambda name, *a, **k: queued.append(name)  # e-mails: counted, not sent
    rng = random.Random(2026)
    with app.app_context():
        upgrade()
        audit.set_audit_context(db.session(), audit.AuditContext(actor_id=None, actor_label="bench", via="cli"))
        counter = StatementCounter(db.engine)
        print(f"setting up {args.units} units × {len(INDICATORS)} agreed boundaries …", flush=True)
        unit_ids, _indicators = set_up(db, args.units)
        analyze(db)
        months = months_before(local_today(), 36)
        if args.sweep_only:
            print("inserting 36 months of readings as rows …", flush=True)
            for month in months:
                next_month_as_rows(db, unit_ids, month, rng)
            next_month_as_rows(db, unit_ids, f"{local_today():%Y-%m}", rng)
            analyze(db)
            report_sweeps(compare_sweeps(db, counter))
            return 0

        print("storing the first 12 months of readings through the service …", flush=True)
        first = store_all(app, db, unit_ids, months[:12], rng)
        analyze(db)
        small = sweep(db, counter)
        print("storing the other 24 months of readings through the service …", flush=True)
        second = store_all(app, db, unit_ids, months[12:], rng)
        analyze(db)
        large = sweep(db, counter)
        print("one more month as rows, then the sweep unit by unit against the sweep decided set-wise …", flush=True)
        next_month_as_rows(db, unit_ids, f"{local_today():%Y-%m}", rng)
        analyze(db)
        compared = compare_sweeps(db, counter)
        print(f"timing {args.singles} single readings (corrections) …", flush=True)
        singles = single_readings(db, unit_ids, months, rng, args.singles)
        totals = {k: first[k] + second[k] for k in ("readings", "seconds", "breaches")}

    print()
    print(f"units: {args.units}; boundaries: {args.units * len(INDICATORS)}; readings: {int(totals['readings'])}")
    print(
        f"batch (one call per unit, {len(INDICATORS)} indicators × 12 then × 24 months): "
        f"{totals['readings'] / totals['seconds']:.0f} readings stored and evaluated per second "
        f"({2 * args.units / totals['seconds']:.1f} unit batches/s); {int(totals['breaches'])} breaches opened"
    )
    print(f"single readings (store, evaluate, commit each): {singles:.0f} per second")
    for label, result in (("12 months", small), ("36 months", large)):
        print(
            f"full sweep at {label} of readings: {result['seconds']:.1f} s for {int(result['units'])} units "
            f"({result['units'] / result['seconds']:.0f} units/s), {int(result['opened'])} new breaches; "
            f"SQL statements per evaluated unit: mean {result['statements_mean']:.2f}, "
            f"min {int(result['statements_min'])}, max {int(result['statements_max'])}"
        )
    print(f"e-mails queued for delivery: {queued.count('mail.deliver')}")
    report_sweeps(compared)
    return 0


def report_sweeps(compared: dict[str, Any]) -> None:
    total = compared["readings"]
    print(f"\nthe sweep after one more month of readings stored as rows ({total} readings in all):")
    for mode in ("unit by unit", "set-wise"):
        r = compared[mode]
        print(
            f"  {mode}: {r['seconds']:.2f} s, {total / r['seconds']:.0f} readings/s, {r['units']} units evaluated, "
            f"{r['opened']} breaches opened, {r['statements']} SQL statements "
            f"(choosing the units: {r['decided']:.2f} s)"
        )
    lateral = compared["lateral"]
    print(
        f"  the LATERAL … LIMIT k statement alone: {lateral['seconds']:.2f} s, "
        f"{total / lateral['seconds']:.0f} readings/s, {lateral['crossed']} boundaries crossed now"
    )
    same = compared["unit by unit"]["state"] == compared["set-wise"]["state"]
    share = 100 * lateral["seconds"] / compared["set-wise"]["seconds"]
    choosing = 100 * lateral["seconds"] / compared["set-wise"]["decided"]
    print(
        f"  same breaches afterwards: {'yes' if same else 'NO'}; the set-wise sweep in one process at {share:.0f} % of "
        f"the LATERAL statement's readings/s, its choice of units alone at {choosing:.0f} %"
    )
    task = compared["task"]
    per_unit = sorted(task["per_unit"]) or [0.0]
    print(
        f"  beat's hourly task (workers/trust.py: choose set-wise, hand {task['handed']} evaluations to the workers): "
        f"{task['seconds']:.2f} s, {task['statements']} SQL statements, {total / task['seconds']:.0f} readings/s = "
        f"{100 * lateral['seconds'] / task['seconds']:.0f} % of the LATERAL statement's (target ≥ 25 %); each handed "
        f"evaluation on a worker (it opens the breach and its consequences: closer review, a visit, e-mails): median "
        f"{1000 * statistics.median(per_unit):.0f} ms, max {1000 * per_unit[-1]:.0f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
