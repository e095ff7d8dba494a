"""The rules of DESIGN.md 4.3, conditional trust: the indicator catalogue, readings and their corrections, boundaries
agreed as versions between the two parties, the evaluation of every boundary kind, and what a breach sets off.

Decisions the design leaves open, and how they are settled here:

* **The breach rule** of an ``indicator`` boundary looks at the k most recent *periods that have readings*, whatever
  the gaps between them; fewer than k readings never breach; a value exactly at the threshold is on the wrong side
  only for ``>=`` and ``<=``.
* **Which facts a breach covers.** Each breach records the facts that crossed the boundary (the newest period of
  the window, a serious deviation, an overdue follow-up with its due date). A fact already covered by a breach of
  the boundary, open or closed, never opens another one: closing a breach is the end of that closer look, and only
  new facts (a new month still on the wrong side, another serious deviation) open a new breach. At most one breach
  per boundary version is open, which the database enforces with a partial unique index.
* **When the data stops crossing the boundary** (a corrected reading, a follow-up reported done) an open breach
  stays open: trust never changes by itself. The breach is marked ``condition_cleared_at`` so the reviewer closing
  it sees that; the mark is taken away if the boundary is crossed again meanwhile.
* **Serious deviations** count from the moment the boundary was first agreed: a deviation in a visit that reached
  kommunicering (or was finalised without it) before the agreement is not a breach of it. Overdue follow-ups are a
  state, not an event: one that is overdue by more than d days when the boundary is agreed breaches it.
* **The limit of active boundaries** counts a unit's boundaries in force plus new boundaries proposed and waiting
  for acceptance (they would be in force the moment they are accepted). A new version of a boundary in force does
  not count again. Proposing a new boundary beyond the limit is refused, and so is accepting one (a lowered limit).
* **The closer-review visit** is planned by the visits domain (``app.visits.services.plan_closer_review``): the
  template and lead reviewer of the unit's latest visit; failing that the template named by
  ``CLOSER_REVIEW_TEMPLATE`` or the first active one, and the reviewer named by ``CLOSER_REVIEW_LEAD_EMAIL``, the
  reviewer who led a visit most recently, or the first active reviewer — never a member of the unit (jäv).
  Without any template or eligible reviewer no visit is planned; the breach and the trust level stand, and the
  e-mail to the coordinators says a visit must be planned by hand.
* **Sides.** A person who belongs to the unit speaks for the unit, even a peer reviewer (jäv); coordinators and
  reviewers speak for the supervising body.

Evaluation runs as "the system" in the audit trail, whoever's action set it off, and serialises per unit by
locking the unit's row, so simultaneous evaluations of one unit make one breach and one closer-review visit.

The rules live in one module per job; this package re-exports their public functions, so callers write
``from app.trust import services`` and ``services.accept_version(...)`` whatever module holds it:

* ``catalogue``: the indicator catalogue;
* ``readings``: readings, their corrections and the CSV import;
* ``agreement``: boundaries agreed as versions between the parties;
* ``evaluation``: the breach rule and the evaluation of every boundary kind, and the domain events that run it;
* ``consequences``: what a breach sets off, closing breaches and restoring trust;
* ``common``: what they share.
"""

from app.trust.services.agreement import (
    accept_version,
    active_boundaries,
    boundaries_of,
    counted_boundaries,
    propose_boundary,
    reject_version,
    withdraw_version,
)
from app.trust.services.catalogue import (
    KEY_RE,
    all_indicators,
    create_indicator,
    find_indicator,
    update_indicator,
)
from app.trust.services.common import (
    MAX_BATCH,
    MAX_DAYS,
    MAX_PERIODS,
    MAX_VALUE,
    MIN_NOTE,
    side_of,
)
from app.trust.services.consequences import (
    close_breach,
    open_breaches,
    restore_baseline,
    trust_history_query,
)
from app.trust.services.evaluation import (
    Verdict,
    active_versions_query,
    connect_signals,
    evaluate_unit,
    indicator_verdict,
    is_wrong_side,
    units_to_evaluate,
)
from app.trust.services.readings import (
    CSV_HEADERS,
    MAX_CSV_BYTES,
    PERIOD_RE,
    CsvImportError,
    ItemError,
    LineError,
    ReadingErrors,
    ReadingInput,
    StoredReadings,
    field_label,
    import_readings_csv,
    parse_period,
    parse_readings_csv,
    parse_value,
    readings_query,
    record_readings,
    unit_kind_label,
    withdraw_reading,
)
from app.trust.services.sweep import crossed_indicator_boundaries, units_whose_verdict_may_change

__all__ = [
    "CSV_HEADERS",
    "KEY_RE",
    "MAX_BATCH",
    "MAX_CSV_BYTES",
    "MAX_DAYS",
    "MAX_PERIODS",
    "MAX_VALUE",
    "MIN_NOTE",
    "PERIOD_RE",
    "CsvImportError",
    "ItemError",
    "LineError",
    "ReadingErrors",
    "ReadingInput",
    "StoredReadings",
    "Verdict",
    "accept_version",
    "active_boundaries",
    "active_versions_query",
    "all_indicators",
    "boundaries_of",
    "close_breach",
    "connect_signals",
    "counted_boundaries",
    "create_indicator",
    "crossed_indicator_boundaries",
    "evaluate_unit",
    "field_label",
    "find_indicator",
    "import_readings_csv",
    "indicator_verdict",
    "is_wrong_side",
    "open_breaches",
    "parse_period",
    "parse_readings_csv",
    "parse_value",
    "propose_boundary",
    "readings_query",
    "record_readings",
    "reject_version",
    "restore_baseline",
    "side_of",
    "trust_history_query",
    "unit_kind_label",
    "units_to_evaluate",
    "units_whose_verdict_may_change",
    "update_indicator",
    "withdraw_reading",
    "withdraw_version",
]
