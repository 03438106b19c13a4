"""Enumerations whose values are part of the API contract (shared/API.md)."""

from __future__ import annotations

from enum import StrEnum

from app.models.admission_vocabulary import DEVELOPMENT_STEP_LABELS
from app.models.admission_vocabulary import CalendarDayKind as CalendarDayKind
from app.models.admission_vocabulary import DevelopmentStepCode as DevelopmentStepCode
from app.models.admission_vocabulary import FormNumberState as FormNumberState
from app.models.admission_vocabulary import NoticeKind as NoticeKind
from app.models.change_vocabulary import CHANGE_ACTION_LABELS, CHANGE_RESOURCE_LABELS
from app.models.change_vocabulary import ChangeAction as ChangeAction
from app.models.change_vocabulary import ChangeResource as ChangeResource


class OrgType(StrEnum):
    committee = "committee"  # 党委
    working_committee = "working_committee"  # 党工委
    general_branch = "general_branch"  # 党总支
    branch = "branch"  # 党支部
    joint_branch = "joint_branch"  # 联合党支部
    temporary_branch = "temporary_branch"  # 临时党支部
    group = "group"  # 党小组


BRANCH_TYPES = frozenset({OrgType.branch, OrgType.joint_branch, OrgType.temporary_branch})
COMMITTEE_TYPES = frozenset({OrgType.committee, OrgType.working_committee})


class MemberStatus(StrEnum):
    applicant = "applicant"  # 入党申请人
    activist = "activist"  # 入党积极分子
    candidate = "candidate"  # 发展对象
    probationary = "probationary"  # 预备党员
    full = "full"  # 正式党员
    suspended = "suspended"  # 停止党籍
    left = "left"  # 出党
    deceased = "deceased"  # 去世


# Party members (党员): full and probationary, the one set every rule about the members
# proper reads (statistics, dues, meetings, discipline, points, member flags); a unit test
# (test_party_member_statuses) finds any other collection of the pair in app/.
PARTY_MEMBER_STATUSES = (MemberStatus.full, MemberStatus.probationary)
PARTY_MEMBER_STATUS_VALUES = tuple(s.value for s in PARTY_MEMBER_STATUSES)

# Records that no longer count as current members (history is kept).
ENDED_STATUSES = frozenset({MemberStatus.left, MemberStatus.deceased})


class MemberCategory(StrEnum):
    employed = "employed"  # 在职
    retired = "retired"  # 离退休
    self_employed = "self_employed"  # 个体
    farmer = "farmer"  # 农民
    student = "student"  # 学生
    unemployed = "unemployed"  # 无固定职业
    on_relief = "on_relief"  # 依靠抚恤、救济或低保生活
    other = "other"


class Gender(StrEnum):
    male = "male"
    female = "female"


class Role(StrEnum):
    system_admin = "system_admin"
    org_admin = "org_admin"
    branch_secretary = "branch_secretary"
    member = "member"
    auditor = "auditor"


class LeaderRole(StrEnum):
    secretary = "secretary"  # 书记
    deputy_secretary = "deputy_secretary"  # 副书记
    organisation_member = "organisation_member"  # 组织委员
    propaganda_member = "propaganda_member"  # 宣传委员
    discipline_member = "discipline_member"  # 纪检委员
    committee_member = "committee_member"  # 委员


class MeetingType(StrEnum):
    general_meeting = "general_meeting"  # 支部党员大会
    committee_meeting = "committee_meeting"  # 支委会
    group_meeting = "group_meeting"  # 党小组会
    party_lecture = "party_lecture"  # 党课
    theme_day = "theme_day"  # 主题党日
    life_meeting = "life_meeting"  # 组织生活会
    democratic_review = "democratic_review"  # 民主评议党员


class MeetingState(StrEnum):
    planned = "planned"
    finalized = "finalized"  # 归档: locked, corrected only by amendments


class Presence(StrEnum):
    present = "present"  # 出席
    excused = "excused"  # 请假
    absent = "absent"  # 缺席


class LeaveState(StrEnum):
    pending = "pending"  # 待审批
    approved = "approved"  # 已批准
    rejected = "rejected"  # 未批准


class VoteKind(StrEnum):
    decision = "decision"  # 决议
    election = "election"  # 选举


class GridKind(StrEnum):
    urban = "urban"
    rural = "rural"


class CommunityReportState(StrEnum):
    active = "active"
    ended = "ended"


class ReviewStatus(StrEnum):
    passed = "passed"
    failed = "failed"


class ServiceRecordState(StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    rejected = "rejected"


class TransferState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    cancelled = "cancelled"


class ReliefKind(StrEnum):
    reduction = "reduction"  # 减交
    exemption = "exemption"  # 免交


class ImportKind(StrEnum):
    members = "members"
    organisations = "organisations"


class ImportState(StrEnum):
    running = "running"
    finished = "finished"
    failed = "failed"


class PointCategory(StrEnum):
    base = "base"  # 基础分
    bonus = "bonus"  # 加分
    deduction = "deduction"  # 扣分


class EntryState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    reversed = "reversed"


class EntrySource(StrEnum):
    manual = "manual"
    claim = "claim"
    meeting = "meeting"
    service = "service"
    reversal = "reversal"


class Grade(StrEnum):
    excellent = "excellent"  # 优秀
    qualified = "qualified"  # 合格
    basically_qualified = "basically_qualified"  # 基本合格
    unqualified = "unqualified"  # 不合格


class EpisodeState(StrEnum):
    registered = "registered"  # 已流出登记
    hosted = "hosted"  # 流入地已接收
    returned = "returned"  # 已返回
    transferred = "transferred"  # 已转出组织关系


class CheckInKind(StrEnum):
    report = "report"
    study = "study"
    service = "service"


class ReportedBy(StrEnum):
    member = "member"
    home = "home"
    host = "host"


class DeliveryState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class NotificationChannel(StrEnum):
    """How a notification leaves the inbox (the inbox itself always has it)."""

    email = "email"
    wechat = "wechat"


class DisciplineKind(StrEnum):
    """党纪处分, lightest to heaviest (the Party Constitution, art. 39)."""

    warning = "warning"
    serious_warning = "serious_warning"
    removal_from_post = "removal_from_post"
    probation = "probation"
    expulsion = "expulsion"


class DisciplineOutcome(StrEnum):
    """How a 留党察看 ends: rights restored, or expelled."""

    rights_restored = "rights_restored"
    expelled = "expelled"


class RewardLevel(StrEnum):
    """The level of the body that grants a reward (表彰)."""

    national = "national"
    provincial = "provincial"
    municipal = "municipal"
    county = "county"
    basic = "basic"


class AuditResource(StrEnum):
    """What an audit event is about: the one list of names the audit writer takes
    (`audit.record` refuses any other) and the audit list's `resource` filter offers."""

    member = "member"
    organisation = "organisation"
    meeting = "meeting"
    transfer = "transfer"
    mobile_episode = "mobile_episode"
    mobile_check_in = "mobile_check_in"
    grid = "grid"
    community_report = "community_report"
    user = "user"
    webhook = "webhook"
    import_ = "import"
    calendar_day = "calendar_day"
    form_number = "form_number"
    attachment = "attachment"


class MemberChangeReason(StrEnum):
    """Why a member was added to or removed from an organisation's count (党员增减)."""

    admission = "admission"  # 发展党员 (接收为预备党员)
    restoration = "restoration"  # 恢复党籍
    transfer_in = "transfer_in"  # 转入
    recorded = "recorded"  # 建档: a record created already a member
    transfer_out = "transfer_out"  # 转出
    deceased = "deceased"  # 死亡
    expelled = "expelled"  # 开除党籍
    left = "left"  # 出党 (退党、自行脱党除名等)
    probation_cancelled = "probation_cancelled"  # 取消预备党员资格
    suspended = "suspended"  # 停止党籍
    # 隶属关系调整: the member's organisation moved into or out of the subtree (either way)
    reorganised = "reorganised"
    other = "other"


class MemberChangeDirection(StrEnum):
    added = "added"  # 增加
    removed = "removed"  # 减少


class ContactState(StrEnum):
    """Worked out from the last check-in, never stored (失联 after the policy's months)."""

    on_track = "on_track"
    overdue = "overdue"
    lost_contact = "lost_contact"


# zh-CN labels of every value above, shown to admins in the OpenAPI document
# (`x-enum-descriptions`) next to the value clients send. A test checks completeness.
class ChangeRequestState(StrEnum):
    pending = "pending"  # 待审核
    approved = "approved"  # 已通过（已更正档案）
    rejected = "rejected"  # 未通过


class TodoKind(StrEnum):
    """What a to-do (待办) asks of its holder; each computed by the rule that owns it."""

    transfer_to_accept = "transfer_to_accept"  # 待接收的组织关系转接
    claim_to_approve = "claim_to_approve"  # 待审批的积分申报
    change_request_to_decide = "change_request_to_decide"  # 待审核的党员信息变更申请
    leave_to_decide = "leave_to_decide"  # 待审批的会议请假
    meeting_due = "meeting_due"  # 本期应开的会议
    member_flagged = "member_flagged"  # 党员提示（谈话、审批、失联等）
    dues_arrears = "dues_arrears"  # 连续 6 个月未交党费
    term_ending = "term_ending"  # 换届
    check_in_overdue = "check_in_overdue"  # 流动党员逾期未报到


class TodoSeverity(StrEnum):
    info = "info"
    warning = "warning"
    error = "error"


LABELS: dict[type[StrEnum], dict[str, str]] = {
    OrgType: {
        "committee": "党委",
        "working_committee": "党工委",
        "general_branch": "党总支",
        "branch": "党支部",
        "joint_branch": "联合党支部",
        "temporary_branch": "临时党支部",
        "group": "党小组",
    },
    MemberStatus: {
        "applicant": "入党申请人",
        "activist": "入党积极分子",
        "candidate": "发展对象",
        "probationary": "预备党员",
        "full": "正式党员",
        "suspended": "停止党籍",
        "left": "出党",
        "deceased": "去世",
    },
    MemberCategory: {
        "employed": "在职",
        "retired": "离退休",
        "self_employed": "个体",
        "farmer": "农民",
        "student": "学生",
        "unemployed": "无固定职业",
        "on_relief": "依靠抚恤、救济或低保生活",
        "other": "其他",
    },
    Gender: {"male": "男", "female": "女"},
    Role: {
        "system_admin": "系统管理员",
        "org_admin": "组织管理员",
        "branch_secretary": "支部书记",
        "member": "党员",
        "auditor": "审计员",
    },
    LeaderRole: {
        "secretary": "书记",
        "deputy_secretary": "副书记",
        "organisation_member": "组织委员",
        "propaganda_member": "宣传委员",
        "discipline_member": "纪检委员",
        "committee_member": "委员",
    },
    MeetingType: {
        "general_meeting": "支部党员大会",
        "committee_meeting": "支委会",
        "group_meeting": "党小组会",
        "party_lecture": "党课",
        "theme_day": "主题党日",
        "life_meeting": "组织生活会",
        "democratic_review": "民主评议党员",
    },
    MeetingState: {"planned": "计划中", "finalized": "已归档"},
    Presence: {"present": "出席", "excused": "请假", "absent": "缺席"},
    LeaveState: {"pending": "待审批", "approved": "已批准", "rejected": "未批准"},
    VoteKind: {"decision": "决议", "election": "选举"},
    GridKind: {"urban": "城市网格", "rural": "农村网格"},
    CommunityReportState: {"active": "报到中", "ended": "已结束"},
    ReviewStatus: {"passed": "合格", "failed": "不合格"},
    ServiceRecordState: {"pending": "待确认", "confirmed": "已确认", "rejected": "已退回"},
    TransferState: {
        "pending": "待接收",
        "accepted": "已接收",
        "rejected": "已退回",
        "cancelled": "已撤回",
    },
    ReliefKind: {"reduction": "减交", "exemption": "免交"},
    ImportKind: {"members": "党员", "organisations": "党组织"},
    ImportState: {"running": "进行中", "finished": "已完成", "failed": "失败"},
    PointCategory: {"base": "基础分", "bonus": "加分", "deduction": "扣分"},
    EntryState: {
        "pending": "待审核",
        "approved": "已通过",
        "rejected": "已驳回",
        "reversed": "已冲销",
    },
    EntrySource: {
        "manual": "手工登记",
        "claim": "本人申报",
        "meeting": "会议出席",
        "service": "社区服务",
        "reversal": "冲销",
    },
    Grade: {
        "excellent": "优秀",
        "qualified": "合格",
        "basically_qualified": "基本合格",
        "unqualified": "不合格",
    },
    EpisodeState: {
        "registered": "已流出登记",
        "hosted": "流入地已接收",
        "returned": "已返回",
        "transferred": "已转出组织关系",
    },
    CheckInKind: {"report": "报到", "study": "学习", "service": "服务"},
    ReportedBy: {"member": "本人", "home": "流出地党组织", "host": "流入地党组织"},
    DeliveryState: {"pending": "待推送", "delivered": "已送达", "failed": "失败"},
    NotificationChannel: {"email": "电子邮件", "wechat": "微信订阅消息"},
    DisciplineKind: {
        "warning": "警告",
        "serious_warning": "严重警告",
        "removal_from_post": "撤销党内职务",
        "probation": "留党察看",
        "expulsion": "开除党籍",
    },
    DisciplineOutcome: {"rights_restored": "恢复党员权利", "expelled": "开除党籍"},
    CalendarDayKind: {"holiday": "节假日", "workday": "调休上班"},
    NoticeKind: {"admission": "接收预备党员公示", "full_membership": "预备党员转正公示"},
    FormNumberState: {"used": "已使用", "void": "已作废"},
    DevelopmentStepCode: DEVELOPMENT_STEP_LABELS,
    ChangeResource: CHANGE_RESOURCE_LABELS,
    ChangeAction: CHANGE_ACTION_LABELS,
    RewardLevel: {
        "national": "全国",
        "provincial": "省级",
        "municipal": "市级",
        "county": "县级",
        "basic": "基层",
    },
    ContactState: {"on_track": "联系正常", "overdue": "逾期未联系", "lost_contact": "失联"},
    ChangeRequestState: {"pending": "待审核", "approved": "已通过", "rejected": "未通过"},
    TodoKind: {
        "transfer_to_accept": "待接收的组织关系转接",
        "claim_to_approve": "待审批的积分申报",
        "change_request_to_decide": "待审核的信息变更申请",
        "leave_to_decide": "待审批的会议请假",
        "meeting_due": "本期应开的会议",
        "member_flagged": "党员提示事项",
        "dues_arrears": "连续六个月未交党费",
        "term_ending": "换届提醒",
        "check_in_overdue": "流动党员逾期未报到",
    },
    TodoSeverity: {"info": "提示", "warning": "警告", "error": "逾期"},
    AuditResource: {
        "member": "党员",
        "organisation": "党组织",
        "meeting": "会议",
        "transfer": "组织关系转接",
        "mobile_episode": "流动党员外出登记",
        "mobile_check_in": "流动党员报到",
        "grid": "网格",
        "community_report": "双报到登记",
        "user": "用户",
        "webhook": "Webhook 订阅",
        "import": "导入任务",
        "calendar_day": "节假日安排",
        "form_number": "入党志愿书编号",
        "attachment": "附件",
    },
    MemberChangeReason: {
        "admission": "发展党员",
        "restoration": "恢复党籍",
        "transfer_in": "转入组织关系",
        "recorded": "建档录入",
        "transfer_out": "转出组织关系",
        "deceased": "死亡",
        "expelled": "开除党籍",
        "left": "出党",
        "probation_cancelled": "取消预备党员资格",
        "suspended": "停止党籍",
        "reorganised": "党组织隶属关系调整",
        "other": "其他",
    },
    MemberChangeDirection: {"added": "增加", "removed": "减少"},
}


def label_zh(enum: type[StrEnum], value: str) -> str:
    """The zh-CN label of `value` in `enum` (the value itself when it has none)."""
    return LABELS.get(enum, {}).get(str(value), str(value))
