"""The lifecycle graph (applicant -> activist -> candidate -> probationary -> full;
suspension, leaving, death): transitions outside it are 409; each transition's timing
checked and recorded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import MemberStatus, OrgType, Role, label_zh
from app.models.lifecycle import MemberTransition
from app.models.meeting import Meeting
from app.models.member import Member
from app.models.organisation import Organisation
from app.security.scope import Principal, load_visible, require_role
from app.services.integration import audit
from app.services.lifecycle.development import gates
from app.services.lifecycle.periods import EXTENSION_RANGE, S
from app.services.lifecycle.timeline import MILESTONE_FIELDS, milestone_dates

ALLOWED: dict[MemberStatus, frozenset[MemberStatus]] = {
    S.applicant: frozenset({S.activist, S.left, S.deceased}),
    S.activist: frozenset({S.candidate, S.left, S.deceased}),
    S.candidate: frozenset({S.probationary, S.left, S.deceased}),
    S.probationary: frozenset({S.full, S.probationary, S.suspended, S.left, S.deceased}),
    S.full: frozenset({S.suspended, S.left, S.deceased}),
    S.suspended: frozenset({S.full, S.left, S.deceased}),
    S.left: frozenset(),
    S.deceased: frozenset(),
}


# The development pipeline, which advances only with a recorded application date, and
# the endings open to anyone.
PIPELINE = frozenset({S.applicant, S.activist, S.candidate})
ENDINGS = frozenset({S.left, S.deceased})


# --- Transitions ---------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionRequest:
    to_status: MemberStatus
    effective_date: date
    reason: str | None
    meeting_id: uuid.UUID | None
    extension_months: int | None


def _refuse(code: ErrorCode, detail: Text) -> Conflict:
    return Conflict(code, detail)


def _check_timing(member: Member, current: MemberStatus, req: TransitionRequest) -> str:
    """The transition's kind, once the application is recorded and an extension is
    valid; the steps' own timing rules are the gates' (`development/gates.py`)."""
    to = req.to_status
    if current in PIPELINE and to in ALLOWED[current] - ENDINGS and member.applied_on is None:
        # A record from before the application date was required: the 18-year rule
        # (checked when applied_on is recorded) has not run, so it does not advance.
        raise _refuse(
            ErrorCode.member_applied_on_required,
            Text(zh="请先登记入党申请日期 (applied_on)", en="record applied_on first"),
        )
    if current is S.activist and to is S.candidate:
        return "became_candidate"
    if current is S.probationary and to is S.probationary:
        _check_extension(member, req.extension_months)
        return "probation_extended"
    if current is S.probationary and to is S.full:
        return "became_full"
    if current is S.probationary and to is S.left:
        return "probation_cancelled"
    if current is S.suspended and to is S.full:
        return "restored"
    return {
        S.activist: "became_activist",
        S.probationary: "admitted",
        S.suspended: "suspended",
        S.left: "left",
        S.deceased: "deceased",
    }.get(to, "changed")


def _check_extension(member: Member, months: int | None) -> None:
    """Probation is extended once at most, by 6 to 12 months."""
    if member.probation_extension_months:
        raise _refuse(
            ErrorCode.lifecycle_extension_already_used,
            Text(zh="预备期只能延长一次", en="probation is extended once at most"),
        )
    if months is None or not EXTENSION_RANGE[0] <= months <= EXTENSION_RANGE[1]:
        raise Unprocessable.field(
            "extension_months",
            ErrorCode.lifecycle_extension_length_invalid,
            Text(zh="延长预备期须为 6 至 12 个月", en="an extension lasts 6 to 12 months"),
        )


def _check_effective_date(member: Member, effective_date: date, today: date) -> None:
    """A change takes effect no later than today and not before the member's last
    recorded change."""
    if effective_date > today:
        raise Unprocessable.field(
            "effective_date",
            ErrorCode.lifecycle_effective_date_in_future,
            Text(zh="日期不能晚于今天", en="the date is in the future"),
        )
    previous = max(
        (d for d in (member.status_since, *milestone_dates(member)) if d is not None), default=None
    )
    if previous is not None and effective_date < previous:
        raise Unprocessable.field(
            "effective_date",
            ErrorCode.lifecycle_effective_date_before_previous,
            Text(
                zh=f"该党员最近一次登记的变动日期为 {previous}",
                en=f"the member's last recorded change was on {previous}",
            ),
        )


def _apply(member: Member, kind: str, to: MemberStatus, req: TransitionRequest) -> None:
    """Write the transition onto the member: the milestone it reaches, the new status."""
    day = req.effective_date
    if kind == "became_activist":
        member.activist_on = day
    elif kind == "became_candidate":
        member.candidate_on = day
    elif kind == "admitted":
        member.joined_on = day
        member.admission_approved_on = None
        member.probation_extension_months = None
    elif kind == "became_full":
        member.full_on = day
    elif kind == "probation_extended":
        member.probation_extension_months = req.extension_months
    if kind in ("restored", "became_full"):
        member.lost_contact_since = None
    member.status = to.value
    member.status_since = day


async def _check_allowed(
    session: AsyncSession, member: Member, req: TransitionRequest, today: date
) -> MemberStatus:
    """The member's current status, once the change is within the graph, on a valid date,
    extends only a probation, and admits nobody into a temporary branch."""
    current = MemberStatus(member.status)
    to = req.to_status
    if to not in ALLOWED[current]:
        raise _refuse(
            ErrorCode.lifecycle_transition_not_allowed,
            Text(
                zh=f"{label_zh(MemberStatus, current)}不能转为{label_zh(MemberStatus, to)}",
                en=f"{current.value} cannot become {to.value}",
            ),
        )
    _check_effective_date(member, req.effective_date, today)
    if req.extension_months is not None and not (current is to is S.probationary):
        raise Unprocessable.field(
            "extension_months",
            ErrorCode.lifecycle_extension_not_applicable,
            Text(zh="仅用于延长预备期", en="only for extensions"),
        )
    if to is S.probationary and current is S.candidate:
        org = await session.get(Organisation, member.org_id)
        if org is not None and org.type == OrgType.temporary_branch:
            raise _refuse(
                ErrorCode.lifecycle_temporary_branch_cannot_admit,
                Text(zh="临时党支部不能接收预备党员", en="a temporary branch cannot admit"),
            )
    return current


async def record_transition(
    session: AsyncSession,
    principal: Principal,
    member: Member,
    req: TransitionRequest,
    today: date,
) -> MemberTransition:
    """Record a status change (党籍变动) after the decision was taken by the people named in
    the rules.

    Refused with 409 and a code naming the rule when the change is outside the graph
    (`lifecycle.transition_not_allowed`) or breaks a timing rule: one year as an activist
    before candidacy (`lifecycle.activist_period_too_short`), a one-year probation
    (`lifecycle.probation_not_complete`), a single 6-12 month extension
    (`lifecycle.extension_already_used`). Admissions are refused in a temporary branch, and
    need the branch general meeting's passed vote, named by `meeting_id`
    (`lifecycle.admission_vote_required`, `lifecycle.admission_vote_not_passed`).
    On the way in (to activist, candidate, probationary, full) the steps of the admission
    record that the change needs are done by its day, in order and in time
    (`lifecycle.step_missing`, `lifecycle.step_early`, `lifecycle.step_late`, naming the
    step; see `GET /development-steps/catalogue`).
    """
    require_role(principal, Role.org_admin, Role.branch_secretary)
    if req.meeting_id is not None:
        # The deciding meeting, checked first: absent or elsewhere is the same 404.
        await load_visible(session, principal, Meeting, req.meeting_id, field="meeting_id")
    current = await _check_allowed(session, member, req, today)
    to = req.to_status
    kind = _check_timing(member, current, req)
    await gates.check_gate(session, member, current, to, req.effective_date, req.meeting_id)
    before = audit.snapshot(member, ("status", "status_since", *MILESTONE_FIELDS))
    _apply(member, kind, to, req)
    day = req.effective_date
    transition = MemberTransition(
        member_id=member.id,
        from_status=current.value,
        to_status=to.value,
        kind=kind,
        effective_date=day,
        reason=req.reason,
        meeting_id=req.meeting_id,
        extension_months=req.extension_months,
        actor_id=principal.user_id,
        actor_username=principal.username,
    )
    session.add(transition)
    await session.flush()
    audit.record(
        session,
        principal,
        f"member.{kind}",
        "member",
        member.id,
        member.org_path,
        before=before,
        after=audit.snapshot(member, ("status", "status_since", *MILESTONE_FIELDS)),
    )
    return transition
