"""A member renders the same whichever way it was loaded: the ORM object a write holds
(`MemberRow.of`, the create answer) and the driver rows of the hot reads (one member,
the list) all go through the one read model, `MemberRow`; generated records prove it."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services.code_lists import EDUCATION_ALIASES, EDUCATIONS, ETHNICITIES
from app.services.members.access import AUDITED_FIELDS
from app.services.members.rows import RENDERED_COLUMNS

V = "/api/v1"
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
WORDS = st.text(alphabet=st.one_of(HAN, st.sampled_from("ABCxyz0123")), min_size=1, max_size=30)

RECORDS = st.fixed_dictionaries(
    {"name": st.text(alphabet=HAN, min_size=1, max_size=12)},
    optional={
        "phone": st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
        "ethnicity": st.sampled_from([*ETHNICITIES, *ETHNICITIES.values()]),
        "education": st.sampled_from([*EDUCATIONS, *EDUCATIONS.values(), *EDUCATION_ALIASES]),
        "work_unit": WORDS,
        "residence": WORDS,
        "dues_base_fen": st.integers(min_value=0, max_value=10**9),
        "category": st.sampled_from(["employed", "retired", "farmer"]),
    },
)


def test_the_read_model_carries_every_rendered_field():
    assert set(AUDITED_FIELDS) <= set(RENDERED_COLUMNS)
    assert {"id", "id_number_enc", "phone_enc", "org_path", "version"} <= set(RENDERED_COLUMNS)


async def _get(api: Any, token: str, url: str, **params: Any) -> Any:
    r = await api.client.get(V + url, params=params, headers=api.auth(token))
    assert r.status_code == 200, r.text
    return r.json()


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(record=RECORDS)
async def test_a_member_renders_the_same_from_the_orm_and_from_the_driver(api, county, record):
    branch = county.branch_a["id"]
    created = await api.member(county.county_admin, branch, **record)  # ORM: MemberRow.of
    for token in (county.county_admin, county.admin_a):
        one = await _get(api, token, f"/members/{created['id']}")  # driver: read_visible
        page = await _get(api, token, "/members", org_id=branch, limit=500)  # driver: list
        listed = [m for m in page["items"] if m["id"] == created["id"]]
        assert listed == [one]
        if token == county.county_admin:
            assert one == created
