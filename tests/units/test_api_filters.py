"""Lists that scale (issue 16): `GET /api/v1/units` takes the kind and the owner (municipality) as filters, and a
unit member's list holds only their own units whatever the filters."""

from __future__ import annotations


def test_the_units_api_filters_by_kind_and_owner(client, api_token, make_unit, make_user):
    make_unit("Åby skola", kind="school", owner="Åby kommun")
    make_unit("Åby förskola", kind="preschool", owner="Åby kommun")
    eken = make_unit("Eken", kind="school", owner="Byns AB")
    headers = api_token(make_user("coordinator"))

    def names(query: str, who=headers) -> list[str]:
        response = client.get(f"/api/v1/units?{query}", headers=who)
        assert response.status_code == 200, response.json
        return [u["name"] for u in response.json["items"]]

    assert names("owner=Åby kommun&unit_kind=school") == ["Åby skola"]
    assert names("owner=Byns AB") == ["Eken"]
    assert client.get("/api/v1/units?unit_kind=castle", headers=headers).status_code == 422
    member = api_token(make_user("unit_member", units=[eken]))
    assert names("owner=Åby kommun", who=member) == []
    assert names("", who=member) == ["Eken"]
