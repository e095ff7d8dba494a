"""Boundaries are agreed, not imposed (DESIGN.md 4.3): a proposal is a version that comes into force only when the
other party accepts it, the version in force stays so until then, every version keeps who proposed and who answered;
and a unit has at most MAX_ACTIVE_BOUNDARIES boundaries."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from app.trust import labels, services
from app.trust.models import Boundary, BoundaryVersion, Breach, VersionStatus


@pytest.fixture
def parties(db, make_unit, make_user, make_indicator):
    unit = make_unit("Björkbacken")
    return {
        "unit": unit,
        "reviewer": make_user("reviewer", name="Rita Reviewer"),
        "member": make_user("unit_member", units=[unit], name="Elin Enhet"),
        "indicator": make_indicator("larm"),
    }


def propose(p, actor=None, **terms):
    terms.setdefault("kind", "indicator")
    if terms["kind"] == "indicator" and "boundary_id" not in terms:
        terms.setdefault("indicator", p["indicator"].key)
    if terms.get("indicator"):
        terms.setdefault("comparator", "<")
        terms.setdefault("threshold", 90)
        terms.setdefault("periods", 1)
    terms.setdefault("rationale", "Larm ska besvaras snabbt.")
    return services.propose_boundary(p["unit"].id, actor=actor or p["reviewer"], **terms)


def test_a_proposal_is_not_in_force_until_the_other_party_accepts(db, parties, report, enqueued):
    version = propose(parties)
    db.session.commit()

    assert report(parties["unit"], parties["indicator"], {"2029-01": 10}).breaches == []  # not in force: no breach

    services.accept_version(version.id, actor=parties["member"])
    db.session.commit()

    assert version.status == VersionStatus.active
    assert (version.accepted_by_id, version.accepted_at is not None) == (parties["member"].id, True)
    assert len(db.session.scalars(select(Breach)).all()) == 1  # accepting evaluates at once


def test_the_proposing_side_cannot_accept_its_own_proposal(db, parties, make_user):
    version = propose(parties)
    with pytest.raises(Forbidden):
        services.accept_version(version.id, actor=make_user("coordinator"))
    with pytest.raises(Forbidden):
        services.accept_version(version.id, actor=parties["reviewer"])


def test_a_unit_member_proposes_and_a_reviewer_accepts(db, parties):
    version = propose(parties, actor=parties["member"])
    assert version.proposed_by_side.value == "unit"
    with pytest.raises(Forbidden):
        services.accept_version(version.id, actor=parties["member"])
    services.accept_version(version.id, actor=parties["reviewer"])
    assert version.status == VersionStatus.active


def test_a_peer_reviewer_who_belongs_to_the_unit_speaks_for_the_unit(db, parties, make_user):
    peer = make_user("reviewer", "unit_member", units=[parties["unit"]])
    version = propose(parties)
    services.accept_version(version.id, actor=peer)
    assert version.accepted_by_id == peer.id


def test_a_member_of_another_unit_cannot_see_or_answer_the_proposal(db, parties, make_user, make_unit):
    outsider = make_user("unit_member", units=[make_unit("Annan")])
    version = propose(parties)
    with pytest.raises(NotFound):
        services.accept_version(version.id, actor=outsider)
    with pytest.raises(NotFound):
        propose(parties, actor=outsider)


def test_the_version_in_force_stays_in_force_until_its_successor_is_accepted(db, parties, report, enqueued):
    first = propose(parties, threshold=50)
    services.accept_version(first.id, actor=parties["member"])
    db.session.commit()
    change = propose(parties, boundary_id=first.boundary_id, indicator="larm", threshold=90)
    db.session.commit()

    assert (
        report(parties["unit"], parties["indicator"], {"2029-01": 70}).breaches == []
    )  # 70 is not below the threshold in force (50)

    services.accept_version(change.id, actor=parties["member"])
    db.session.commit()

    db.session.expire_all()
    assert (first.status, first.superseded_at is not None) == (VersionStatus.superseded, True)
    assert change.status == VersionStatus.active
    assert len(db.session.scalars(select(Breach)).all()) == 1  # the new terms apply to the readings at once


def test_a_declined_proposal_keeps_what_was_in_force_and_the_reason(db, parties):
    first = propose(parties, threshold=50)
    services.accept_version(first.id, actor=parties["member"])
    change = propose(parties, boundary_id=first.boundary_id, indicator="larm", threshold=95)

    services.reject_version(change.id, actor=parties["member"], reason="95 % är inte rimligt nattetid.")

    assert (change.status, change.rejected_by_id, change.rejection_reason) == (
        VersionStatus.rejected,
        parties["member"].id,
        "95 % är inte rimligt nattetid.",
    )
    assert first.status == VersionStatus.active


def test_declining_needs_no_reason_but_only_the_other_party_may(db, parties):
    version = propose(parties)
    with pytest.raises(Forbidden):
        services.reject_version(version.id, actor=parties["reviewer"])
    services.reject_version(version.id, actor=parties["member"])
    assert version.rejection_reason is None


def test_only_the_proposing_side_withdraws_and_an_answered_proposal_cannot_be(db, parties):
    version = propose(parties)
    with pytest.raises(Forbidden):
        services.withdraw_version(version.id, actor=parties["member"])
    services.withdraw_version(version.id, actor=parties["reviewer"])
    assert version.status == VersionStatus.withdrawn
    with pytest.raises(DomainError):
        services.accept_version(version.id, actor=parties["member"])


def test_one_proposal_at_a_time_per_boundary(db, parties):
    first = propose(parties)
    services.accept_version(first.id, actor=parties["member"])
    propose(parties, boundary_id=first.boundary_id, indicator="larm", threshold=80)
    with pytest.raises(DomainError) as refused:
        propose(parties, actor=parties["member"], boundary_id=first.boundary_id, indicator="larm", threshold=70)
    assert "väntar redan på svar" in refused.value.message


def test_every_version_keeps_who_proposed_and_who_answered(db, parties):
    first = propose(parties)
    services.accept_version(first.id, actor=parties["member"])
    second = propose(parties, actor=parties["member"], boundary_id=first.boundary_id, indicator="larm", threshold=80)
    services.reject_version(second.id, actor=parties["reviewer"], reason="Vi behåller 90.")
    db.session.commit()

    [boundary] = services.boundaries_of(parties["unit"].id)
    assert [(v.number, v.status, v.proposed_by.name) for v in boundary.versions] == [
        (1, VersionStatus.active, "Rita Reviewer"),
        (2, VersionStatus.rejected, "Elin Enhet"),
    ]
    assert boundary.versions[0].accepted_by.name == "Elin Enhet"
    assert boundary.versions[1].rejected_by.name == "Rita Reviewer"


def test_the_database_refuses_two_versions_in_force_for_one_boundary(db, parties):
    first = propose(parties)
    services.accept_version(first.id, actor=parties["member"])
    db.session.commit()
    db.session.add(
        BoundaryVersion(
            boundary_id=first.boundary_id, number=2, status=VersionStatus.active, proposed_by_side="supervisor"
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# ---- ending a boundary ----------------------------------------------------------------------------


def test_an_agreed_end_takes_the_boundary_out_of_force(db, parties, report, enqueued):
    first = propose(parties)
    services.accept_version(first.id, actor=parties["member"])
    end = propose(
        parties,
        actor=parties["member"],
        boundary_id=first.boundary_id,
        ends_boundary=True,
        kind=None,
        rationale="Larmen fungerar nu stabilt sedan ett år.",
    )
    services.accept_version(end.id, actor=parties["reviewer"])
    db.session.commit()

    assert (first.status, end.status) == (VersionStatus.superseded, VersionStatus.ended)
    assert db.session.get(Boundary, first.boundary_id).ended_at is not None
    assert report(parties["unit"], parties["indicator"], {"2029-01": 10}).breaches == []
    with pytest.raises(DomainError):
        propose(parties, boundary_id=first.boundary_id, indicator="larm")


def test_ending_needs_a_reason_and_a_boundary_in_force(db, parties):
    pending = propose(parties)
    with pytest.raises(DomainError):
        propose(parties, boundary_id=pending.boundary_id, ends_boundary=True, kind=None, rationale="Behövs inte.")
    services.withdraw_version(pending.id, actor=parties["reviewer"])
    with pytest.raises(InvalidInput):
        propose(parties, ends_boundary=True, rationale="Ingen gräns vald.")


# ---- validation -----------------------------------------------------------------------------------


def test_a_proposal_with_bad_terms_names_every_field(db, parties):
    with pytest.raises(InvalidInput) as refused:
        services.propose_boundary(
            parties["unit"].id,
            actor=parties["reviewer"],
            kind="indicator",
            indicator="finns_inte",
            comparator="==",
            threshold="mycket",
            periods="0",
            rationale="",
        )
    assert set(refused.value.errors) == {"indicator", "comparator", "threshold", "periods", "rationale"}
    assert db.session.scalars(select(Boundary)).all() == []


def test_one_boundary_of_each_event_kind_per_unit(db, parties):
    propose(parties, kind="serious_deviation")
    with pytest.raises(DomainError):
        propose(parties, kind="serious_deviation")
    propose(parties, kind="overdue_follow_up", days=14)
    with pytest.raises(DomainError):
        propose(parties, kind="overdue_follow_up", days=30)


# ---- the limit of active boundaries ---------------------------------------------------------------


def test_proposing_a_new_boundary_beyond_the_limit_is_refused_counting_new_proposals(app, db, parties):
    app.config["MAX_ACTIVE_BOUNDARIES"] = 2
    first = propose(parties)
    services.accept_version(first.id, actor=parties["member"])
    propose(parties, kind="serious_deviation")  # waiting for acceptance: counts

    with pytest.raises(DomainError) as refused:
        propose(parties, kind="overdue_follow_up", days=30)

    assert refused.value.status == 409
    assert "Björkbacken har redan 2 av högst 2 förtroendegränser" in refused.value.message


def test_a_change_to_a_boundary_in_force_is_not_counted_again(app, db, parties):
    app.config["MAX_ACTIVE_BOUNDARIES"] = 1
    first = propose(parties)
    services.accept_version(first.id, actor=parties["member"])
    change = propose(parties, boundary_id=first.boundary_id, indicator="larm", threshold=85)
    services.accept_version(change.id, actor=parties["member"])
    assert services.active_boundaries(parties["unit"].id) == 1


def test_a_declined_or_withdrawn_new_boundary_frees_its_place(app, db, parties):
    app.config["MAX_ACTIVE_BOUNDARIES"] = 1
    services.withdraw_version(propose(parties, kind="serious_deviation").id, actor=parties["reviewer"])
    services.reject_version(propose(parties, kind="overdue_follow_up", days=5).id, actor=parties["member"])
    assert propose(parties).status == VersionStatus.proposed


def test_accepting_a_new_boundary_beyond_a_lowered_limit_is_refused(app, db, parties):
    first = propose(parties)
    second = propose(parties, kind="serious_deviation")
    services.accept_version(first.id, actor=parties["member"])
    app.config["MAX_ACTIVE_BOUNDARIES"] = 1
    with pytest.raises(DomainError):
        services.accept_version(second.id, actor=parties["member"])
    assert second.status == VersionStatus.proposed


# ---- the boundary as a sentence -------------------------------------------------------------------


def test_each_boundary_reads_as_a_plain_swedish_sentence(app, db, parties):
    indicator_version = propose(parties, threshold=90, periods=3, comparator="<")
    follow_up_version = propose(parties, kind="overdue_follow_up", days=30, rationale="Det vi lovar ska bli gjort.")
    deviation_version = propose(parties, kind="serious_deviation", rationale="Allvarliga brister följs upp.")

    assert labels.sentence(indicator_version) == (
        "Vi bevakar indikatorn ”Andel larm besvarade inom 10 minuter”. Vi tittar närmare på det tillsammans när "
        "var och en av de 3 senast rapporterade månaderna är under 90 %. Varför: Larm ska besvaras snabbt."
    )
    assert labels.sentence(follow_up_version) == (
        "Vi bevakar de åtgärder vi har kommit överens om. Vi tittar närmare på det tillsammans när en överenskommen "
        "åtgärd är mer än 30 dagar försenad utan att ha rapporterats som klar. Varför: Det vi lovar ska bli gjort."
    )
    assert labels.sentence(deviation_version).startswith("Vi bevakar allvarliga brister")


def test_the_sentence_follows_the_readers_language(app, db, parties):
    from flask_babel import force_locale

    version = propose(parties, threshold=92.5, periods=1, comparator=">=")
    with force_locale("en"):
        assert labels.when_closer(version) == (
            "We look closer together when the latest reported month is at or above 92.5 %."
        )
    with force_locale("sv"):
        assert labels.when_closer(version) == (
            "Vi tittar närmare på det tillsammans när den senast rapporterade månaden är minst 92,5 %."
        )
