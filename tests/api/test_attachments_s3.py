"""The S3-compatible backend, for real: a local S3 server (moto's, on 127.0.0.1) holds
the content; the record says where it lies, so files stored before a switch of
backend still download."""

from __future__ import annotations

import hashlib
import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer

from app.config import get_settings

V = "/api/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 16
PDF = b"%PDF-1.7\n" + b"y" * 5000 + b"\n%%EOF\n"
BUCKET = "dangjian-attachments"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", **KEYS).create_bucket(
        Bucket=BUCKET
    )
    yield url
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "attachment_storage", "s3")
    monkeypatch.setattr(settings, "attachment_s3_bucket", BUCKET)
    monkeypatch.setattr(settings, "attachment_s3_endpoint_url", s3_endpoint)
    monkeypatch.setattr(settings, "attachment_s3_access_key_id", KEYS["aws_access_key_id"])
    monkeypatch.setattr(settings, "attachment_s3_secret_access_key", KEYS["aws_secret_access_key"])
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)


async def _upload(api, token, member_id, name, content):
    return await api.client.post(
        f"{V}/members/{member_id}/attachments",
        files={"file": (name, content, "application/octet-stream")},
        headers=api.auth(token),
    )


async def test_an_upload_lands_in_the_bucket_and_downloads_from_it(api, county, s3_storage):
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await _upload(api, county.admin_a, member["id"], "谈话记录.pdf", PDF)
    assert r.status_code == 201, r.text
    row = r.json()
    stored = s3_storage.get_object(Bucket=BUCKET, Key=f"attachments/{row['id']}")
    assert stored["Body"].read() == PDF
    assert stored["ContentType"] == "application/pdf"
    got = await api.client.get(
        f"{V}/attachments/{row['id']}/content", headers=api.auth(county.admin_a)
    )
    assert got.status_code == 200, got.text
    assert hashlib.sha256(got.content).hexdigest() == row["sha256"]


async def test_a_file_stored_in_the_database_still_downloads_after_a_switch_to_s3(
    api, county, s3_endpoint, monkeypatch
):
    member = await api.member(county.admin_a, county.branch_a["id"])
    row = (await _upload(api, county.admin_a, member["id"], "a.png", PNG)).json()
    settings = get_settings()
    monkeypatch.setattr(settings, "attachment_storage", "s3")
    monkeypatch.setattr(settings, "attachment_s3_bucket", BUCKET)
    monkeypatch.setattr(settings, "attachment_s3_endpoint_url", s3_endpoint)
    got = await api.client.get(
        f"{V}/attachments/{row['id']}/content", headers=api.auth(county.admin_a)
    )
    assert got.content == PNG


async def test_an_unreachable_store_is_a_503_and_nothing_is_recorded(
    api, county, s3_storage, monkeypatch
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setattr(get_settings(), "attachment_s3_endpoint_url", f"http://127.0.0.1:{closed}")
    member = await api.member(county.admin_a, county.branch_a["id"])
    r = await _upload(api, county.admin_a, member["id"], "a.png", PNG)
    assert (r.status_code, r.json()["code"]) == (503, "attachment.storage_unavailable")
    listed = await api.client.get(
        f"{V}/members/{member['id']}/attachments", headers=api.auth(county.admin_a)
    )
    assert listed.json()["items"] == []
