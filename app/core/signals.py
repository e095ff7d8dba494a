"""Domain events between domains, so that dependencies keep pointing one way.

A service that changes something another domain reacts to sends a signal after its flush, inside its own
transaction. Receivers run synchronously in that transaction and follow the rules of services: they flush and
never commit, and they queue work only with ``enqueue_after_commit``. A receiver may veto a change by raising a
``DomainError`` from a ``before_*`` signal; the sender then changes nothing.

The visits domain does not import follow-ups or trust: follow-ups subscribe to ``before_visit_transition`` for
their gates (DESIGN.md 4.1, 4.4) and trust subscribes to ``finding_changed`` and ``follow_up_changed`` to
evaluate boundaries (4.3).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Visit (status not yet changed); kwargs: actor, to (VisitStatus), today (date).
# Raise a DomainError to refuse the move.
before_visit_transition = _signals.signal("before-visit-transition")

# sender: the Visit (status already changed and flushed); kwargs: actor, previous (VisitStatus).
visit_status_changed = _signals.signal("visit-status-changed")

# sender: the Visit a finding belongs to; kwargs: actor, finding (None when deleted), action
# ("create", "update" or "delete").
finding_changed = _signals.signal("finding-changed")

# sender: the FollowUp; kwargs: actor, previous (its status before, or None when created).
follow_up_changed = _signals.signal("follow-up-changed")

# sender: the person (User) about to become a member of units; kwargs: unit_ids (the units newly joined).
# Raise a DomainError to refuse the membership (jäv holds over time, DESIGN.md 4.6).
before_membership_added = _signals.signal("before-membership-added")

# sender: the Unit; kwargs: actor, readings (the stored Reading rows).
readings_stored = _signals.signal("readings-stored")
