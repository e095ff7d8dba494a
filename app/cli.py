"""The command line of API.md: ``flask --app app units create``, ``users create``, ``tokens create``, ``demo-data``.

Each command runs as the operator (audit trail: "cli"), commits once, exits 0 on success and prints a
one-line error (exit 1) otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.core import access
from app.core.cli import as_operator
from app.extensions import db

# The name other modules used before the decorator moved to the kernel (app.core.cli.as_operator).
_as_operator = as_operator


units_cli = AppGroup("units", help="Reviewed units.")
users_cli = AppGroup("users", help="People and their roles.")
tokens_cli = AppGroup("tokens", help="Personal API tokens.")


@units_cli.command("create")
@click.argument("name")
@click.option("--kind", default="other", show_default=True, help="school, preschool, elderly_care, …")
@click.option("--email", "contact_email", default=None, help="The unit's contact e-mail.")
@as_operator
def units_create(name: str, kind: str, contact_email: str | None) -> None:
    """Create a unit; prints its id."""
    from app.units import services

    unit = services.create_unit(actor=access.OPERATOR, name=name, kind=kind, contact_email=contact_email)  # type: ignore[arg-type]
    db.session.flush()
    click.echo(str(unit.id))


def _read_import(file: str) -> str:
    """An import file's text, checked as the coordinators' upload checks it (``app.core.input.clean_csv``:
    UTF-8 or Windows-1252, no control characters such as NUL); ``InvalidInput`` naming the lines otherwise."""
    from app.core import input as input_layer

    with open(file, "rb") as handle:
        return input_layer.clean_csv(handle.read()).decode("utf-8")


@units_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; change nothing.")
@as_operator
def units_import(file: str, dry_run: bool) -> None:
    """Create or update units from a CSV file (name,kind,email,address,organisation_number,owner): all or
    nothing, every bad line named."""
    from app.units import services

    def run(text: str) -> Any:
        return services.import_units(actor=access.OPERATOR, text=text, dry_run=dry_run)  # type: ignore[arg-type]

    _run_import(file, dry_run, run, "units {verb} created, {updated} {verb} updated.")


def _run_import(file: str, dry_run: bool, run: Callable[[str], Any], summary: str) -> None:
    """Read FILE as the upload pages do, run the import service on its text, print every refused line (and fail:
    nothing was imported) or the summary (``summary`` with ``{verb}`` and ``{updated}``) and the names (+ new,
    ~ changed). A dry run rolls back whatever the service did."""
    from app.core.errors import InvalidInput

    try:
        report = run(_read_import(file))
    except InvalidInput as exc:
        for messages in exc.errors.values():
            for message in messages:
                click.echo(message, err=True)
        raise click.ClickException("nothing was imported") from None
    if dry_run:
        db.session.rollback()
    verb = "would be" if dry_run else "were"
    click.echo(f"{len(report.created)} " + summary.format(verb=verb, updated=len(report.updated)))
    for name in report.created:
        click.echo(f"+ {name}")
    for name in report.updated:
        click.echo(f"~ {name}")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--role", "roles", multiple=True, required=True, help="coordinator, reviewer or unit_member (repeatable)."
)
@click.option("--unit", "units", multiple=True, help="A unit's name or id (repeatable).")
@click.option("--password", default=None, help="Set this password instead of printing a set-password link.")
@click.option("--language", default=None, type=click.Choice(["sv", "en"]))
@as_operator
def users_create(
    email: str, name: str, roles: tuple[str, ...], units: tuple[str, ...], password: str | None, language: str | None
) -> None:
    """Create a person; without --password prints a one-time set-password link (also e-mailed)."""
    from app.auth import services
    from app.units.services import find_unit

    unit_ids = []
    for ref in units:
        unit = find_unit(ref)
        if unit is None:
            raise click.ClickException(f"unit: no unit named or with id {ref!r}")
        unit_ids.append(unit.id)
    person = services.create_user(
        actor=access.OPERATOR,
        email=email,
        name=name,
        roles=roles,
        unit_ids=unit_ids,
        language=language,
        password=password,
    )
    click.echo(str(person.id))
    if password is None:
        click.echo(services.issue_set_password_link(person.id))


@users_cli.command("add-unit")
@click.argument("email")
@click.option("--unit", "units", multiple=True, required=True, help="A unit's name or id (repeatable).")
@as_operator
def users_add_unit(email: str, units: tuple[str, ...]) -> None:
    """Make a person a member of more units (refused, naming the visits, where they review an open visit: jäv)."""
    from app.auth import services
    from app.auth.models import User
    from app.units.services import find_unit

    person = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if person is None:
        raise click.ClickException(f"email: no person with the address {email!r}")
    unit_ids = list(person.unit_ids)
    for ref in units:
        unit = find_unit(ref)
        if unit is None:
            raise click.ClickException(f"unit: no unit named or with id {ref!r}")
        unit_ids.append(unit.id)
    roles = {role.value for role in person.roles} | {"unit_member"}
    services.update_user(
        person.id,
        actor=access.OPERATOR,  # type: ignore[arg-type]
        email=person.email,
        name=person.name,
        roles=sorted(roles),
        unit_ids=unit_ids,
        language=person.language,
    )
    click.echo(f"{person.email}: member of {len(set(unit_ids))} unit(s)")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; change nothing.")
@as_operator
def users_import(file: str, dry_run: bool) -> None:
    """Create people from a CSV file (email,name,role,units; several roles or units separated by |): all or
    nothing, every bad line named; new people are e-mailed a set-password link."""
    from app.auth import services

    def run(text: str) -> Any:
        return services.import_people(actor=access.OPERATOR, text=text, dry_run=dry_run)

    _run_import(file, dry_run, run, "people {verb} created, {updated} {verb} given more units or roles.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--label", default="CLI", show_default=True)
@as_operator
def tokens_create(email: str, label: str) -> None:
    """Create an API token for a person; prints the token alone on the last line."""
    from app.auth import services
    from app.auth.models import User

    person = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if person is None or not person.is_active_account:
        raise click.ClickException(f"email: no active person with the address {email!r}")
    token, raw = services.create_api_token(actor=person, label=label)
    click.echo(f"token {token.prefix}… for {person.email} ({token.label})")
    click.echo(raw)


@click.command("demo-data")
@as_operator
def demo_data() -> None:
    """Load the demo data set (idempotent: running it twice changes nothing)."""
    from app import demo

    created = demo.load()
    click.echo(f"demo data: {created} new objects" if created else "demo data: already loaded, nothing changed")


mail_cli = AppGroup("mail", help="The e-mail outbox.")


@mail_cli.command("sweep")
def mail_sweep() -> None:
    """Send again, now, what the outbox holds whose task was lost (what beat runs every minute)."""
    from app.core import mail

    count = mail.sweep()
    db.session.commit()
    click.echo(f"queued {count} e-mails for sending")


audit_cli = AppGroup("audit", help="The audit trail's hash chain.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain from its start; exit 1 naming what was changed, removed or slipped in."""
    from app.core import audit_chain

    result = audit_chain.verify(db.session())
    db.session.rollback()
    if not result.ok:
        raise click.ClickException(f"audit trail: {len(result.problems)} problems: " + "; ".join(result.problems[:20]))
    click.echo(f"audit trail: {result.checked} events, chain intact")


@audit_cli.command("seal")
@as_operator
def audit_seal() -> None:
    """Link the events not in the chain yet (those written before migration 0010): run once after upgrading."""
    from app.core import audit_chain

    click.echo(f"audit trail: {audit_chain.seal(db.session())} events linked")


database_cli = AppGroup("database", help="The PostgreSQL roles the application runs as.")


@database_cli.command("grant-app")
@click.argument("role")
def database_grant_app(role: str) -> None:
    """Run as the tables' owner (the role that migrates): give ROLE what the application needs to serve and nothing
    more (rows only: no TRUNCATE, no ownership). Run it after every ``flask db upgrade``; it is idempotent."""
    from app.core.database_roles import AppRoleError, grant_app_role

    try:
        with db.engine.begin() as connection:
            granted = grant_app_role(connection, role)
    except AppRoleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{role}: may read and write the rows of schema {granted.schema}, owns nothing")


messages_cli = AppGroup("messages", help="Conversations.")


@messages_cli.command("count-unread")
def messages_count_unread() -> None:
    """Store every person's unread-message count afresh (after upgrading to the stored counts, or a bulk import)."""
    from app.dialogue import services

    services.count_unread_for_everyone()
    db.session.commit()
    click.echo("unread counts stored")


def init_app(app: Flask) -> None:
    from app.followups.cli import followups_cli, reminders_cli
    from app.planning.cli import planning_cli
    from app.trust.cli import readings_cli, trust_cli

    commands = (
        units_cli,
        users_cli,
        tokens_cli,
        demo_data,
        mail_cli,
        messages_cli,
        reminders_cli,
        followups_cli,
        trust_cli,
        readings_cli,
        audit_cli,
        planning_cli,
        database_cli,
    )
    for command in commands:
        app.cli.add_command(command)
