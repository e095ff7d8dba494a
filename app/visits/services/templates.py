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
from app.core.input import clean_text
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


# The purpose and the legal basis are a paragraph each; the report quotes them (DESIGN.md 4.1).
MAX_PURPOSE = 5000


def _report_texts(purpose: str, legal_basis: str) -> tuple[str, str]:
    """The template's purpose and legal basis trimmed, or ``InvalidInput`` naming the field (422)."""
    errors: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    for field, value in (("purpose", purpose), ("legal_basis", legal_basis)):
        try:
            texts[field] = clean_text(value or "", field=field, multiline=True).strip()
        except InvalidInput as exc:
            errors.update(exc.errors)
            continue
        if len(texts[field]) > MAX_PURPOSE:
            errors[field] = [_("The text may be at most %(n)d characters long.", n=MAX_PURPOSE)]
    if errors:
        raise InvalidInput(errors)
    return texts["purpose"], texts["legal_basis"]


def _validated_all(name: str, areas: str, purpose: str, legal_basis: str) -> tuple[str, list[AreaSpec], str, str]:
    """Every field of the template form checked at once: one ``InvalidInput`` names all the bad fields."""
    errors: dict[str, list[str]] = {}
    try:
        purpose, legal_basis = _report_texts(purpose, legal_basis)
    except InvalidInput as exc:
        errors.update(exc.errors)
    try:
        name, specs = _validated_template(name, areas)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(errors)
    return name, specs, purpose, legal_basis


def create_template(
    *, actor: User, name: str, description: str = "", areas: str, purpose: str = "", legal_basis: str = ""
) -> Template:
    """A new template with its first version (coordinators). ``purpose`` and ``legal_basis`` are what the final
    report says the review is for and rests on (DESIGN.md 4.1); ``InvalidInput`` (422) names each bad field."""
    access.require_role(actor, Role.coordinator)
    name, specs, purpose, legal_basis = _validated_all(name, areas, purpose, legal_basis)
    template = Template(id=uuid.uuid4(), name=name)
    version = TemplateVersion(
        id=uuid.uuid4(),
        number=1,
        description=(description or "").strip(),
        purpose=purpose,
        legal_basis=legal_basis,
    )
    _fill_version(version, specs)
    template.versions.append(version)
    db.session.add(template)
    db.session.flush()
    return template


def version_in_use(version_id: uuid.UUID) -> bool:
    return bool(db.session.scalar(select(exists().where(Visit.template_version_id == version_id))))


def update_template(
    template_id: uuid.UUID,
    *,
    actor: User,
    name: str,
    description: str = "",
    areas: str,
    purpose: str | None = None,
    legal_basis: str | None = None,
) -> TemplateVersion:
    """Edit a template. If a visit already uses its current version, the edit becomes a new version and
    that visit keeps the one it used (its report keeps the purpose and legal basis it was made under).
    ``purpose``/``legal_basis`` None keep the current version's."""
    access.require_role(actor, Role.coordinator)
    template = db.session.get(Template, template_id)
    if template is None:
        raise NotFound(_("The template does not exist."))
    current = template.current
    name, specs, purpose, legal_basis = _validated_all(
        name,
        areas,
        current.purpose if purpose is None else purpose,
        current.legal_basis if legal_basis is None else legal_basis,
    )
    template.name = name
    if version_in_use(current.id):
        version = TemplateVersion(id=uuid.uuid4(), number=current.number + 1)
        template.versions.append(version)
    else:
        version = current
    version.description = (description or "").strip()
    version.purpose = purpose
    version.legal_basis = legal_basis
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
