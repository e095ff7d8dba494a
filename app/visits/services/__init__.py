"""The rules of DESIGN.md 4.1: templates and their versions, planning with case numbers and jäv, the status
machine with the kommunicering gate, findings, and the unit's responses.

The rules live in one module per job; this package re-exports their public names, so callers write
``from app.visits import services`` and ``services.transition(...)`` whatever module holds it:

* ``templates``: templates and their versions;
* ``planning``: case numbers, the team, the visit date rule, the plan, follow-up visits, visit lists, offline;
* ``jav``: jäv over time (a reviewer of an open visit may not join the unit);
* ``closer_review``: the closer-review visit the trust domain asks for (DESIGN.md 4.3);
* ``transitions``: the status machine, the kommunicering gate and the unit's e-mails about moves;
* ``findings``: findings;
* ``responses``: the unit's responses and the authority's comment on them.
"""

from app.visits.report import authority_comments, current_responses
from app.visits.services.closer_review import (
    open_closer_review_visit,
    plan_closer_review,
)
from app.visits.services.findings import (
    EDITABLE,
    add_finding,
    delete_finding,
    finding_query,
    update_finding,
)
from app.visits.services.jav import (
    JAV_OPEN_STATUSES,
    connect,
    refuse_membership_with_open_visits,
    visits_reviewed_by,
)
from app.visits.services.planning import (
    MAX_COMMENT_DEADLINE_DAYS,
    MAX_DAYS_BEFORE_REGISTRATION,
    MAX_SUMMARY,
    MAX_YEARS_AFTER_REGISTRATION,
    OFFLINE_DAYS_AHEAD,
    create_visit,
    kept_offline,
    my_visits,
    next_case_number,
    start_follow_up,
    update_plan,
    visit_date_problem,
    visit_query,
    write_summary,
)
from app.visits.services.responses import (
    MAX_COMMENT,
    FindingAnswer,
    comment_on_response,
    responses_history,
    responses_query,
    submit_response,
)
from app.visits.services.templates import (
    AreaSpec,
    active_templates,
    areas_text,
    create_template,
    get_template,
    parse_areas,
    template_query,
    update_template,
    version_in_use,
)
from app.visits.services.transitions import (
    ALLOWED_MOVES,
    MAX_REASON,
    MIN_REASON,
    has_response,
    status_label,
    transition,
)

__all__ = [
    "ALLOWED_MOVES",
    "EDITABLE",
    "JAV_OPEN_STATUSES",
    "MAX_COMMENT",
    "MAX_COMMENT_DEADLINE_DAYS",
    "MAX_DAYS_BEFORE_REGISTRATION",
    "MAX_REASON",
    "MAX_SUMMARY",
    "MAX_YEARS_AFTER_REGISTRATION",
    "MIN_REASON",
    "OFFLINE_DAYS_AHEAD",
    "AreaSpec",
    "FindingAnswer",
    "active_templates",
    "add_finding",
    "areas_text",
    "authority_comments",
    "comment_on_response",
    "connect",
    "create_template",
    "create_visit",
    "current_responses",
    "delete_finding",
    "finding_query",
    "get_template",
    "has_response",
    "kept_offline",
    "my_visits",
    "next_case_number",
    "open_closer_review_visit",
    "parse_areas",
    "plan_closer_review",
    "refuse_membership_with_open_visits",
    "responses_history",
    "responses_query",
    "start_follow_up",
    "status_label",
    "submit_response",
    "template_query",
    "transition",
    "update_finding",
    "update_plan",
    "update_template",
    "version_in_use",
    "visit_date_problem",
    "visit_query",
    "visits_reviewed_by",
    "write_summary",
]
