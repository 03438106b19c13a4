"""An award or a claim of points as a request makes it (`create_entry`): the member and the
rule item it names checked, then its line written by the ledger's one writer
(`ledger.append_entry`), in as few statements as the checks allow."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import db
from app.errors import Conflict, ErrorCode, Unprocessable
from app.i18n import Text
from app.models.enums import (
    PARTY_MEMBER_STATUS_VALUES,
    PARTY_MEMBER_STATUSES,
    EntrySource,
    MemberStatus,
    Role,
    label_zh,
)
from app.security.scope import Principal, not_found
from app.services import principals
from app.services.points.caps import (
    AwardRead,
    KnownRule,
    RuleView,
    applicable_rule,
    forget_rule,
    known_rule,
    read_for_award,
    remember_rule,
)
from app.services.points.ledger import EntryRequest, Refused, append_entry
from app.services.points.rows import EntryRow
from app.services.points.schemes import require_points_admin, rule_visible


async def create_entry(
    session: AsyncSession, principal: Principal, req: EntryRequest
) -> tuple[EntryRow, bool]:
    """Award or deduct points (积分登记), or claim them for yourself (申报).

    Who approves what (审核):
    - the rule item's `needs_approval` decides, for awards and claims alike: `false`,
      the entry is approved at once (caps checked now); `true`, it is `pending`
      until approved;
    - an administrator (org_admin, branch_secretary) whose scope covers the member
      approves or rejects a pending entry, never the person who entered it nor the
      member it scores (four eyes: 403 `points.own_entry_not_approvable`); a member's
      own claim is thus approved by their branch secretary or above;
    - automatic scoring (finalized meetings, recorded service hours) is approved at
      once: the finalized record is the approved act.
    The same `source_key` never scores a member twice: a retry returns the existing
    entry (created=False), also under concurrency; keys are the member's own, other
    members may use the same. Caps per month and per year hold over the item and
    every item refining it, checked whenever an entry becomes approved.
    """
    claim = principal.role is Role.member
    if not claim:
        require_points_admin(principal)
    award = _Award(session, principal, req, claim)
    # Outside a transaction, an award of a rule item this process knows (`known_rule`) is
    # one statement: the line written only while the checks hold, made by the write
    # (`ledger._insert_checked_sql`). An item not known yet is read first, with the member,
    # unlocked (a statement of its own). An entry approved at once under a capped item, or
    # one the write refused with the member as it should be (the item changed, or capped
    # now), is read again locked, in a transaction (caps need the lock before they count).
    optimistic = not db.transaction_open(session)
    while True:
        known = known_rule(req.rule_id) if optimistic else None
        if known is not None and known.capped:  # its caps are counted under the lock
            known, optimistic = None, False
        if known is None or not award.writes_at_once(known):
            read = await read_for_award(
                session, principal, req.member_id, req.rule_id, lock=not optimistic
            )
            member_path, rule = award.check(read.member, read.rule)
            known = remember_rule(read, rule)
            if not optimistic:
                return await award.write_read(read, member_path, rule)
            if known.capped:
                optimistic = False
                continue
        try:
            return await award.write_checked(known.rule)
        except Refused as refused:
            if refused.read:  # the member as the write read it, locked: 404 or 409
                award.check_member(refused.member)
            # The item (which may have changed since it was known) is checked by the read.
            await principals.confirm_pending(session)
            forget_rule(req.rule_id)  # changed since it was read, or its chain capped now
        optimistic = False


class _Award:
    """One award request: its checks and its two ways of writing."""

    def __init__(
        self, session: AsyncSession, principal: Principal, req: EntryRequest, claim: bool
    ) -> None:
        self.session, self.principal, self.req, self.claim = session, principal, req, claim
        self.source = EntrySource.claim if claim else EntrySource.manual

    def writes_at_once(self, known: KnownRule) -> bool:
        """Whether the award of a known rule item is written at once, its checks made by
        the write: those of the item alone pass (a refusal is answered by the read, which
        checks the member first), and a claim names the claimant."""
        rule, principal = known.rule, self.principal
        return (
            rule_visible(principal, rule.org_path)
            and rule.active
            and not (rule.needs_evidence and not self.req.evidence)
            and (not self.claim or self.req.member_id == principal.member_id)
        )

    def check(
        self, member: tuple[uuid.UUID, str, str] | None, rule: RuleView | None
    ) -> tuple[str, RuleView]:
        """The member's path and the rule item, both checked, member first
        (`check_member`), then the item's checks (`applicable_rule`) and its evidence."""
        path = self.check_member(member)
        rule = applicable_rule(self.principal, path, rule)
        if rule.needs_evidence and not self.req.evidence:
            raise Unprocessable.field("evidence", ErrorCode.points_evidence_required)
        return path, rule

    def check_member(self, member: tuple[uuid.UUID, str, str] | None) -> str:
        """The path of the member an award names: 404 unless the caller's scope covers it
        (a claim: is it), 409 unless its status is scored."""
        principal = self.principal
        if (
            member is None
            or not principal.scope.covers(member[1])
            or (self.claim and principal.member_id != member[0])
        ):
            raise not_found(ErrorCode.member_not_found, "member_id")
        status = member[2]
        if status not in PARTY_MEMBER_STATUSES:
            raise Conflict(
                ErrorCode.points_member_not_scored,
                Text(
                    zh=f"{label_zh(MemberStatus, status)}不计分",
                    en=f"{status} members are not scored",
                ),
            )
        return member[1]

    async def write_read(
        self, read: AwardRead, member_path: str, rule: RuleView
    ) -> tuple[EntryRow, bool]:
        """The line of a member and item read locked (`read_for_award`), and checked."""
        return await append_entry(
            self.session,
            self.principal,
            self.req.member_id,
            member_path,
            rule,
            self.req,
            source=self.source,
            approve=read.approve,
            locked=read.approve,
            capped=read.capped,
        )

    async def write_checked(self, rule: RuleView) -> tuple[EntryRow, bool]:
        """The line written at once, only while its checks hold (`Refused` if not): the
        member's read and locked by the write, the item's chain uncapped checked there."""
        return await append_entry(
            self.session,
            self.principal,
            self.req.member_id,
            None,
            rule,
            self.req,
            source=self.source,
            approve=not rule.needs_approval,
            locked=True,
            capped=(),
            checked=self._checks(rule),
        )

    def _checks(self, rule: RuleView) -> tuple[Any, ...]:
        """The parameters of the checked write's checks (`ledger._insert_checked_sql`)."""
        principal = self.principal
        guard = principals.guard_values(principal)
        return (principal.scope.top, rule.org_path, _SCORED, *guard)


_SCORED = list(PARTY_MEMBER_STATUS_VALUES)  # the checked write's parameter
