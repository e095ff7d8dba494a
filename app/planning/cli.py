"""``flask --app app planning recalculate``: store every unit's plan afresh (DESIGN.md 4.7), after the settings
``VISIT_INTERVAL_MONTHS``, ``EARNED_INTERVAL_MONTHS`` or ``CLOSER_REVIEW_INTERVAL_MONTHS`` changed or after units
or visits were loaded behind the app's back (a bulk import in SQL)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.core.cli import as_operator

planning_cli = AppGroup("planning", help="Planning of visits: the intervals trust earns (DESIGN.md 4.7).")


@planning_cli.command("recalculate")
@as_operator
def recalculate() -> None:
    """Recalculate and store the interval, its reason and the next visit due of every unit; one transaction."""
    from app.planning import services

    count = services.recalculate()
    click.echo(f"planning recalculated for {count} units")
