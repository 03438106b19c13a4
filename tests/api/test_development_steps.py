"""The admission record (发展党员全程纪实): the step catalogue, a member's steps, and the
gates they set on the way in: each transition needs the steps of its stage done, in
order and in time, by its day; another subtree sees nothing."""

from __future__ import annotations

from datetime import date

import pytest
from support import admission_meeting

V = "/api/v1"
TODAY = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("frozen_today")  # every test on `TODAY`


class Record:
    """One member's admission record, driven over the API by an administrator."""

    def __init__(self, api, token, member):
        self.api, self.token, self.id = api, token, member["id"]
        self.org_id = member["org_id"]

    async def step(self, step, on, **extra):
        return await self.api.client.post(
            f"{V}/members/{self.id}/development-steps",
            json={"step": step, "done_on": on, **extra},
            headers=self.api.auth(self.token),
        )

    async def done(self, step, on, **extra):
        r = await self.step(step, on, **extra)
        assert r.status_code == 201, (step, r.text)
        return r.json()

    async def move(self, to_status, on, **extra):
        return await self.api.client.post(
            f"{V}/members/{self.id}/transitions",
            json={"to_status": to_status, "effective_date": on, **extra},
            headers=self.api.auth(self.token),
        )

    async def moved(self, to_status, on, **extra):
        r = await self.move(to_status, on, **extra)
        assert r.status_code == 201, (to_status, r.text)

    async def notice(self, starts_on, working_days=5):
        r = await self.api.client.post(
            f"{V}/members/{self.id}/notices",
            json={"kind": "admission", "starts_on": starts_on, "working_days": working_days},
            headers=self.api.auth(self.token),
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def form_number(self, prefix, on):
        r = await self.api.client.post(
            f"{V}/form-number-ranges",
            json={"org_id": self.org_id, "prefix": prefix, "first_number": 1, "last_number": 9},
            headers=self.api.auth(self.token),
        )
        assert r.status_code == 201, r.text
        r = await self.api.client.post(
            f"{V}/members/{self.id}/form-number",
            json={"prefix": prefix, "number": 7, "used_on": on},
            headers=self.api.auth(self.token),
        )
        assert r.status_code == 201, r.text

    async def steps(self, token=None):
        return await self.api.client.get(
            f"{V}/members/{self.id}/development-steps",
            headers=self.api.auth(token or self.token),
        )


def refused(r, code, step):
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["code"] == code, body
    assert body["errors"][0]["step"] == step, body


async def _record(api, county, status="applicant", **dates):
    token = county.county_admin
    member = await api.member(token, county.branch_a["id"], status=status, **dates)
    return Record(api, token, member)


async def _contact(api, county):
    return (await api.member(county.county_admin, county.branch_a["id"]))["id"]


async def test_a_scripted_admission_passes_every_gate_only_with_every_step(api, county):
    rec = await _record(api, county, applied_on="2022-03-01")
    secretary = await _contact(api, county)
    # Stage 1: the talk within a month of the application.
    refused(await rec.move("activist", "2022-06-01"), "lifecycle.step_missing", "talk")
    await rec.done("application", "2022-03-01", responsible_ids=[secretary])
    talk = await rec.done("talk", "2022-03-20", responsible_ids=[secretary], result="谈话合格")
    r = await api.client.post(
        f"{V}/development-steps/{talk['id']}/attachments",
        files={"file": ("谈话记录.pdf", b"%PDF-1.7\n" + b"x" * 200 + b"\n%%EOF\n")},
        headers=api.auth(rec.token),
    )
    assert r.status_code == 201, r.text  # the talk's notes, filed with the step
    await rec.done("recommendation", "2022-05-10", notes="团支部推优")
    await rec.moved("activist", "2022-06-01")
    # Stage 2: contacts, then a review each half-year before candidacy.
    contact = await _contact(api, county)
    refused(
        await rec.move("candidate", "2023-06-01"), "lifecycle.step_missing", "contacts_assigned"
    )
    await rec.done("contacts_assigned", "2022-06-01", responsible_ids=[contact, secretary])
    await rec.done("activist_review", "2022-12-01", result="合格")
    refused(await rec.move("candidate", "2023-06-01"), "lifecycle.step_missing", "activist_review")
    await rec.done("activist_review", "2023-06-01", result="合格")
    await rec.moved("candidate", "2023-06-01")
    # Stages 3 and 4: review, training, pre-review, 公示, 志愿书, then the vote.
    meeting = await admission_meeting(
        api, rec.token, county.branch_a["id"], rec.id, "2023-10-09", add_voter=False
    )
    admit = {"meeting_id": meeting}
    refused(await rec.move("probationary", "2023-10-09", **admit), "lifecycle.step_missing",
            "political_review")  # fmt: skip
    await rec.done("political_review", "2023-07-01", result="政治合格")
    await rec.done("training", "2023-07-10", training_hours=24)
    await rec.done("pre_review", "2023-08-01")
    refused(await rec.move("probationary", "2023-10-09", **admit), "lifecycle.step_missing",
            "notice")  # fmt: skip
    await rec.notice("2023-08-07")
    refused(await rec.move("probationary", "2023-10-09", **admit), "lifecycle.step_missing",
            "form_issued")  # fmt: skip
    await rec.form_number("DJ2023-", "2023-08-15")
    await rec.moved("probationary", "2023-10-09", **admit)
    # Stages 4 and 5: talk and approval above, the oath, quarterly reviews, the application.
    refused(await rec.move("full", "2024-10-09"), "lifecycle.step_missing", "committee_talk")
    await rec.done("committee_talk", "2023-11-01")
    await rec.done("approval", "2023-12-01", result="同意接收")
    await rec.done("oath", "2023-12-15")
    for on in ("2024-01-09", "2024-04-09", "2024-07-09"):
        await rec.done("probation_review", on)
    refused(await rec.move("full", "2024-10-09"), "lifecycle.step_missing", "probation_review")
    await rec.done("probation_review", "2024-10-09")
    refused(await rec.move("full", "2024-10-09"), "lifecycle.step_missing", "full_application")
    await rec.done("full_application", "2024-09-20")
    await rec.moved("full", "2024-10-09")
    # After the last transition: approval above, then filing, each checked as recorded.
    refused(await rec.step("filing", "2024-12-01"), "lifecycle.step_missing", "full_approval")
    refused(await rec.step("full_approval", "2024-10-01"), "lifecycle.step_missing", "full_vote")
    await rec.done("full_approval", "2024-11-01")
    await rec.done("filing", "2024-12-01")
    r = await rec.steps()
    assert r.status_code == 200
    items = r.json()["items"]
    reviews = ("activist_review", "probation_review")
    assert [i["step"] for i in items if i["step"] not in reviews] == [
        "application", "application", "talk", "recommendation", "activist_decision",
        "contacts_assigned", "candidate_decision", "political_review", "training", "pre_review",
        "notice", "form_issued", "admission_vote", "committee_talk", "approval", "oath",
        "full_application", "full_vote", "full_approval", "filing",
    ]  # fmt: skip
    by_step = {i["step"]: i for i in items}
    assert by_step["form_issued"]["form_number"] == "DJ2023-7"
    assert by_step["form_issued"]["source"] == "form_number"
    assert (
        by_step["notice"]["source"] == "notice"
        and by_step["notice"]["notice_ends_on"] == "2023-08-11"
    )
    assert by_step["admission_vote"]["done_on"] == "2023-10-09"
    assert by_step["contacts_assigned"]["responsible_ids"] == [contact, secretary]
    assert [i["stage"] for i in items] == sorted(i["stage"] for i in items)


async def test_a_talk_more_than_a_month_after_the_application_is_late(api, county):
    rec = await _record(api, county, applied_on="2026-01-10")
    await rec.done("talk", "2026-02-11")
    refused(await rec.move("activist", "2026-03-01"), "lifecycle.step_late", "talk")


async def test_a_step_dated_before_the_step_it_follows_is_early(api, county):
    rec = await _record(
        api, county, status="candidate", applied_on="2024-01-01", activist_on="2024-03-01",
        candidate_on="2025-04-01",
    )  # fmt: skip
    await rec.done("political_review", "2025-06-01")
    await rec.done("training", "2025-05-01", training_hours=30)
    await rec.done("pre_review", "2025-05-20")  # before the political review
    await rec.notice("2025-06-02")
    await rec.form_number("EARLY-", "2025-06-10")
    meeting = await admission_meeting(api, rec.token, county.branch_a["id"], rec.id, "2026-11-10")
    r = await rec.move("probationary", "2026-11-10", meeting_id=meeting)
    refused(r, "lifecycle.step_early", "pre_review")


async def test_the_vote_before_the_notice_has_run_its_course_is_early(api, county):
    rec = await _record(
        api, county, status="candidate", applied_on="2024-01-01", activist_on="2024-03-01",
        candidate_on="2025-04-01",
    )  # fmt: skip
    for step, on in (("political_review", "2026-09-01"), ("pre_review", "2026-10-01")):
        await rec.done(step, on)
    await rec.done("training", "2026-09-10", training_hours=24)
    await rec.notice("2026-11-04")  # Wednesday to Tuesday 10 November, the vote's day
    await rec.form_number("NOTICE-", "2026-10-20")
    meeting = await admission_meeting(api, rec.token, county.branch_a["id"], rec.id, "2026-11-10")
    r = await rec.move("probationary", "2026-11-10", meeting_id=meeting)
    refused(r, "lifecycle.step_early", "notice")


async def test_an_approval_after_six_months_is_late(api, county):
    rec = await _record(api, county, status="probationary", joined_on="2025-06-01")
    await rec.done("committee_talk", "2025-07-01")
    await rec.done("approval", "2025-12-02")
    r = await rec.move("full", "2026-06-01")
    refused(r, "lifecycle.step_late", "approval")


async def test_candidacy_before_a_year_as_activist_keeps_its_own_code(api, county):
    rec = await _record(
        api, county, status="activist", applied_on="2025-01-10", activist_on="2025-03-01"
    )
    r = await rec.move("candidate", "2026-02-28")
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.activist_period_too_short"


async def test_recommendation_is_needed_where_the_subtree_requires_it(api, county):
    r = await api.client.put(
        f"{V}/organisations/{county.town_a['id']}/policies",
        json={"values": {"development_recommendation": "required"}},
        headers=api.auth(county.county_admin),
    )
    assert r.status_code == 200, r.text
    rec = await _record(api, county, applied_on="2026-05-01")
    await rec.done("talk", "2026-05-20")
    refused(await rec.move("activist", "2026-09-01"), "lifecycle.step_missing", "recommendation")
    await rec.done("recommendation", "2026-06-01")
    await rec.moved("activist", "2026-09-01")


async def test_training_shorter_than_the_policy_is_refused(api, county):
    rec = await _record(api, county, status="candidate", applied_on="2024-01-01",
                        activist_on="2024-03-01", candidate_on="2025-04-01")  # fmt: skip
    r = await rec.step("training", "2025-05-01", training_hours=23)
    assert r.status_code == 422 and r.json()["code"] == "lifecycle.step_hours_too_few"
    r = await rec.step("training", "2025-05-01")
    assert r.status_code == 422 and r.json()["code"] == "lifecycle.step_hours_too_few"


async def test_contacts_are_one_or_two_full_members(api, county):
    rec = await _record(api, county, status="activist", applied_on="2025-01-10",
                        activist_on="2025-03-01")  # fmt: skip
    three = [await _contact(api, county) for _ in range(3)]
    r = await rec.step("contacts_assigned", "2025-03-01", responsible_ids=three)
    assert r.status_code == 422 and r.json()["code"] == "lifecycle.step_responsible_invalid"
    applicant = await api.member(county.county_admin, county.branch_a["id"], status="applicant")
    r = await rec.step("contacts_assigned", "2025-03-01", responsible_ids=[applicant["id"]])
    assert r.status_code == 422 and r.json()["code"] == "lifecycle.step_responsible_invalid"


async def test_a_step_is_recorded_once_and_never_duplicates_its_own_record(api, county):
    rec = await _record(api, county, applied_on="2026-05-01")
    await rec.done("talk", "2026-05-20")
    r = await rec.step("talk", "2026-05-21")
    assert r.status_code == 409 and r.json()["code"] == "lifecycle.step_already_recorded"
    for step in ("notice", "form_issued", "admission_vote", "activist_decision"):
        r = await rec.step(step, "2026-05-21")
        assert r.status_code == 409 and r.json()["code"] == "lifecycle.step_recorded_elsewhere"
    r = await rec.step("oath", "2026-11-25")
    assert r.status_code == 422 and r.json()["code"] == "lifecycle.effective_date_in_future"


async def test_another_subtree_sees_no_steps_and_records_none(api, county):
    rec = await _record(api, county, applied_on="2026-05-01")
    await rec.done("talk", "2026-05-20")
    assert (await rec.steps(county.admin_b)).status_code == 404
    r = await api.client.post(
        f"{V}/members/{rec.id}/development-steps",
        json={"step": "oath", "done_on": "2026-06-01"},
        headers=api.auth(county.admin_b),
    )
    assert r.status_code == 404
    other = await api.member(county.admin_b, county.branch_b["id"])
    mine = Record(api, county.admin_a, {"id": rec.id, "org_id": rec.org_id})
    r = await mine.step("application", "2026-05-01", responsible_ids=[other["id"]])
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "responsible_ids"


async def test_the_catalogue_lists_the_steps_in_five_stages(api, county):
    r = await api.client.get(
        f"{V}/development-steps/catalogue", headers=api.auth(county.county_admin)
    )
    assert r.status_code == 200
    body = r.json()
    assert body["catalogue_version"] == "2014-06"
    assert [s["number"] for s in body["stages"]] == [1, 2, 3, 4, 5]
    steps = {s["step"]: s for stage in body["stages"] for s in stage["steps"]}
    assert len(steps) == 21
    assert steps["talk"]["gates"] == "activist" and steps["talk"]["follows"] == ["application"]
    assert steps["contacts_assigned"]["responsible_max"] == 2
    assert steps["form_issued"]["evidence_from"] == "form_number"
