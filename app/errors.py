"""One error hierarchy, rendered as RFC 9457 problem details with stable codes.

Services raise these with an `ErrorCode`; `app.main` turns them into
`application/problem+json` with `title` and `detail` in the caller's language
(zh-CN default, en). A refusal the database made itself (a named constraint) is
translated here too, by `database_error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg.exceptions as pg
from sqlalchemy import exc as sa_exc

from app.error_codes import ErrorCode as ErrorCode  # re-exported: raise sites import it here
from app.i18n import Text


class DangjianError(Exception):
    """A domain error with an HTTP status and a stable machine code."""

    status: int = 400

    def __init__(
        self,
        code: ErrorCode,
        detail: Text | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(detail or code))
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers
        if status is not None:
            self.status = status


class NotFound(DangjianError):
    """404: does not exist, or lies outside the caller's scope (never leak which)."""

    status = 404


class Forbidden(DangjianError):
    """403: the role may not do this to something it can see."""

    status = 403


class Unauthorized(DangjianError):
    status = 401

    def __init__(
        self, code: ErrorCode = ErrorCode.auth_not_authenticated, detail: Text | None = None
    ) -> None:
        super().__init__(code, detail, headers={"WWW-Authenticate": "Bearer"})


class Conflict(DangjianError):
    """409: a uniqueness or state-machine rule refused the change."""

    status = 409


class PreconditionFailed(DangjianError):
    status = 412


class Unprocessable(DangjianError):
    """422: the input is well-formed JSON but breaks a validation rule."""

    status = 422

    @classmethod
    def field(cls, field: str, code: ErrorCode, msg: Text | None = None) -> Unprocessable:
        # The field's message is the catalogue's, localized when answered; `msg` is the detail.
        return cls(code, msg, errors=[{"field": field, "code": code, "message": code.en}])


class TooManyRequests(DangjianError):
    status = 429


class ServiceUnavailable(DangjianError):
    """503: a service the request depends on (WeChat) is not configured or not answering."""

    status = 503


# Seconds a client is asked to wait (`Retry-After`) while the database is unavailable.
DATABASE_RETRY_AFTER_SECONDS = 5


class DatabaseUnavailable(DangjianError):
    """503 while the database cannot be reached, refuses connections or times out."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.service_database_unavailable,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )


# --- Refusals the database made -----------------------------------------------------------
# Services check every rule before writing; a named constraint refuses what got past the
# check (two requests racing, or a check not made). One table says what each constraint
# means to the caller (names follow the convention in app/models/base.py).


@dataclass(frozen=True)
class Refusal:
    """What a violated constraint answers: 409 with `code`, or 422 naming `field`."""

    code: ErrorCode
    field: str | None = None

    def error(self) -> DangjianError:
        if self.field is None:
            return Conflict(self.code)
        return Unprocessable.field(self.field, self.code)


E = ErrorCode
CONSTRAINT_REFUSALS: dict[str, Refusal] = {
    # Unique constraints and unique indexes.
    "uq_organisations_code": Refusal(E.organisation_code_taken),
    "uq_members_living_id_number": Refusal(E.member_id_number_taken),
    "uq_users_username": Refusal(E.user_username_taken),
    "uq_grids_code": Refusal(E.grid_code_taken),
    "uq_organisations_national_id": Refusal(E.organisation_national_id_taken),
    "uq_point_rules_org_code": Refusal(E.points_rule_code_taken),
    "uq_point_schemes_org_year": Refusal(E.points_scheme_set_concurrently),
    "uq_point_entries_member_id_source_key": Refusal(E.points_source_key_used),
    "uq_organisation_leaders_current_secretary": Refusal(E.leader_secretary_exists),
    "uq_transfers_one_pending_per_member": Refusal(E.transfer_already_pending),
    "uq_mobile_episodes_one_open_per_member": Refusal(E.mobile_already_open),
    "uq_community_reports_one_active": Refusal(E.community_report_already_registered),
    "uq_dues_payment_months_payment_month": Refusal(E.dues_month_repeated, "months"),
    "pk_dues_payment_months": Refusal(E.dues_month_already_paid),
    "pk_grid_residents": Refusal(E.grid_member_in_other_grid),
    "pk_organisation_policies": Refusal(E.policy_set_concurrently),
    "pk_meeting_attendees": Refusal(E.meeting_member_repeated, "member_ids"),
    "pk_meeting_sign_ins": Refusal(E.sign_in_repeated),
    "uq_meeting_leave_requests_live": Refusal(E.leave_already_requested),
    "uq_wechat_identities_user_id": Refusal(E.wechat_already_bound),
    "uq_form_numbers_range_number": Refusal(E.form_number_used),
    "pk_calendar_days": Refusal(E.conflict_concurrent_update),
    "uq_wechat_identities_openid_index": Refusal(E.wechat_already_bound),
    "uq_wechat_identities_unionid_index": Refusal(E.wechat_already_bound),
    # Two updates of one rule item wrote the same version: a real version conflict.
    "pk_point_rule_versions": Refusal(E.conflict_concurrent_update),
    # Check constraints that state an API rule.
    "ck_organisation_leaders_term_order": Refusal(E.leader_term_order, "ended_on"),
    "ck_dues_reliefs_month_order": Refusal(E.dues_month_order, "to_month"),
    "ck_dues_reliefs_reduction_has_amount": Refusal(E.dues_reduction_amount_missing, "monthly_fen"),
    "ck_meeting_attendees_excuse_reason": Refusal(E.meeting_excuse_needs_reason, "reason"),
    "ck_mobile_episodes_area_code_form": Refusal(E.mobile_area_code_invalid, "destination_area"),
    "ck_mobile_check_ins_area_code_form": Refusal(E.mobile_area_code_invalid, "area"),
    "ck_service_records_tenths_range": Refusal(E.community_report_hours_invalid, "hours"),
    "ck_users_member_bound": Refusal(E.user_member_required, "member_id"),
}

# A foreign key names the row it refers to (fk_<table>_<column>_<referred table>): a write
# that refers to an absent row is 422 naming the column, with the referred kind's code.
# (References only the server writes, such as outbox events, are not listed.)
REFERENCED_NOT_FOUND: dict[str, ErrorCode] = {
    "organisations": E.organisation_not_found,
    "members": E.member_not_found,
    "users": E.user_not_found,
    "meetings": E.meeting_not_found,
    "point_rules": E.points_rule_not_found,
    "point_entries": E.points_entry_not_found,
    "grids": E.grid_not_found,
    "mobile_episodes": E.mobile_not_found,
    "community_reports": E.community_report_not_found,
    "webhook_subscriptions": E.webhook_not_found,
}
del E

# Constraints only the server's own writes can meet, each under ON CONFLICT or kept by a
# trigger: reaching one is a bug, answered as `conflict.integrity` like any unknown one.
INTERNAL_CONSTRAINTS = frozenset(
    {
        "uq_organisations_node_id",  # from a sequence
        "uq_webhook_deliveries_sub_event",  # fan-out inserts ON CONFLICT DO NOTHING
        "pk_idempotency_records",  # claimed with ON CONFLICT DO NOTHING
        "pk_point_totals",  # kept by triggers
        "pk_table_versions",  # kept by a trigger, ON CONFLICT DO UPDATE
        "uq_member_stat_snapshots_day",  # written by the snapshot build after deleting all
        "pk_member_stat_rollups",  # likewise, one row per grouped key
        "pk_review_grades",  # written with ON CONFLICT DO UPDATE
        "pk_admission_plans",  # written with ON CONFLICT DO UPDATE
        "pk_login_throttles",  # written with ON CONFLICT DO UPDATE
        "pk_login_address_throttles",  # written with ON CONFLICT DO UPDATE
        "pk_outbox_cursors",  # created with ON CONFLICT DO NOTHING
        "uq_notifications_user_item_day",  # reminders inserted ON CONFLICT DO NOTHING
        "pk_notification_addresses",  # written with ON CONFLICT DO UPDATE
        "uq_notification_deliveries_channel",  # one per channel, with its new notification
        "pk_refresh_tokens",  # the hash of a random token
        "pk_wechat_binding_codes",  # the hash of a random code
        "pk_meeting_sign_in_windows",  # opened under the meeting's row lock
        "pk_attachment_chunks",  # numbered 0.. for a new attachment, in its own insert
        "pk_import_chunks",  # numbered 0.. for a new import job, in its own request
    }
)


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what lies under it (SQLAlchemy's `orig`, then `__cause__`), a few deep."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 5:
        chain.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return chain


def _postgres_error(exc: BaseException) -> pg.PostgresError | None:
    """The PostgreSQL error under a driver or SQLAlchemy exception, if there is one."""
    return next((e for e in _causes(exc) if isinstance(e, pg.PostgresError)), None)


# What an unreachable, restarting, overloaded or frozen database raises: refused or
# lost connections (the driver's, or the socket's), the server shutting down or not yet
# accepting connections, too many connections, a statement or connect timeout, a
# pool with no connection to give.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    pg.PostgresConnectionError,
    pg.OperatorInterventionError,  # shutdown, crash, cannot connect now, statement timeout
    pg.TooManyConnectionsError,
    sa_exc.TimeoutError,  # no pooled connection within the pool timeout
    DatabaseUnavailable,
)


# asyncpg raises its plain `InterfaceError` both for a connection (or pool) found closed
# and for a misuse the server never saw: more than 32,767 parameters, fewer arguments
# than the statement takes, a connection used by two statements at once. Only the first
# is an outage; the others are bugs (500), as SQLAlchemy's asyncpg dialect tells them
# apart (by the message).
_CLOSED_SAYINGS = ("connection is closed", "pool is closed", "pool is closing")


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) says the database cannot answer right now."""
    for error in _causes(exc):
        if isinstance(error, _UNAVAILABLE):
            return True
        if isinstance(error, pg.InterfaceError) and any(s in str(error) for s in _CLOSED_SAYINGS):
            return True
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
    return False


def _missing_reference(constraint: str, table: str | None) -> DangjianError | None:
    for referred, code in REFERENCED_NOT_FOUND.items():
        prefix, suffix = f"fk_{table}_", f"_{referred}"
        if constraint.startswith(prefix) and constraint.endswith(suffix):
            return Unprocessable.field(constraint[len(prefix) : -len(suffix)], code)
    return None


def database_error(exc: BaseException) -> DangjianError | None:
    """The API's answer to an error the database raised (SQLAlchemy's or the driver's),
    or None when it is not a refusal the caller can act on (a bug: 500).

    A database that cannot answer (down, restarting, frozen past a timeout) is 503
    `service.database_unavailable` with `Retry-After`, whatever raised it.

    A named constraint answers its precise code (`CONSTRAINT_REFUSALS`, foreign keys by
    the row they refer to); any other integrity violation is `conflict.integrity`;
    only a serialization failure or a deadlock, like a stale version, is
    `conflict.concurrent_update`.
    """
    if database_unavailable(exc):
        return DatabaseUnavailable()
    error = _postgres_error(exc)
    if isinstance(error, pg.SerializationError | pg.DeadlockDetectedError):
        return Conflict(ErrorCode.conflict_concurrent_update)
    if not isinstance(error, pg.IntegrityConstraintViolationError):
        return None
    constraint = getattr(error, "constraint_name", None) or ""
    refusal = CONSTRAINT_REFUSALS.get(constraint)
    if refusal is not None:
        return refusal.error()
    if isinstance(error, pg.ForeignKeyViolationError):
        # "insert or update on table ... violates": the referred row is absent. Otherwise a
        # delete or key change met rows that still refer to it.
        message = str(getattr(error, "message", "") or error)
        if message.startswith("insert or update"):
            missing = _missing_reference(constraint, getattr(error, "table_name", None))
            if missing is not None:
                return missing
        else:
            return Conflict(ErrorCode.conflict_still_referenced)
    return Conflict(ErrorCode.conflict_integrity)
