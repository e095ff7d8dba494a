"""Thin views of templates, visits, the on-site screen, findings and the unit's response."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User, UserRole
from app.core import access, audit, csvexport
from app.core.errors import DomainError, InvalidInput
from app.core.forms import EmptyForm
from app.core.models import AuditEvent, local_today
from app.core.pagination import Key, keyset_order, keyset_page
from app.core.run import form_errors, run_service
from app.extensions import db
from app.units.models import Unit
from app.visits import bp, evidence, labels, report, services
from app.visits import policy as visits_policy
from app.visits.forms import (
    STANCE_CHOICES,
    FindingForm,
    FollowUpForm,
    PlanForm,
    ResponseCommentForm,
    SummaryForm,
    TemplateForm,
    TransitionForm,
    VisitForm,
)
from app.visits.models import Finding, TeamMember, Template, TemplateVersion, Visit, VisitStatus

# ---- templates ------------------------------------------------------------------------------------


@bp.get("/templates")
@login_required
def templates():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator, Role.reviewer)
    rows = db.session.scalars(
        select(Template).options(selectinload(Template.versions)).order_by(func.lower(Template.name))
    ).all()
    return render_template("visits/templates.html", templates=rows)


@bp.route("/templates/new", methods=["GET", "POST"])
@login_required
def template_new():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    form = TemplateForm()
    if form.validate_on_submit():
        created = run_service(
            lambda: services.create_template(
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                areas=form.areas.data or "",
                purpose=form.purpose.data or "",
                legal_basis=form.legal_basis.data or "",
            ),
            form=form,
            refusals=InvalidInput,
        )
        if (template := created.value) is not None:
            flash(_("The template %(name)s is created.", name=template.name), "success")
            return redirect(url_for("visits.template", template_id=template.id))
    return render_template("visits/template_form.html", form=form, template=None), 422 if form.errors else 200


def _get_template(template_id: uuid.UUID) -> Template:
    template = db.session.get(Template, template_id)
    if template is None:
        abort(404)
    return template


@bp.get("/templates/<uuid:template_id>")
@login_required
def template(template_id: uuid.UUID):  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator, Role.reviewer)
    template = _get_template(template_id)
    return render_template(
        "visits/template.html",
        template=template,
        in_use=services.version_in_use(template.current.id),
        events=db.session.scalars(audit.history_query("template", template.id)).all(),
    )


@bp.route("/templates/<uuid:template_id>/edit", methods=["GET", "POST"])
@login_required
def template_edit(template_id: uuid.UUID):  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator)
    template = _get_template(template_id)
    form = TemplateForm()
    if request.method == "GET":
        form.name.data = template.name
        form.description.data = template.current.description
        form.purpose.data = template.current.purpose
        form.legal_basis.data = template.current.legal_basis
        form.areas.data = services.areas_text(template.current)
    if form.validate_on_submit():
        saved = run_service(
            lambda: services.update_template(
                template.id,
                actor=current_user,
                name=form.name.data or "",
                description=form.description.data or "",
                areas=form.areas.data or "",
                purpose=form.purpose.data or "",
                legal_basis=form.legal_basis.data or "",
            ),
            form=form,
            refusals=InvalidInput,
        )
        if (version := saved.value) is not None:
            flash(_("The template is saved as version %(n)d.", n=version.number), "success")
            return redirect(url_for("visits.template", template_id=template.id))
    in_use = services.version_in_use(template.current.id)
    return render_template("visits/template_form.html", form=form, template=template, in_use=in_use), (
        422 if form.errors else 200
    )


# ---- lists ----------------------------------------------------------------------------------------


def _reviewer_choices() -> list[tuple[str, str]]:
    people = db.session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.reviewer, User.is_active_account.is_(True))
        .order_by(func.lower(User.name))
    ).all()
    return [(str(p.id), p.name) for p in people]


VISIT_SORTS = {
    "case_number": (Visit.case_number,),
    "unit": (func.lower(Unit.name), Visit.case_number),
    "visit_date": (Visit.visit_date, Visit.case_number),
    "status": (Visit.status, Visit.case_number),
}
# The list's own order (``visit_query``'s): the newest first, those without a date (to be planned) at the top.
DEFAULT_VISIT_KEYS = [
    Key(Visit.visit_date, descending=True, nulls_first=True),  # a backward scan of the visit_date index
    Key(Visit.case_number, descending=True),
    Key(Visit.id, descending=True),
]


@bp.get("/visits")
@login_required
def index():  # type: ignore[no-untyped-def]
    """The visits with filters (status, unit by id or by part of its name, reviewer) and sorting kept in the URL;
    ``Accept: text/csv`` or ``?format=csv``: the same list as CSV (issue 16)."""
    status = request.args.get("status") or ""
    unit = request.args.get("unit") or ""
    unit_q = (request.args.get("unit_q") or "").strip()[:200]
    reviewer = request.args.get("reviewer") or ""
    sort = request.args.get("sort") or ""
    descending = request.args.get("dir") == "desc"
    query = services.visit_query(
        current_user,
        status=status if status in VisitStatus.__members__ else None,
        unit_id=_uuid(unit),
        reviewer_id=current_user.id if reviewer == "me" else _uuid(reviewer),
    ).options(selectinload(Visit.unit), selectinload(Visit.team).selectinload(TeamMember.user))
    if unit_q or sort == "unit":
        query = query.join(Unit, Unit.id == Visit.unit_id)
    if unit_q:
        query = query.where(func.lower(Unit.name).contains(unit_q.lower(), autoescape=True))
    if sort in VISIT_SORTS:
        keys = [Key(c, descending) for c in (*VISIT_SORTS[sort], Visit.id)]
    else:
        sort = ""
        keys = DEFAULT_VISIT_KEYS
    query = query.order_by(None).order_by(*(keyset_order(k) for k in keys))
    if csvexport.wants_csv():
        return csvexport.csv_response(
            "besok.csv",
            [_("Case number"), _("Unit"), _("Date"), _("Purpose"), _("Status"), _("Team")],
            [
                (
                    v.case_number,
                    v.unit.name,
                    v.visit_date,
                    labels.PURPOSE[v.purpose.value] if visits_policy.can_see_visit_content(current_user, v) else "",
                    labels.STATUS[v.status.value],
                    ", ".join(m.user.name for m in v.team),
                )
                for v in db.session.scalars(query.limit(CSV_MAX_ROWS))
            ],
        )
    # A page after (or before) a row's key, not at an OFFSET: the last page costs what the first does (issue 17).
    page = keyset_page(query.order_by(None), request.args, keys, count=True)
    reviewers = _reviewer_choices() if current_user.is_staff else []
    return render_template(
        "visits/index.html",
        page=page,
        status=status,
        unit=unit,
        unit_q=unit_q,
        reviewer=reviewer,
        reviewers=reviewers,
        sort=sort,
        descending=descending,
        args=request.args,
    )


# A CSV of a list is the whole filtered list, up to this many rows.
CSV_MAX_ROWS = 100_000


# ---- planning -------------------------------------------------------------------------------------


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _uuids(values: list[str] | None) -> list[uuid.UUID]:
    return [u for u in (_uuid(v) for v in values or []) if u is not None]


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
def new():  # type: ignore[no-untyped-def]
    access.require_role(current_user, Role.coordinator, Role.reviewer)
    form = VisitForm()
    form.unit.choices = [("", _("Choose…"))] + [
        (str(u.id), u.name) for u in db.session.scalars(select(Unit).order_by(func.lower(Unit.name)))
    ]
    form.template.choices = [("", _("Choose…"))] + [(str(t.id), t.name) for t in services.active_templates()]
    reviewers = _reviewer_choices()
    form.lead.choices = [("", _("Choose…")), *reviewers]
    form.team.choices = reviewers
    if request.method == "GET":
        # "Plan a visit" from the planning page prefills the unit, a template and a lead (DESIGN.md 4.7);
        # a value that is not among the choices is simply not selected.
        form.unit.data = request.args.get("unit", "")
        form.template.data = request.args.get("template", "")
        if request.args.get("lead"):
            form.lead.data = request.args["lead"]
        elif current_user.is_reviewer:
            form.lead.data = str(current_user.id)
    if form.validate_on_submit():
        planned = run_service(
            lambda: services.create_visit(
                actor=current_user,
                unit_id=_uuid(form.unit.data),  # type: ignore[arg-type]
                template_id=_uuid(form.template.data),  # type: ignore[arg-type]
                visit_date=form.visit_date.data,
                lead_id=_uuid(form.lead.data),
                member_ids=_uuids(form.team.data),
                purpose=form.purpose.data or "planned",
                aim=form.aim.data or "",
            ),
            form=form,
            to_error_page=(),  # the form names what to change, whatever the refusal
        )
        if (visit := planned.value) is not None:
            flash(_("The visit %(case)s is planned.", case=visit.case_number), "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/new.html", form=form), 422 if form.errors else 200


@bp.route("/visits/<uuid:visit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit(current_user, visit_id)
    visits_policy.require_visit_editor(current_user, visit)
    if request.method == "GET" and (refusal := visits_policy.why_not_change_plan(current_user, visit)) is not None:
        # The page offers nothing the service refuses (a cancelled or final visit's plan): said on the visit page.
        flash(refusal.message, "error")
        return redirect(url_for("visits.show", visit_id=visit.id))
    form = PlanForm()
    reviewers = _reviewer_choices()
    form.lead.choices = [("", _("Choose…")), *reviewers]
    form.team.choices = reviewers
    if request.method == "GET":
        form.visit_date.data = visit.visit_date
        form.lead.data = str(visit.lead.id) if visit.lead else ""
        form.team.data = [str(m.user_id) for m in visit.team if not m.is_lead]
        form.aim.data = visit.aim
    if form.validate_on_submit():
        saved = run_service(
            lambda: services.update_plan(
                visit.id,
                actor=current_user,
                visit_date=form.visit_date.data,
                lead_id=_uuid(form.lead.data),
                member_ids=_uuids(form.team.data),
                aim=form.aim.data or "",
            ),
            form=form,
            to_error_page=(),  # the form names what to change, whatever the refusal
        )
        if saved:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/edit.html", form=form, visit=visit), 422 if form.errors else 200


# ---- the visit ------------------------------------------------------------------------------------


def _visit_page_context(visit: Visit) -> dict[str, Any]:
    show_content = visits_policy.can_see_visit_content(current_user, visit)
    findings = report.ordered_findings(visit.findings) if show_content else []
    # The visit's history to both parties; the unit reads what is theirs to read (app.core.audit).
    events: Sequence[AuditEvent] = db.session.scalars(
        audit.history_query(
            "visit",
            visit.id,
            for_unit_member=not access.supervises(current_user, visit.unit_id),
            with_internal=access.supervises(current_user, visit.unit_id),  # internal notes: the supervising side's
            unit_ids=[visit.unit_id],
        )
    ).all()
    return {
        "visit": visit,
        "show_content": show_content,
        "findings": findings,
        "can_edit": visits_policy.can_edit_visit(current_user, visit),
        "transition_form": TransitionForm(),
        "follow_up_form": FollowUpForm(),
        "summary_form": SummaryForm(formdata=None, summary=visit.summary),
        "action_form": EmptyForm(),
        "responses": services.current_responses(visit) if show_content else {},
        # The authority's comments: the supervising side's working text until the report is final.
        "comments": (
            services.authority_comments(visit)
            if show_content
            and (
                access.supervises(current_user, visit.unit_id)
                or visit.status in (VisitStatus.final, VisitStatus.closed)
            )
            else {}
        ),
        "events": events,
        "today": local_today(),
    }


def full_visit_options() -> list[Any]:
    """Everything a visit page shows, loaded in a fixed number of queries however many findings there are."""
    return [
        selectinload(Visit.unit),
        selectinload(Visit.team).selectinload(TeamMember.user),
        selectinload(Visit.template_version).selectinload(TemplateVersion.areas),
        selectinload(Visit.template_version).selectinload(TemplateVersion.template),
        selectinload(Visit.findings).selectinload(Finding.evidence),
        selectinload(Visit.findings).selectinload(Finding.review_area),
    ]


@bp.get("/visits/<uuid:visit_id>")
@login_required
def show(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit(current_user, visit_id, options=full_visit_options())
    return render_template("visits/show.html", **_visit_page_context(visit))


@bp.post("/visits/<uuid:visit_id>/transition")
@login_required
def transition(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit(current_user, visit_id)
    form = TransitionForm()
    if form.validate_on_submit():
        moved = run_service(
            lambda: services.transition(
                visit.id,
                actor=current_user,
                to=form.to.data or "",
                comment_deadline=form.comment_deadline.data,
                waiver_reason=form.waiver_reason.data,
                reason=form.reason.data,
            ),
            form=form,
        )
        if moved.error is not None:
            context = _visit_page_context(visits_policy.get_visit(current_user, visit_id))
            context["transition_form"] = form
            return render_template("visits/show.html", transition_error=moved.error.message, **context), moved.status
        flash(_("The visit is now: %(status)s.", status=services.status_label(visit.status)), "success")
    elif form.errors:
        # A field the form itself refuses (a reason over 5000 characters): shown at the field, the text kept.
        context = _visit_page_context(visits_policy.get_visit(current_user, visit_id, options=full_visit_options()))
        context["transition_form"] = form
        return render_template("visits/show.html", **context), 422
    return redirect(url_for("visits.show", visit_id=visit.id))


@bp.post("/visits/<uuid:visit_id>/summary")
@login_required
def write_summary(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The lead's summary of the report (DESIGN.md 4.1); a refusal or a bad text is shown on the visit page
    with what was typed kept."""
    visit = visits_policy.get_visit(current_user, visit_id)
    form = SummaryForm()
    status = 422
    if form.validate_on_submit():
        written = run_service(
            lambda: services.write_summary(visit.id, actor=current_user, summary=form.summary.data or ""),
            form=form,
        )
        if written:
            flash(_("The summary is saved."), "success")
            return redirect(url_for("visits.show", visit_id=visit.id) + "#summary-h")
        status = written.error.status if written.error is not None else 422
    context = _visit_page_context(visits_policy.get_visit(current_user, visit_id, options=full_visit_options()))
    context["summary_form"] = form
    return render_template("visits/show.html", **context), status


@bp.post("/visits/<uuid:visit_id>/follow-up")
@login_required
def follow_up(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit(current_user, visit_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        started = run_service(
            lambda: services.start_follow_up(visit.id, actor=current_user, visit_date=form.visit_date.data),
            flash_refusal=True,
        )
        if (new_visit := started.value) is None:
            return redirect(url_for("visits.show", visit_id=visit.id))
        flash(_("The follow-up visit %(case)s is planned.", case=new_visit.case_number), "success")
        return redirect(url_for("visits.show", visit_id=new_visit.id))
    return redirect(url_for("visits.show", visit_id=visit.id))


# ---- on site --------------------------------------------------------------------------------------


def _finding_form(visit: Visit, obj: Finding | None = None) -> FindingForm:
    form = FindingForm()
    form.review_area.choices = [("", _("Other observations"))] + [
        (str(a.id), a.title) for a in visit.template_version.areas
    ]
    if obj is not None and request.method == "GET":
        form.kind.data = obj.kind.value
        form.severity.data = obj.severity.value if obj.severity else None
        form.text.data = obj.text
        form.review_area.data = str(obj.review_area_id) if obj.review_area_id else ""
    return form


def _restored(form: FindingForm, visit: Visit) -> FindingForm:
    """Put back what was typed before a session or form expired (app.core.drafts.stash_form)."""
    from werkzeug.datastructures import MultiDict

    from app.core.drafts import take_stash

    kept = take_stash(request.path)
    if kept:
        form.process(formdata=MultiDict(kept))
        form.restored = True  # type: ignore[attr-defined]
    return form


def _site_context(visit: Visit, area_id: uuid.UUID | None, form: FindingForm | None = None) -> dict[str, Any]:
    areas = list(visit.template_version.areas)
    area = next((a for a in areas if a.id == area_id), None)
    if area_id is None and areas and request.args.get("area") != "other":
        area = areas[0]
    form = form or _finding_form(visit)
    if request.method == "GET" and not getattr(form, "restored", False):
        form.review_area.data = str(area.id) if area else ""
    in_area = [f for f in visit.findings if f.review_area_id == (area.id if area else None)]
    return {
        "visit": visit,
        "areas": areas,
        "area": area,
        "form": form,
        "in_area": in_area,
        "action_form": EmptyForm(),
        "responses": {},
        "can_edit": True,
    }


@bp.get("/visits/<uuid:visit_id>/site")
@login_required
def site(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """The on-site screen: one review area at a time, its guiding questions and what is recorded so far."""
    visit = visits_policy.get_visit(current_user, visit_id, options=full_visit_options())
    visits_policy.require_visit_editor(current_user, visit)
    form = _restored(_finding_form(visit), visit)
    return render_template("visits/site.html", **_site_context(visit, _uuid(request.args.get("area")), form))


@bp.post("/visits/<uuid:visit_id>/findings")
@login_required
def add_finding(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit(current_user, visit_id)
    visits_policy.require_visit_editor(current_user, visit)
    form = _finding_form(visit)
    area_id = _uuid(form.review_area.data)
    if form.validate_on_submit():

        def record() -> None:
            finding = services.add_finding(
                visit.id,
                actor=current_user,
                kind=form.kind.data,
                severity=form.severity.data,
                text=form.text.data or "",
                review_area_id=area_id,
            )
            for upload in [f for f in request.files.getlist("files") if f and f.filename]:
                evidence.store_upload(
                    finding.id, actor=current_user, filename=upload.filename or "", data=upload.read()
                )

        def files_field(exc: DomainError) -> dict[str, list[str]]:
            errors = form_errors(exc)
            if "file" in errors:
                errors["files"] = errors.pop("file")  # the form's file input is "files"
            return errors

        if run_service(record, form=form, errors=files_field):
            flash(_("The finding is saved."), "success")
            return redirect(
                url_for("visits.site", visit_id=visit.id, area=str(area_id) if area_id else "other") + "#findings"
            )
    visit = visits_policy.get_visit(current_user, visit_id)
    return render_template("visits/site.html", **_site_context(visit, area_id, form)), 422


@bp.route("/findings/<uuid:finding_id>/edit", methods=["GET", "POST"])
@login_required
def edit_finding(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    finding = visits_policy.get_finding(current_user, finding_id)
    visit = finding.visit
    visits_policy.require_visit_editor(current_user, visit)
    if request.method == "GET" and (refusal := visits_policy.why_not_change_findings(current_user, visit)):
        # The same predicate as the save: during kommunicering the page does not open only to refuse later.
        flash(refusal.message, "error")
        return redirect(url_for("visits.show", visit_id=visit.id))
    form = _finding_form(visit, finding)
    if form.validate_on_submit():
        saved = run_service(
            lambda: services.update_finding(
                finding.id,
                actor=current_user,
                kind=form.kind.data,
                severity=form.severity.data,
                text=form.text.data or "",
                review_area_id=_uuid(form.review_area.data),
            ),
            form=form,
        )
        if saved:
            flash(_("The finding is saved."), "success")
            return redirect(url_for("visits.show", visit_id=visit.id) + f"#finding-{finding.id}")
    return render_template(
        "visits/finding_edit.html", form=form, finding=finding, visit=visit
    ), 422 if form.errors else 200


@bp.route("/findings/<uuid:finding_id>/delete", methods=["GET", "POST"])
@login_required
def delete_finding(finding_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Removing a finding takes two steps (no JavaScript needed): this page says what goes with it (its photos
    and documents, its notes) and asks; only the confirming form, with ``confirmed=yes``, removes it."""
    finding = visits_policy.get_finding(current_user, finding_id)
    visit = finding.visit
    visits_policy.require_visit_editor(current_user, visit)
    if refusal := visits_policy.why_not_change_findings(current_user, visit):
        flash(refusal.message, "error")
        return redirect(url_for("visits.show", visit_id=visit.id))
    form = EmptyForm()
    if request.method == "POST" and request.form.get("confirmed") == "yes" and form.validate_on_submit():
        if run_service(lambda: services.delete_finding(finding.id, actor=current_user), flash_refusal=True):
            flash(_("The finding is removed."), "success")
        return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template("visits/finding_delete.html", finding=finding, visit=visit, form=form)


# ---- the unit's response --------------------------------------------------------------------------


@bp.route("/visits/<uuid:visit_id>/respond", methods=["GET", "POST"])
@login_required
def respond(visit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    visit = visits_policy.get_visit_with_content(current_user, visit_id)
    form = EmptyForm()
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        answers = [
            services.FindingAnswer(
                finding_id=f.id,
                stance=request.form.get(f"stance-{f.id}") or None,
                text=request.form.get(f"text-{f.id}", ""),
            )
            for f in visit.findings
        ]
        submitted = run_service(
            lambda: services.submit_response(
                visit.id, actor=current_user, overall=request.form.get("overall", ""), answers=answers
            )
        )
        if submitted.error is not None:
            errors = form_errors(submitted.error)
        else:
            flash(_("Your response is received. Thank you!"), "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    visit = visits_policy.get_visit_with_content(current_user, visit_id)
    return render_template(
        "visits/respond.html",
        visit=visit,
        form=form,
        errors=errors,
        values=request.form,
        stance_choices=STANCE_CHOICES,
        responses=services.current_responses(visit),
        history=services.responses_history(visit),
        today=local_today(),
    ), 422 if errors else 200


my_visits = services.my_visits  # the start page (app/main) asks for it here


# ---- the authority's comment on a response (DESIGN.md 4.1) -------------------------------------------


@bp.route("/responses/<uuid:response_id>/comment", methods=["GET", "POST"])
@login_required
def comment_on_response(response_id: uuid.UUID):  # type: ignore[no-untyped-def]
    response = visits_policy.get_response(current_user, response_id)
    visit = response.visit
    if (refusal := visits_policy.why_not_comment_on_response(current_user, response)) is not None:
        if refusal.status == 403:
            raise refusal
        flash(refusal.message, "error")
        return redirect(url_for("visits.show", visit_id=visit.id))
    existing = services.authority_comments(visit).get(response.id)
    form = ResponseCommentForm(data={"text": existing.text if existing else ""})
    if form.validate_on_submit():
        saved = run_service(
            lambda: services.comment_on_response(response.id, actor=current_user, text=form.text.data or ""),
            form=form,
        )
        if saved:
            flash(_("The authority's comment is saved."), "success")
            return redirect(url_for("visits.show", visit_id=visit.id))
    return render_template(
        "visits/response_comment.html", form=form, response=response, visit=visit
    ), 422 if form.errors else 200
