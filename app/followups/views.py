"""Thin views of the follow-ups domain: lists, a follow-up's page with its workflow, proposing and changing,
the files of done reports, the coordinators' reminder page, and the profile's calendar link."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.auth.models import Role
from app.core import access, audit, csvexport
from app.core.errors import DomainError, Forbidden
from app.core.files import stored_file_response
from app.core.forms import EmptyForm
from app.core.models import local_today
from app.core.pagination import Key, keyset_page
from app.core.run import form_errors, run_service
from app.extensions import db
from app.followups import bp, calendar, reminders, services
from app.followups import policy as followups_policy
from app.followups.forms import CancelForm, FollowUpForm, ReopenForm, ReportDoneForm, VerifyForm
from app.followups.labels import FOLLOW_UP_STATUS
from app.followups.models import FollowUp, FollowUpStatus, Reminder, ReminderStatus
from app.units import policy as units_policy
from app.units.forms import KIND_LABELS
from app.units.models import Unit, UnitKind
from app.visits import policy as visits_policy
from app.visits.models import Finding

log = logging.getLogger(__name__)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# ---- lists ----------------------------------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _list_filter(unit_id: uuid.UUID | None = None) -> services.ListFilter:
    """The list's filters and order from the query string; an unknown value is ignored (the list unfiltered)."""
    args = request.args
    default_mine = current_user.is_reviewer and not current_user.is_coordinator and unit_id is None
    mine = args.get("mine", "1" if default_mine else "") == "1"
    kind = args.get("unit_kind") or ""
    return services.ListFilter(
        status=args.get("status") or "open",
        sort=args.get("sort") or "due",
        descending=args.get("dir") == "desc",
        unit_id=unit_id or _uuid(args.get("unit")),
        mine=mine,
        unit_kind=UnitKind(kind) if kind in UnitKind.__members__ else None,
        unit_owner=(args.get("owner") or "").strip()[:200] or None,
        unit_name=(args.get("unit_name") or "").strip()[:200],
        reviewer_id=_uuid(args.get("reviewer")) if current_user.is_staff else None,
        due_from=_date(args.get("due_from")),
        due_to=_date(args.get("due_to")),
    )


def _csv(filters: services.ListFilter, today: date, filename: str) -> Response:
    """The list as CSV (app.core.csvexport): every row of the filtered list, in its order, in one statement."""
    kinds = {key: str(label) for key, label in KIND_LABELS.items()}  # translated once, not per row
    statuses = {key: str(label) for key, label in FOLLOW_UP_STATUS.items()}
    overdue = {True: _("yes"), False: _("no")}
    return csvexport.csv_response(
        filename,
        [
            _("Follow-up"),
            _("Case number"),
            _("Unit"),
            _("Kind of unit"),
            _("Responsible"),
            _("Due date"),
            _("Status"),
            _("Overdue"),
        ],
        [
            (
                title,
                case_number or "",
                unit_name,
                kinds[kind.value],
                owner_name,
                due_date,
                statuses[status.value],
                overdue[status == FollowUpStatus.agreed and due_date < today],
            )
            for title, case_number, unit_name, kind, owner_name, due_date, status in services.list_rows(
                current_user, filters, today=today
            )
        ],
    )


def _list_page(unit: Unit | None):  # type: ignore[no-untyped-def]
    filters = _list_filter(unit.id if unit else None)
    today = local_today()
    if csvexport.wants_csv():
        return _csv(filters, today, "uppfoljningar.csv")
    query, keys = services.list_keyset(current_user, filters, today=today)
    # The caption's total: the kept counts' for the person's default list (issue 17), else one count statement.
    total = services.known_total(current_user, filters, today=today)
    if total is None:
        total = services.list_count(current_user, filters, today=today)
    page = keyset_page(query, request.args, keys, total=total)
    chosen = (  # the unit a link chose (its name shown; another unit's never)
        db.session.scalar(units_policy.visible_units(current_user).where(Unit.id == filters.unit_id))
        if filters.unit_id and not unit
        else None
    )
    return render_template(
        "followups/index.html",
        page=page,
        filters=filters,
        today=today,
        chosen_unit=chosen,
        unit=unit,
        columns=services.SORT_COLUMNS,
        kind_labels=KIND_LABELS,
        owners=[] if unit else units_policy.owners(current_user),
        reviewers=services.reviewer_choices() if current_user.is_staff else [],
    )


@bp.get("/follow-ups")
@login_required
def index():  # type: ignore[no-untyped-def]
    """The reviewer's (own by default), the coordinator's (all) and the unit member's (their units') list,
    filtered and sorted in the URL; ``Accept: text/csv`` or ``?format=csv``: the same list as CSV (issue 16)."""
    return _list_page(None)


@bp.get("/units/<uuid:unit_id>/follow-ups")
@login_required
def unit_list(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _list_page(units_policy.get_unit(current_user, unit_id))


# ---- proposing and changing -----------------------------------------------------------------------------


def _owner_choices(form: FollowUpForm, unit_id: uuid.UUID) -> None:
    form.owner.choices = [("", _("Choose…"))] + [(str(p.id), p.name) for p in services.owner_choices(unit_id)]


@bp.route("/units/<uuid:unit_id>/follow-ups/new", methods=["GET", "POST"])
@login_required
def new(unit_id: uuid.UUID):  # type: ignore[no-untyped-def]
    unit = units_policy.get_unit(current_user, unit_id)
    form = FollowUpForm()
    _owner_choices(form, unit.id)
    if request.method == "GET":
        form.visit.data = request.args.get("visit", "")
        form.finding.data = request.args.get("finding", "")
        if access.takes_unit_side(current_user, unit.id):
            form.owner.data = str(current_user.id)
    finding_id, visit_id = _uuid(form.finding.data), _uuid(form.visit.data)
    finding = visits_policy.get_finding(current_user, finding_id) if finding_id else None
    visit = visits_policy.get_visit_with_content(current_user, visit_id) if visit_id else None
    if (finding and finding.visit.unit_id != unit.id) or (visit and visit.unit_id != unit.id):
        abort(404)
    if form.validate_on_submit():
        proposed = run_service(
            lambda: services.propose(
                actor=current_user,
                unit_id=unit.id,
                title=form.title.data or "",
                description=form.description.data or "",
                due_date=form.due_date.data,
                owner_id=_uuid(form.owner.data),
                visit_id=visit_id,
                finding_id=finding_id,
            ),
            form=form,
            errors=_form_errors,
        )
        if (follow_up := proposed.value) is not None:
            flash(_("The follow-up is proposed. It is agreed when the other side accepts it."), "success")
            return redirect(url_for("followups.show", follow_up_id=follow_up.id))
    unit = units_policy.get_unit(current_user, unit_id)
    return render_template(
        "followups/form.html",
        form=form,
        unit=unit,
        follow_up=None,
        finding=finding,
        visit=visit or (finding.visit if finding else None),
    ), 422 if form.errors else 200


def _form_errors(exc: DomainError) -> dict[str, list[str]]:
    """A refusal on the follow-up form: the visit and finding are chosen by the link, not a field of the form."""
    errors = form_errors(exc)
    if "finding" in errors or "visit" in errors:
        errors.setdefault("", []).extend(errors.pop("finding", []) + errors.pop("visit", []))
    return errors


@bp.route("/follow-ups/<uuid:follow_up_id>/edit", methods=["GET", "POST"])
@login_required
def edit(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    follow_up = followups_policy.get_follow_up(current_user, follow_up_id)
    side = services.may_act(current_user, follow_up)
    if side is None:
        raise Forbidden(_("Your role does not allow this."))
    form = FollowUpForm()
    _owner_choices(form, follow_up.unit_id)
    if request.method == "GET":
        form.title.data = follow_up.title
        form.description.data = follow_up.description
        form.owner.data = str(follow_up.owner_id)
        form.due_date.data = follow_up.due_date
    if form.validate_on_submit():
        agreed_by_unit = not followups_policy.may_change_terms(current_user, follow_up)
        saved = run_service(
            lambda: services.update(
                follow_up.id,
                actor=current_user,
                owner_id=_uuid(form.owner.data),
                **(
                    {}
                    if agreed_by_unit
                    else {
                        "title": form.title.data or "",
                        "description": form.description.data or "",
                        "due_date": form.due_date.data,
                    }
                ),
            ),
            form=form,
            errors=_form_errors,
            to_error_page=(404,),  # the form says why the change was refused, a missing right too
        )
        if saved:
            flash(_("The changes are saved."), "success")
            return redirect(url_for("followups.show", follow_up_id=follow_up.id))
    follow_up = followups_policy.get_follow_up(current_user, follow_up_id)
    return render_template(
        "followups/form.html",
        form=form,
        unit=follow_up.unit,
        follow_up=follow_up,
        finding=follow_up.finding,
        visit=follow_up.visit,
        side=side,
    ), 422 if form.errors else 200


# ---- a follow-up and its workflow -----------------------------------------------------------------------


def _page(follow_up: FollowUp, **forms: Any) -> dict[str, Any]:
    side = services.may_act(current_user, follow_up)
    return {
        "follow_up": follow_up,
        "side": side,
        "today": local_today(),
        "accept_form": forms.get("accept_form") or EmptyForm(),
        "done_form": forms.get("done_form") or ReportDoneForm(formdata=None),
        "verify_form": forms.get("verify_form") or VerifyForm(formdata=None),
        "reopen_form": forms.get("reopen_form") or ReopenForm(formdata=None),
        "cancel_form": forms.get("cancel_form") or CancelForm(formdata=None),
        # The same trail GET /api/v1/audit answers for it (app.core.access.audit_events).
        "events": db.session.scalars(
            audit.history_query(
                "follow_up",
                follow_up.id,
                for_unit_member=not access.supervises(current_user, follow_up.unit_id),
                unit_ids=[follow_up.unit_id],
            )
        ).all(),
        "action_error": forms.get("action_error"),
    }


def _load(follow_up_id: uuid.UUID) -> FollowUp:
    return followups_policy.get_follow_up(
        current_user,
        follow_up_id,
        options=[
            selectinload(FollowUp.unit),
            selectinload(FollowUp.owner),
            selectinload(FollowUp.evidence),
            selectinload(FollowUp.finding),
        ],
    )


@bp.get("/follow-ups/<uuid:follow_up_id>")
@login_required
def show(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return render_template("followups/show.html", **_page(_load(follow_up_id)))


def _act(follow_up_id: uuid.UUID, form: Any, form_name: str, call: Any, done_message: str) -> Any:
    """Run one workflow step from the follow-up's page: on a refusal show the page again with the message
    beside the form and what was typed kept; 403/404 go to the error pages."""
    follow_up = _load(follow_up_id)
    if not form.validate_on_submit():
        return render_template("followups/show.html", **_page(follow_up, **{form_name: form})), 422
    done = run_service(lambda: call(follow_up), form=form)
    if done.error is not None:
        page = _page(_load(follow_up_id), **{form_name: form, "action_error": done.error.message})
        return render_template("followups/show.html", **page), done.status
    flash(done_message, "success")
    return redirect(url_for("followups.show", follow_up_id=follow_up_id))


@bp.post("/follow-ups/<uuid:follow_up_id>/accept")
@login_required
def accept(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _act(
        follow_up_id,
        EmptyForm(),
        "accept_form",
        lambda f: services.accept(f.id, actor=current_user),
        _("You have accepted the follow-up."),
    )


@bp.post("/follow-ups/<uuid:follow_up_id>/report-done")
@login_required
def report_done(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    form = ReportDoneForm()

    def call(follow_up: FollowUp) -> None:
        files = [(u.filename or "", u.read()) for u in request.files.getlist("files") if u and u.filename]
        services.report_done(follow_up.id, actor=current_user, description=form.description.data or "", files=files)

    return _act(follow_up_id, form, "done_form", call, _("The follow-up is reported done. Thank you!"))


@bp.post("/follow-ups/<uuid:follow_up_id>/verify")
@login_required
def verify(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    form = VerifyForm()
    return _act(
        follow_up_id,
        form,
        "verify_form",
        lambda f: services.verify(f.id, actor=current_user, note=form.note.data or ""),
        _("The follow-up is verified."),
    )


@bp.post("/follow-ups/<uuid:follow_up_id>/reopen")
@login_required
def reopen(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    form = ReopenForm()
    return _act(
        follow_up_id,
        form,
        "reopen_form",
        lambda f: services.reopen(f.id, actor=current_user, note=form.note.data or ""),
        _("The follow-up is reopened and agreed again."),
    )


@bp.post("/follow-ups/<uuid:follow_up_id>/cancel")
@login_required
def cancel(follow_up_id: uuid.UUID):  # type: ignore[no-untyped-def]
    form = CancelForm()
    return _act(
        follow_up_id,
        form,
        "cancel_form",
        lambda f: services.cancel(f.id, actor=current_user, reason=form.reason.data or ""),
        _("The follow-up is cancelled."),
    )


# ---- files of done reports ------------------------------------------------------------------------------


@bp.get("/follow-up-evidence/<uuid:follow_up_evidence_id>")
@login_required
def evidence_file(follow_up_evidence_id: uuid.UUID) -> Response:
    return stored_file_response(followups_policy.get_follow_up_evidence(current_user, follow_up_evidence_id))


@bp.get("/follow-up-evidence/<uuid:follow_up_evidence_id>/thumb")
@login_required
def evidence_thumbnail(follow_up_evidence_id: uuid.UUID) -> Response:
    return stored_file_response(
        followups_policy.get_follow_up_evidence(current_user, follow_up_evidence_id), thumbnail=True
    )


# ---- reminders, for coordinators ------------------------------------------------------------------------


@bp.get("/reminders")
@login_required
def reminder_list():  # type: ignore[no-untyped-def]
    """Failed reminders first (what needs a person), with the state of the outbox and of the sweep."""
    access.require_role(current_user, Role.coordinator)
    status = request.args.get("status") or "failed"
    if status not in ReminderStatus.__members__:
        status = "failed"
    query = (
        select(Reminder)
        .where(Reminder.status == ReminderStatus(status))
        .options(
            selectinload(Reminder.follow_up).selectinload(FollowUp.unit),
            selectinload(Reminder.follow_up).selectinload(FollowUp.owner),
            selectinload(Reminder.visit),
        )
    )
    # The tabs' counts from the per-status counters and the page after a row's (send_after, id) key through the
    # (status, send_after, id) index: the same cost at 800 or 200,000 reminders (issue 17).
    counts = reminders.status_counts()
    page = keyset_page(
        query,
        request.args,
        [Key(Reminder.send_after, descending=True), Key(Reminder.id, descending=True)],
        total=counts[status],
    )
    return render_template(
        "followups/reminders.html",
        page=page,
        status=status,
        counts=counts,
        sweep=reminders.last_sweep(),
        retry_form=EmptyForm(),
    )


@bp.post("/reminders/<uuid:reminder_id>/retry")
@login_required
def reminder_retry(reminder_id: uuid.UUID):  # type: ignore[no-untyped-def]
    if not current_user.is_coordinator or db.session.get(Reminder, reminder_id) is None:
        abort(404)  # an operational page: nobody else learns that a reminder exists
    if EmptyForm().validate_on_submit():
        reminders.retry_failed(reminder_id)
        db.session.commit()
        flash(_("The reminder will be sent again within a minute."), "success")
    return redirect(url_for("followups.reminder_list"))


# ---- the calendar link on the profile page --------------------------------------------------------------


@bp.post("/profile/calendar")
@login_required
def calendar_create():  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        calendar.create_feed(actor=current_user)
        db.session.commit()
        flash(_("Your calendar link is ready. Any earlier link no longer works."), "success")
    return redirect(url_for("auth.profile") + "#calendar-h")


@bp.post("/profile/calendar/revoke")
@login_required
def calendar_revoke():  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        calendar.revoke_feed(actor=current_user)
        db.session.commit()
        flash(_("Your calendar link no longer works."), "success")
    return redirect(url_for("auth.profile") + "#calendar-h")


# ---- what other domains' pages include ------------------------------------------------------------------


def template_globals() -> dict[str, Any]:
    """Functions the partials in templates/followups/ call from pages of other domains (the visit page,
    the report, the profile, the start pages), so those domains need not know about follow-ups."""

    def visit_follow_ups(visit: Any) -> dict[str, Any]:
        items = services.of_visit(current_user, visit)
        missing = (
            services.serious_deviations_without_agreement(visit)
            if access.supervises(current_user, visit.unit_id)
            else []
        )
        waiting = [(f, followups_policy.awaiting_acceptance(items, f.id)) for f in missing]
        return {
            "items": items,
            # Serious deviations with no follow-up proposed at all, and those whose proposal awaits acceptance.
            "missing": [f for f, pending in waiting if pending is None],
            "awaiting": [(f, pending) for f, pending in waiting if pending is not None],
            "may_propose": followups_policy.can_propose_for_visit(current_user, visit),
            "today": local_today(),
        }

    def calendar_link() -> dict[str, Any]:
        feed = calendar.active_feed(current_user)
        url = None
        if feed is not None:
            url = url_for("followups_calendar.feed", token=calendar.token_for(feed), _external=True)
        return {"feed": feed, "url": url, "form": EmptyForm()}

    return {
        "visit_follow_ups": visit_follow_ups,
        "report_follow_ups": services.agreed_of_visit,
        "follow_up_summary": lambda: services.summary(current_user),
        "failed_reminders": reminders.failed_count,
        "calendar_link": calendar_link,
    }


def finding_excerpt(finding: Finding | None) -> str:
    """The start of a finding's text, to name it in lists and forms."""
    if finding is None:
        return ""
    text = " ".join(finding.text.split())
    return text if len(text) <= 80 else text[:80] + "…"
