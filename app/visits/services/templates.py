"""Visit templates and their versions (DESIGN.md 4.1): the area list, creating, editing, which versions are in use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.core import access
from app.core.errors import InvalidInput, NotFound
from app.extensions import db
from app.visits.models import (
    ReviewArea,
    Template,
    TemplateVersion,
    Visit,
)

# ---- templates ------------------------------------------------------------------------------------


@dataclass
class AreaSpec:
    title: str
    questions: list[str]


def parse_areas(text: str) -> list[AreaSpec]:
    """The template editor's plain format: a line is a review area's title, a line starting with "-" is a
    guiding question of the area above it. Works in any browser, without JavaScript."""
    areas: list[AreaSpec] = []
    errors: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(("-", "•", "*")):
            question = line.lstrip("-•* ").strip()
            if not areas:
                errors.append(_("Line %(n)d: a question must come after the title of a review area.", n=number))
            elif question:
                areas[-1].questions.append(question)
        elif len(line) > 200:
            errors.append(_("Line %(n)d: a review area's title may be at most 200 characters.", n=number))
        else:
            areas.append(AreaSpec(title=line, questions=[]))
    if not areas and not errors:
        errors.append(_("Add at least one review area."))
    if errors:
        raise InvalidInput({"areas": errors})
    return areas


def areas_text(version: TemplateVersion) -> str:
    """A version's areas in the editor's format."""
    lines: list[str] = []
    for area in version.areas:
        lines.append(area.title)
        lines.extend(f"- {q}" for q in area.question_list)
        lines.append("")
    return "\n".join(lines).strip()


def _validated_template(name: str, areas: str) -> tuple[str, list[AreaSpec]]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the template's name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name may be at most %(n)d characters long.", n=200)]
    try:
        specs = parse_areas(areas)
    except InvalidInput as exc:
        errors.update(exc.errors)
        specs = []
    if errors:
        raise InvalidInput(errors)
    return name, specs


def _fill_version(version: TemplateVersion, specs: list[AreaSpec]) -> None:
    version.areas = [
        ReviewArea(id=uuid.uuid4(), position=i, title=spec.title, questions="\n".join(spec.questions))
        for i, spec in enumerate(specs)
    ]


def create_template(*, actor: User, name: str, description: str = "", areas: str) -> Template:
    access.require_role(actor, Role.coordinator)
    name, specs = _validated_template(name, areas)
    template = Template(id=uuid.uuid4(), name=name)
    version = TemplateVersion(id=uuid.uuid4(), number=1, description=(description or "").strip())
    _fill_version(version, specs)
    template.versions.append(version)
    db.session.add(template)
    db.session.flush()
    return template


def version_in_use(version_id: uuid.UUID) -> bool:
    return bool(db.session.scalar(select(exists().where(Visit.template_version_id == version_id))))


def update_template(
    template_id: uuid.UUID, *, actor: User, name: str, description: str = "", areas: str
) -> TemplateVersion:
    """Edit a template. If a visit already uses its current version, the edit becomes a new version and
    that visit keeps the one it used."""
    access.require_role(actor, Role.coordinator)
    template = db.session.get(Template, template_id)
    if template is None:
        raise NotFound(_("The template does not exist."))
    name, specs = _validated_template(name, areas)
    template.name = name
    current = template.current
    if version_in_use(current.id):
        version = TemplateVersion(id=uuid.uuid4(), number=current.number + 1)
        template.versions.append(version)
    else:
        version = current
    version.description = (description or "").strip()
    _fill_version(version, specs)
    db.session.flush()
    return version


def template_query(*, actor: User, include_archived: bool = False) -> Select[Template]:
    """Templates for planning and for the tablet (reviewers and coordinators), by name, with their versions."""
    access.require_role(actor, Role.coordinator, Role.reviewer)
    query = select(Template).options(selectinload(Template.versions).selectinload(TemplateVersion.areas))
    if not include_archived:
        query = query.where(Template.is_archived.is_(False))
    return query.order_by(func.lower(Template.name), Template.id)


def get_template(template_id: uuid.UUID, *, actor: User) -> Template:
    access.require_role(actor, Role.coordinator, Role.reviewer)
    template = db.session.get(Template, template_id)
    if template is None:
        raise NotFound(_("The template does not exist."))
    return template


def active_templates() -> list[Template]:
    return list(db.session.scalars(select(Template).where(Template.is_archived.is_(False)).order_by(Template.name)))
