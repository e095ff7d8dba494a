"""The command line of API.md for conditional trust: ``flask --app app trust evaluate [--unit UNIT]`` and
``flask --app app readings import FILE.csv --unit UNIT``. Both run as the operator ("cli" in the audit trail)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.core import input as input_layer
from app.core.cli import operator_context
from app.core.errors import DomainError, InvalidInput
from app.extensions import db

trust_cli = AppGroup("trust", help="Conditional trust: boundaries and their evaluation.")
readings_cli = AppGroup("readings", help="Indicator readings.")


def _unit_id(reference: str):  # type: ignore[no-untyped-def]
    from app.units.services import find_unit

    unit = find_unit(reference)
    if unit is None:
        raise click.ClickException(f"unit: no unit named or with id {reference!r}")
    return unit.id


@trust_cli.command("evaluate")
@click.option(
    "--unit", "unit_ref", default=None, help="A unit's name or id; every unit with a boundary in force if left out."
)
def evaluate(unit_ref: str | None) -> None:
    """Evaluate the boundaries in force once, now (what the periodic sweep does: only the units whose verdict may
    change, decided set-wise); commits unit by unit."""
    from app.trust import services

    operator_context()
    unit_ids = [_unit_id(unit_ref)] if unit_ref else services.units_whose_verdict_may_change()
    opened = 0
    for unit_id in unit_ids:
        try:
            opened += len(services.evaluate_unit(unit_id))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
    click.echo(f"evaluated {len(unit_ids)} unit(s); {opened} new breach(es)")


@readings_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_ref", required=True, help="The unit's name or id.")
def import_readings(file: Path, unit_ref: str) -> None:
    """Import readings from a CSV file (indicator,period,value), all or nothing; every bad line is reported."""
    from app.core import access
    from app.trust import services

    operator_context()
    unit_id = _unit_id(unit_ref)
    try:
        data = input_layer.clean_csv(file.read_bytes())
    except InvalidInput as exc:
        for problem in exc.errors["file"]:
            click.echo(problem, err=True)
        raise click.ClickException(exc.message) from None
    try:
        result = services.import_readings_csv(unit_id, data, actor=access.OPERATOR, source="cli")  # type: ignore[arg-type]
        db.session.commit()
    except services.CsvImportError as exc:
        db.session.rollback()
        for line in exc.lines:
            click.echo(str(line), err=True)
        raise click.ClickException(exc.message) from None
    except DomainError as exc:
        db.session.rollback()
        fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()) or exc.message
        raise click.ClickException(fields) from None
    click.echo(
        f"imported {result.created + result.corrected + result.unchanged} reading(s): {result.created} new, "
        f"{result.corrected} corrected, {result.unchanged} unchanged; {len(result.breaches)} new breach(es)"
    )
