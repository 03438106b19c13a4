"""A member's fields checked: ID number (GB 11643-1999, birth date and gender derived),
phone, milestone dates, application age (18 or older), ethnicity and education from
their code lists (`code_lists.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import ENDED_STATUSES, MemberStatus
from app.models.member import Member
from app.models.organisation import Organisation
from app.schemas.members import MemberCreate
from app.security.pii import PhoneError, normalize_phone, pii_cipher
from app.services import code_lists
from app.services.id_numbers import IdNumberError, parse_id_number, upgrade_legacy_id_number
from app.services.members.access import ID_FIELD, PHONE_FIELD
from app.services.members.placement import check_branch, check_group

# Membership milestones in the order they happen.
MILESTONES = ("applied_on", "activist_on", "candidate_on", "joined_on", "full_on")
MIN_APPLICATION_AGE = 18


# Statuses of the development pipeline: their application date is required, since the
# 18-year rule runs at it. Later statuses may be legacy records without one.
APPLICATION_DATE_REQUIRED = frozenset(
    {MemberStatus.applicant, MemberStatus.activist, MemberStatus.candidate}
)


# The milestone whose date a recorded status started on.
STATUS_SINCE_FIELD = {
    MemberStatus.applicant: "applied_on",
    MemberStatus.activist: "activist_on",
    MemberStatus.candidate: "candidate_on",
    MemberStatus.probationary: "joined_on",
    MemberStatus.full: "full_on",
}


def age_on(birth: date, day: date) -> int:
    """Full years on `day` (SQL: `extract(year from age(day, birth))`)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def parse_id(raw: str, today: date) -> tuple[str, date, str]:
    try:
        digits = raw.strip()
        if len(digits) == 15 and digits.isdigit():
            digits = upgrade_legacy_id_number(digits)
        parsed = parse_id_number(digits, today=today)
    except IdNumberError as exc:
        raise Unprocessable.field("id_number", exc.code, exc.message) from exc
    return parsed.number, parsed.birth_date, parsed.gender


def checked_phone(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    try:
        return normalize_phone(raw)
    except PhoneError as exc:
        raise Unprocessable.field("phone", exc.code, exc.message) from exc


def check_code_lists(values: dict[str, Any]) -> None:
    """Ethnicity (GB/T 3304), education (GB/T 4658), degree (GB/T 6864), post, new social
    stratum and hardship from their code lists (`code_lists.py`), normalised
    in place (a code is stored as its label); 422 naming the field otherwise."""
    checks = (
        ("ethnicity", code_lists.stored_ethnicity, ErrorCode.member_ethnicity_unknown),
        ("education", code_lists.stored_education, ErrorCode.member_education_unknown),
        ("degree", code_lists.stored_degree, ErrorCode.member_degree_unknown),
        ("post", code_lists.stored_post, ErrorCode.member_post_unknown),
        (
            "new_social_stratum",
            code_lists.stored_new_social_stratum,
            ErrorCode.member_new_social_stratum_unknown,
        ),
        ("hardship", code_lists.stored_hardship, ErrorCode.member_hardship_unknown),
    )
    for field, stored, code in checks:
        raw = values.get(field)
        if raw is None or raw == "":
            if field in values:
                values[field] = None
            continue
        value = stored(raw)
        if value is None:
            raise Unprocessable.field(field, code)
        values[field] = value


def check_dates(values: dict[str, Any], birth: date, today: date, status: MemberStatus) -> None:
    """Milestones in order and not in the future; the 18-year rule at the application.

    An applicant, activist or candidate needs `applied_on` (422 naming it) and must be
    18 on it. A probationary or full member recorded without it must be 18 on the
    earliest milestone given (one applies before it), or today when none is given.
    """
    previous_name, previous = None, None
    for name in MILESTONES:
        value = values.get(name)
        if value is None:
            continue
        if value > today:
            raise Unprocessable.field(
                name,
                ErrorCode.member_date_in_future,
                Text(zh=f"{name} 不能晚于今天", en=f"{name} is in the future"),
            )
        if previous is not None and value < previous:
            raise Unprocessable.field(
                name,
                ErrorCode.member_dates_out_of_order,
                Text(zh=f"{name} 早于 {previous_name}", en=f"{name} is before {previous_name}"),
            )
        previous_name, previous = name, value
    applied = values.get("applied_on")
    if applied is None and status in APPLICATION_DATE_REQUIRED:
        raise Unprocessable.field("applied_on", ErrorCode.member_applied_on_required)
    if status in ENDED_STATUSES:
        return
    field, day = next(
        ((name, values[name]) for name in MILESTONES if values.get(name) is not None),
        ("applied_on", today),
    )
    if age_on(birth, day) < MIN_APPLICATION_AGE:
        raise Unprocessable.field(field, ErrorCode.member_under_age)


async def ensure_id_number_free(
    session: AsyncSession, index: bytes, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(Member.id).where(
        Member.id_number_index == index,
        Member.status.notin_([s.value for s in ENDED_STATUSES]),
    )
    if exclude is not None:
        stmt = stmt.where(Member.id != exclude)
    if await session.scalar(stmt.limit(1)) is not None:
        raise Conflict(ErrorCode.member_id_number_taken)


@dataclass(frozen=True)
class PreparedMember:
    """A new member's record after every rule that needs no query: the columns to
    write (without id and ciphertexts), the normalised ID number and phone, and the
    ID number's blind index (the key imports match on)."""

    values: dict[str, Any]
    id_number: str
    id_index: bytes
    phone: str | None

    @property
    def phone_index(self) -> bytes | None:
        return pii_cipher().blind_index(self.phone, field=PHONE_FIELD) if self.phone else None

    def columns(self) -> dict[str, Any]:
        """`values` plus the encrypted ID number and phone and their blind indexes."""
        cipher = pii_cipher()
        return {
            **self.values,
            "id_number_enc": cipher.encrypt(self.id_number, field=ID_FIELD),
            "id_number_index": self.id_index,
            "phone_enc": cipher.encrypt(self.phone, field=PHONE_FIELD) if self.phone else None,
            "phone_index": self.phone_index,
        }


class _Faults:
    """Independent checks of one record, each run whatever the others found: their
    refusals are answered together (the first's code and detail, every field in
    `errors`), so an import row lists all its faults."""

    def __init__(self) -> None:
        self.found: list[Unprocessable] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except Unprocessable as exc:
            self.found.append(exc)

    def raise_all(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            first = self.found[0]
            errors = [e for exc in self.found for e in (exc.errors or [])]
            raise Unprocessable(first.code, first.detail, errors=errors)


def cell_faults(values: dict[str, Any], today: date) -> list[Unprocessable]:
    """The checks of `prepare_member` that need no whole record (the ID number, the phone,
    the code lists), for a record refused for something else already: an import row
    then lists these faults too."""
    faults = _Faults()
    if values.get("id_number"):
        with faults.check():
            parse_id(str(values["id_number"]), today)
    with faults.check():
        checked_phone(values.get("phone"))
    with faults.check():
        check_code_lists(dict(values))
    return faults.found


def prepare_member(
    data: MemberCreate, branch: Organisation, group: Organisation | None, today: date
) -> PreparedMember:
    """The one validation and normalisation of a new member, for the API and the import.

    `branch` is the loaded (and scope-checked) organisation of `data.org_id`, `group`
    the loaded `data.group_id` (None when absent). Checks the branch (a branch or joint
    branch; a new record's also `check_accepts_members`), the group, the ID number
    (GB 11643; a 15-digit legacy number is upgraded) against the birth date and gender
    given, the milestone dates and the phone. What needs a query (scope, the community,
    a living duplicate) is the caller's.
    """
    check_branch(branch)
    check_group(branch, data.group_id, group)
    values = data.model_dump(exclude={"id_number", "phone", "gender", "birth_date", "org_id"})
    faults = _Faults()
    with faults.check():
        number, birth, gender = parse_id(data.id_number, today)
        with faults.check():
            if data.birth_date is not None and data.birth_date != birth:
                raise Unprocessable.field("birth_date", ErrorCode.member_birth_date_mismatch)
        with faults.check():
            if data.gender is not None and data.gender.value != gender:
                raise Unprocessable.field("gender", ErrorCode.member_gender_mismatch)
        with faults.check():
            check_dates(values, birth, today, data.status)
    with faults.check():
        check_code_lists(values)
    with faults.check():
        phone = checked_phone(data.phone)
    faults.raise_all()
    values["status"] = data.status.value
    values["status_since"] = values.get(STATUS_SINCE_FIELD.get(data.status, ""))
    values["category"] = data.category.value
    values.update(org_id=branch.id, org_path=branch.path, gender=gender, birth_date=birth)
    index = pii_cipher().blind_index(number, field=ID_FIELD)
    return PreparedMember(values, number, index, phone)
