"""Members (党员): records, ID-number rules and PII protection.

ID numbers and phones are stored only as ciphertexts plus a keyed blind index;
responses carry masks unless the caller holds PII rights, and every unmasked
read is audited.
"""

from app.services.members.access import (
    ID_FIELD,
    PHONE_FIELD,
    get_visible,
    present,
    read_one,
    read_visible,
    render,
)
from app.services.members.placement import check_accepts_members, check_community
from app.services.members.records import (
    MEMBER_SORT,
    MEMBER_SORTABLE,
    check_may_correct,
    create_member,
    list_members,
    record_created,
    update_member,
)
from app.services.members.rows import MemberRow
from app.services.members.validation import (
    MILESTONES,
    PreparedMember,
    cell_faults,
    prepare_member,
)

__all__ = [
    "ID_FIELD",
    "MEMBER_SORT",
    "MEMBER_SORTABLE",
    "MILESTONES",
    "PHONE_FIELD",
    "MemberRow",
    "PreparedMember",
    "cell_faults",
    "check_accepts_members",
    "check_community",
    "check_may_correct",
    "create_member",
    "get_visible",
    "list_members",
    "prepare_member",
    "present",
    "read_one",
    "read_visible",
    "record_created",
    "render",
    "update_member",
]
