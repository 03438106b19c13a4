"""All models, imported so Alembic's autogenerate and `alembic check` see every table."""

from typing import Any

from sqlalchemy import Column

from app.models.admission import (
    AdmissionNotice,
    AdmissionPlan,
    CalendarDay,
    DevelopmentStepRecord,
    FormNumber,
    FormNumberRange,
)
from app.models.attachment import Attachment, AttachmentChunk
from app.models.audit import AuditEvent, IdempotencyRecord
from app.models.base import ORG_PATH, Base
from app.models.change_request import MemberChangeRequest
from app.models.discipline import Discipline, Reward
from app.models.grid import CommunityReport, Grid, GridResident, ServiceRecord
from app.models.imports import ImportChunk, ImportJob
from app.models.lifecycle import (
    DuesPayment,
    DuesPaymentMonth,
    DuesRelief,
    MemberTransition,
    Transfer,
)
from app.models.meeting import Meeting, MeetingAmendment, MeetingAttendee, MeetingVote
from app.models.member import Member
from app.models.member_stats import MemberStatDelta, MemberStatRollup, MemberStatSnapshot
from app.models.mobile import MobileCheckIn, MobileEpisode
from app.models.notification import Notification, NotificationAddress, NotificationDelivery
from app.models.organisation import Organisation, OrganisationLeader, OrganisationPlacement
from app.models.outbox import OutboxEvent
from app.models.points import (
    PointEntry,
    PointRule,
    PointRuleVersion,
    PointScheme,
    PointTotal,
    ReviewGrade,
)
from app.models.policy import OrganisationPolicy
from app.models.sign_in import (
    MeetingLeaveRequest,
    MeetingSignIn,
    MeetingSignInWindow,
    WechatBindingCode,
    WechatIdentity,
)
from app.models.user import AuthSession, LoginAddressThrottle, LoginThrottle, RefreshToken, User
from app.models.versions import TableVersion
from app.models.webhook import OutboxCursor, WebhookDelivery, WebhookSubscription


def org_path_columns() -> list[Column[Any]]:
    """Every column, in every table, that holds an organisation path (the registry).

    Defined here, below the imports of every model module: each table is registered
    before the walk.
    """
    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get(ORG_PATH)
    ]


__all__ = [
    "AdmissionNotice",
    "AdmissionPlan",
    "Attachment",
    "AttachmentChunk",
    "AuditEvent",
    "AuthSession",
    "Base",
    "CalendarDay",
    "CommunityReport",
    "DevelopmentStepRecord",
    "Discipline",
    "DuesPayment",
    "DuesPaymentMonth",
    "DuesRelief",
    "FormNumber",
    "FormNumberRange",
    "Grid",
    "GridResident",
    "IdempotencyRecord",
    "ImportChunk",
    "ImportJob",
    "LoginAddressThrottle",
    "LoginThrottle",
    "Meeting",
    "MeetingAmendment",
    "MeetingAttendee",
    "MeetingLeaveRequest",
    "MeetingSignIn",
    "MeetingSignInWindow",
    "MeetingVote",
    "Member",
    "MemberChangeRequest",
    "MemberStatDelta",
    "MemberStatRollup",
    "MemberStatSnapshot",
    "MemberTransition",
    "MobileCheckIn",
    "MobileEpisode",
    "Notification",
    "NotificationAddress",
    "NotificationDelivery",
    "Organisation",
    "OrganisationLeader",
    "OrganisationPlacement",
    "OrganisationPolicy",
    "OutboxCursor",
    "OutboxEvent",
    "PointEntry",
    "PointRule",
    "PointRuleVersion",
    "PointScheme",
    "PointTotal",
    "RefreshToken",
    "ReviewGrade",
    "Reward",
    "ServiceRecord",
    "TableVersion",
    "Transfer",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
    "WechatBindingCode",
    "WechatIdentity",
    "org_path_columns",
]
