"""A ledger line renders the same from the driver (the create answer, `EntryRow` from the
insert's RETURNING) and from the ORM (the single read): generated entries prove it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import unique

V = "/api/v1"
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), st.sampled_from("ab12")
    ),
    min_size=1,
    max_size=40,
)
ENTRIES = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["bonus", "deduction"]),
        "points": st.integers(min_value=1, max_value=20),
        "day": st.integers(min_value=1, max_value=28),
    },
    optional={"note": TEXT, "evidence": TEXT},
)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(entry=ENTRIES)
async def test_an_entry_renders_the_same_from_the_driver_and_from_the_orm(api, county, entry):
    token = county.county_admin
    rule = {
        "org_id": county.county["id"],
        "code": unique("R"),
        "name": "学习",
        "category": entry["category"],
        "points": entry["points"],
        "needs_approval": False,
        "needs_evidence": "evidence" in entry,
    }
    r = await api.client.post(V + "/point-rules", json=rule, headers=api.auth(token))
    assert r.status_code == 201, r.text
    member = await api.member(token, county.branch_a["id"])
    body = {
        "member_id": member["id"],
        "rule_id": r.json()["id"],
        "occurred_on": f"2026-11-{entry['day']:02d}",
        "source_key": unique("k"),
        **{k: entry[k] for k in ("note", "evidence") if k in entry},
    }
    created = await api.client.post(V + "/point-entries", json=body, headers=api.auth(token))
    assert created.status_code == 201, created.text
    read = await api.client.get(
        V + f"/point-entries/{created.json()['id']}", headers=api.auth(token)
    )
    assert read.status_code == 200, read.text
    assert read.json() == created.json()
