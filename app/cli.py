"""The command line of API.md: ``flask --app app units create``, ``users create``, ``tokens create``, ``demo-data``.

Each command runs as the operator (audit trail: "cli"), commits once, exits 0 on success and prints a
one-line error (exit 1) otherwise.
"""

from __future__ import annotations

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


def init_app(app: Flask) -> None:
    from app.followups.cli import reminders_cli
    from app.trust.cli import readings_cli, trust_cli

    for command in (units_cli, users_cli, tokens_cli, demo_data, mail_cli, reminders_cli, trust_cli, readings_cli):
        app.cli.add_command(command)
