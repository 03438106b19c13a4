"""Attachments: members' 纪实 materials and meetings' minutes and photos, stored in
PostgreSQL by default; typed by content, limited in size, scoped like their owner,
deleted as tombstones, downloads audited."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
import zipfile

from app.config import get_settings

V = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" + b"x" * 3000 + b"\n%%EOF\n"


async def _upload(api, token, path, name, content, content_type=None, **form):
    files = {"file": (name, content, content_type or "application/octet-stream")}
    return await api.client.post(
        f"{V}/{path}/attachments", files=files, data=form, headers=api.auth(token)
    )


async def _meeting(api, token, org_id):
    r = await api.client.post(
        f"{V}/meetings",
        json={"org_id": org_id, "type": "theme_day", "held_on": "2026-11-02", "topic": "主题党日"},
        headers=api.auth(token),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_member_file_uploads_lists_and_downloads_with_its_hash(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    path = f"members/{member['id']}"
    r = await _upload(api, county.admin_a, path, "入党申请书.pdf", PDF, "application/pdf",
                      description="入党申请书扫描件")  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["media_type"] == "application/pdf"
    assert body["size_bytes"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert r.headers["Location"] == f"{V}/attachments/{body['id']}"

    listed = await api.client.get(f"{V}/{path}/attachments", headers=api.auth(county.admin_a))
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()["items"]] == [body["id"]]
    assert listed.json()["items"][0]["filename"] == "入党申请书.pdf"

    got = await api.client.get(
        f"{V}/attachments/{body['id']}/content", headers=api.auth(county.admin_a)
    )
    assert got.status_code == 200, got.text
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    digest = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    assert got.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert "filename*=UTF-8''" in got.headers["content-disposition"]


async def test_a_file_larger_than_one_chunk_comes_back_whole(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    big = PNG + bytes(range(256)) * 10_000  # about 2.5 MiB: three database chunks
    r = await _upload(api, county.admin_a, f"members/{member['id']}", "照片.png", big)
    assert r.status_code == 201, r.text
    got = await api.client.get(
        f"{V}/attachments/{r.json()['id']}/content", headers=api.auth(county.admin_a)
    )
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(big).hexdigest()
    assert got.headers["content-length"] == str(len(big))


async def test_png_content_under_a_pdf_name_is_refused(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await _upload(api, county.admin_a, f"members/{member['id']}", "决议.pdf", PNG)
    assert r.status_code == 422, r.text
    error = r.json()["errors"][0]
    assert (error["field"], error["code"]) == ("file", "attachment.type_mismatch")


async def test_a_declared_type_that_contradicts_the_content_is_refused(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await _upload(
        api, county.admin_a, f"members/{member['id']}", "scan", PNG, "application/pdf"
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "attachment.type_mismatch"


async def test_content_of_a_type_not_allowed_is_refused_whatever_its_name(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "x")
    for name, content in (("决议.pdf", b"plain text, not a PDF"), ("材料.zip", archive.getvalue())):
        r = await _upload(api, county.admin_a, f"members/{member['id']}", name, content)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["code"] == "attachment.type_not_allowed"


async def test_an_xlsx_is_recognised_from_its_content(api, county):
    import openpyxl

    workbook, out = openpyxl.Workbook(), io.BytesIO()
    workbook.save(out)
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await _upload(api, county.admin_a, f"members/{member['id']}", "考察表.xlsx", out.getvalue())
    assert r.status_code == 201, r.text
    assert r.json()["media_type"].endswith("spreadsheetml.sheet")


async def test_a_description_holding_a_control_character_is_refused(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    path = f"members/{member['id']}"
    r = await _upload(api, county.admin_a, path, "a.png", PNG, description="说明\x00")
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "description")


async def test_a_file_over_the_size_limit_is_refused_and_an_empty_one_too(api, county, monkeypatch):
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", len(PNG) - 1)
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await _upload(api, county.admin_a, f"members/{member['id']}", "p.png", PNG)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["code"] == "attachment.too_large"
    r = await _upload(api, county.admin_a, f"members/{member['id']}", "p.png", b"")
    assert r.json()["errors"][0]["code"] == "attachment.empty"
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", len(PNG))
    r = await _upload(api, county.admin_a, f"members/{member['id']}", "p.png", PNG)
    assert r.status_code == 201, r.text


async def test_a_deleted_file_leaves_the_list_and_cannot_be_downloaded(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    path = f"members/{member['id']}"
    kept = (await _upload(api, county.admin_a, path, "a.png", PNG)).json()
    gone = (await _upload(api, county.admin_a, path, "b.pdf", PDF)).json()
    r = await api.client.delete(f"{V}/attachments/{gone['id']}", headers=api.auth(county.admin_a))
    assert r.status_code == 204, r.text
    listed = await api.client.get(
        f"{V}/{path}/attachments", params={"include_total": "true"},
        headers=api.auth(county.admin_a),
    )  # fmt: skip
    assert [a["id"] for a in listed.json()["items"]] == [kept["id"]]
    assert listed.json()["total"] == 1
    for url in (f"attachments/{gone['id']}/content", f"attachments/{gone['id']}"):
        r = await api.client.get(f"{V}/{url}", headers=api.auth(county.admin_a))
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "attachment.not_found"
    r = await api.client.delete(f"{V}/attachments/{gone['id']}", headers=api.auth(county.admin_a))
    assert r.status_code == 404
    events = await api.client.get(
        f"{V}/audit-events", params={"resource": "attachment", "resource_id": gone["id"]},
        headers=api.auth(county.admin_a),
    )  # fmt: skip
    actions = [e["action"] for e in events.json()["items"]]
    assert sorted(actions) == ["attachment.added", "attachment.deleted"]


async def test_another_subtree_gets_404_and_sees_nothing(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    path = f"members/{member['id']}"
    row = (await _upload(api, county.admin_a, path, "a.png", PNG)).json()
    other = api.auth(county.admin_b)
    r = await api.client.get(f"{V}/{path}/attachments", headers=other)
    assert (r.status_code, r.json()["code"]) == (404, "member.not_found")
    r = await _upload(api, county.admin_b, path, "b.png", PNG)
    assert (r.status_code, r.json()["code"]) == (404, "member.not_found")
    for method, url in (
        ("GET", f"attachments/{row['id']}"),
        ("GET", f"attachments/{row['id']}/content"),
        ("DELETE", f"attachments/{row['id']}"),
    ):
        r = await api.client.request(method, f"{V}/{url}", headers=other)
        assert (r.status_code, r.json()["code"]) == (404, "attachment.not_found"), url
    # Still there for its own subtree, and nobody downloaded it from the other.
    r = await api.client.get(f"{V}/{path}/attachments", headers=api.auth(county.admin_a))
    assert [a["id"] for a in r.json()["items"]] == [row["id"]]


async def test_every_download_is_audited_under_its_owner(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    row = (await _upload(api, county.admin_a, f"members/{member['id']}", "a.png", PNG)).json()
    for _ in range(2):
        r = await api.client.get(
            f"{V}/attachments/{row['id']}/content", headers=api.auth(county.county_admin)
        )
        assert r.status_code == 200
    events = await api.client.get(
        f"{V}/audit-events", params={"resource": "attachment", "resource_id": row["id"]},
        headers=api.auth(county.county_admin),
    )  # fmt: skip
    actions = [e["action"] for e in events.json()["items"]]
    assert actions.count("attachment.downloaded") == 2
    assert actions.count("attachment.added") == 1
    downloaded = next(e for e in events.json()["items"] if e["action"] == "attachment.downloaded")
    assert downloaded["actor_username"] is not None
    assert downloaded["after"]["owner_id"] == member["id"]
    assert downloaded["after"]["sha256"] == row["sha256"]


async def test_meeting_photos_and_minutes_are_kept_on_the_meeting(api, county):
    meeting = await _meeting(api, county.admin_a, county.branch_a["id"])
    path = f"meetings/{meeting['id']}"
    photo = await _upload(api, county.admin_a, path, "主题党日.jpg", b"\xff\xd8\xff\xe0" + PNG[8:])
    assert photo.status_code == 201, photo.text
    assert photo.json()["media_type"] == "image/jpeg"
    listed = await api.client.get(f"{V}/{path}/attachments", headers=api.auth(county.admin_a))
    assert [a["id"] for a in listed.json()["items"]] == [photo.json()["id"]]
    r = await api.client.get(f"{V}/{path}/attachments", headers=api.auth(county.admin_b))
    assert (r.status_code, r.json()["code"]) == (404, "meeting.not_found")
    r = await api.client.get(
        f"{V}/attachments/{photo.json()['id']}/content", headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404


async def test_an_auditor_may_read_but_not_upload_or_delete(api, county):
    member = await api.member(county.admin_a, county.branch_a["id"])
    path = f"members/{member['id']}"
    row = (await _upload(api, county.admin_a, path, "a.png", PNG)).json()
    _, auditor = await api.user(county.admin_a, "auditor", county.town_a["id"])
    r = await api.client.get(f"{V}/attachments/{row['id']}/content", headers=api.auth(auditor))
    assert r.status_code == 200
    r = await _upload(api, auditor, path, "b.png", PNG)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    r = await api.client.delete(f"{V}/attachments/{row['id']}", headers=api.auth(auditor))
    assert r.status_code == 403


async def test_a_member_user_reads_its_own_files_and_gets_404_for_another_members(api, county):
    me = await api.member(county.admin_a, county.branch_a["id"])
    other = await api.member(county.admin_a, county.branch_a["id"])
    _, token = await api.user(county.admin_a, "member", county.branch_a["id"], member_id=me["id"])
    mine = (await _upload(api, county.admin_a, f"members/{me['id']}", "a.png", PNG)).json()
    theirs = (await _upload(api, county.admin_a, f"members/{other['id']}", "b.png", PNG)).json()
    r = await api.client.get(f"{V}/members/{me['id']}/attachments", headers=api.auth(token))
    assert [a["id"] for a in r.json()["items"]] == [mine["id"]]
    r = await api.client.get(f"{V}/attachments/{mine['id']}/content", headers=api.auth(token))
    assert r.content == PNG
    r = await api.client.get(f"{V}/members/{other['id']}/attachments", headers=api.auth(token))
    assert r.status_code == 404
    r = await api.client.get(f"{V}/attachments/{theirs['id']}/content", headers=api.auth(token))
    assert (r.status_code, r.json()["code"]) == (404, "attachment.not_found")
    r = await _upload(api, token, f"members/{me['id']}", "c.png", PNG)
    assert r.status_code == 403


async def _talk_step(api, county):
    member = await api.member(
        county.admin_a, county.branch_a["id"], status="applicant", applied_on="2026-10-01"
    )
    r = await api.client.post(
        f"{V}/members/{member['id']}/development-steps",
        json={"step": "talk", "done_on": "2026-10-20", "notes": "谈话记录见附件"},
        headers=api.auth(county.admin_a),
    )
    assert r.status_code == 201, r.text
    return member, r.json()


async def test_a_development_step_holds_its_own_materials_filed_with_the_members(api, county):
    member, step = await _talk_step(api, county)
    path = f"development-steps/{step['id']}"
    r = await _upload(api, county.admin_a, path, "谈话记录.pdf", PDF, "application/pdf")
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["owner_id"] == step["id"]
    r = await api.client.get(f"{V}/{path}/attachments", headers=api.auth(county.admin_a))
    assert [a["id"] for a in r.json()["items"]] == [added["id"]]
    r = await api.client.get(
        f"{V}/attachments/{added['id']}/content", headers=api.auth(county.admin_a)
    )
    assert (r.status_code, r.content) == (200, PDF)
    # The member's own list holds the member's files, not each step's.
    r = await api.client.get(
        f"{V}/members/{member['id']}/attachments", headers=api.auth(county.admin_a)
    )
    assert r.json()["items"] == []


async def test_a_development_step_of_another_subtree_is_404_like_an_absent_one(api, county):
    _, step = await _talk_step(api, county)
    path = f"development-steps/{step['id']}"
    r = await _upload(api, county.admin_a, path, "谈话记录.pdf", PDF, "application/pdf")
    assert r.status_code == 201, r.text
    for token, ident in ((county.admin_b, step["id"]), (county.admin_a, str(uuid.uuid4()))):
        r = await api.client.get(
            f"{V}/development-steps/{ident}/attachments", headers=api.auth(token)
        )
        assert (r.status_code, r.json()["code"]) == (404, "lifecycle.step_not_found")
        r = await _upload(api, token, f"development-steps/{ident}", "x.pdf", PDF)
        assert (r.status_code, r.json()["code"]) == (404, "lifecycle.step_not_found")
    r = await api.client.get(
        f"{V}/attachments/{r.json().get('id', uuid.uuid4())}", headers=api.auth(county.admin_b)
    )
    assert r.status_code == 404
