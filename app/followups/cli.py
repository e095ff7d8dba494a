"""``flask --app app reminders sweep``: the reminder sweep once, now (what beat runs every minute)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.core.cli import as_operator

reminders_cli = AppGroup("reminders", help="E-mail reminders of follow-ups and comment deadlines.")


@reminders_cli.command("sweep")
@as_operator
def sweep() -> None:
    """Claim the reminders that are due and queue them for sending; prints what it did."""
    from app.followups import reminders

    result = reminders.sweep()
    if not result.ran:
        click.echo("another sweep is running; nothing done")
        return
    click.echo(
        f"claimed {result.claimed} (recovered {result.recovered}), skipped {result.skipped}, "
        f"no longer needed {result.obsolete}"
    )


followups_cli = AppGroup("followups", help="Follow-ups: the kept counts of the start pages.")


@followups_cli.command("recount")
def recount() -> None:
    """Count every person's open follow-ups afresh into their kept counts (once after upgrading to the kept
    counts, and after a bulk import or restore that bypassed the app)."""
    from app.extensions import db
    from app.followups import counts

    counts.recount()
    db.session.commit()
    click.echo("follow-up counts stored")
