"""Attachments of records (members' 纪实 materials, meetings' minutes and photos)."""

from app.services.attachments.owners import OWNERS, Owner, OwnerKind, load_owner
from app.services.attachments.records import (
    ATTACHMENT_SORT,
    ATTACHMENT_SORTABLE,
    Download,
    delete,
    download,
    get_visible,
    list_for,
    upload,
)

__all__ = [
    "ATTACHMENT_SORT",
    "ATTACHMENT_SORTABLE",
    "OWNERS",
    "Download",
    "Owner",
    "OwnerKind",
    "delete",
    "download",
    "get_visible",
    "list_for",
    "load_owner",
    "upload",
]
