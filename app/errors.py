"""One error hierarchy, rendered as RFC 9457 problem details with stable codes.

Services raise these; `app.main` turns them into `application/problem+json`
with `title` and `detail` in the caller's language (zh-CN default, en).
"""

from __future__ import annotations

from typing import Any

# code -> (zh-CN, en). `detail` templates take the error's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "request.validation_failed": ("请求参数校验失败", "The request is invalid"),
    "request.malformed": ("请求格式错误", "The request body could not be parsed"),
    "request.not_found": ("请求的路径不存在", "No such path"),
    "request.method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "internal.error": ("服务器内部错误", "Internal server error"),
    "ops.database_unreachable": ("数据库不可用", "The database is unreachable"),
    "auth.not_authenticated": ("未登录或令牌无效", "Missing or invalid credentials"),
    "auth.invalid_credentials": ("用户名或密码错误", "Wrong username or password"),
    "auth.locked": ("登录失败次数过多，请稍后再试", "Too many failed logins, try again later"),
    "auth.refresh_invalid": ("刷新令牌无效或已使用", "The refresh token is invalid or used"),
    "auth.forbidden": ("当前角色无权执行此操作", "Your role may not do this"),
    "user.not_found": ("用户不存在", "No such user"),
    "user.username_taken": ("用户名已被占用", "The username is taken"),
    "user.role_too_high": ("不能创建高于自身角色的用户", "You cannot grant a role above your own"),
    "user.member_required": (
        "党员角色的用户必须绑定党员记录",
        "A member user needs a member record",
    ),
    "user.member_not_in_org": (
        "绑定的党员不属于该组织",
        "The member record does not belong to that organisation",
    ),
    "organisation.not_found": ("党组织不存在", "No such organisation"),
    "organisation.not_in_scope": (
        "党组织不存在或不在管理范围内",
        "No such organisation in your scope",
    ),
    "organisation.code_taken": ("组织编码已存在", "The organisation code is already used"),
    "organisation.parent_type_invalid": (
        "该类型的党组织不能设在此上级组织下",
        "This organisation type cannot sit under that parent",
    ),
    "organisation.root_requires_system_admin": (
        "只有系统管理员可以创建顶级党组织",
        "Only a system administrator can create a root organisation",
    ),
    "organisation.move_cycle": (
        "不能将党组织移动到其自身或下级组织之下",
        "An organisation cannot move under itself or its own subtree",
    ),
    "organisation.dissolved": ("党组织已撤销", "The organisation is dissolved"),
    "organisation.has_members": (
        "组织内仍有党员，不能撤销",
        "The organisation still has members and cannot be dissolved",
    ),
    "organisation.has_children": (
        "组织仍有下级组织，不能撤销",
        "The organisation still has sub-organisations and cannot be dissolved",
    ),
    "organisation.root_not_movable": (
        "不能移动自己所在的顶级组织",
        "You cannot move your own root",
    ),
    "leader.secretary_exists": ("该组织已有在任书记", "The organisation already has a secretary"),
    "leader.member_not_in_org": (
        "班子成员必须是本组织或其下级组织的党员",
        "A leader must be a member of this organisation's subtree",
    ),
    "member.not_found": ("党员不存在", "No such member"),
    "member.id_number_invalid": ("身份证号码格式不正确", "The ID number is malformed"),
    "member.id_number_checksum": ("身份证号码校验位错误", "The ID number check character is wrong"),
    "member.id_number_birth_date_invalid": (
        "身份证号码中的出生日期无效",
        "The birth date in the ID number is invalid",
    ),
    "member.id_number_taken": ("该身份证号码已登记", "A living member already has this ID number"),
    "member.birth_date_mismatch": (
        "出生日期与身份证号码不一致",
        "The birth date does not match the ID number",
    ),
    "member.gender_mismatch": ("性别与身份证号码不一致", "The gender does not match the ID number"),
    "member.phone_invalid": ("手机号码格式不正确", "The phone number is malformed"),
    "member.org_not_branch": (
        "党员的组织关系必须在党支部或联合党支部",
        "A member must belong to a branch or joint branch",
    ),
    "member.group_invalid": (
        "党小组必须是所在支部下的党小组",
        "The party group must be a group under the member's branch",
    ),
    "member.status_requires_transition": (
        "党员状态只能通过组织程序变更",
        "Status changes go through /members/{id}/transitions",
    ),
    "member.dates_out_of_order": (
        "入党各阶段日期顺序不正确",
        "The membership dates are out of order",
    ),
    "member.under_age": (
        "申请入党时须年满18周岁",
        "An applicant must be 18 on the application date",
    ),
    "member.flag_unknown": ("未知的提醒标记", "Unknown flag"),
    "lifecycle.transition_not_allowed": (
        "不允许的党籍状态变更",
        "This status change is not allowed",
    ),
    "lifecycle.activist_period_too_short": (
        "入党积极分子培养考察未满一年",
        "An activist becomes a candidate after at least one year",
    ),
    "lifecycle.activist_date_unknown": (
        "未记录确定为积极分子的日期",
        "activist_on is not recorded",
    ),
    "lifecycle.joined_date_unknown": ("未记录接收为预备党员的日期", "joined_on is not recorded"),
    "lifecycle.probation_not_complete": ("预备期未满", "The probation period is not over"),
    "lifecycle.extension_already_used": ("预备期只能延长一次", "Probation can be extended once"),
    "lifecycle.extension_length_invalid": (
        "延长预备期应为六个月至一年",
        "An extension lasts 6 to 12 months",
    ),
    "lifecycle.extension_not_applicable": (
        "只有延长预备期时才能填写延长月数",
        "extension_months applies only to extending probation",
    ),
    "lifecycle.effective_date_in_future": ("生效日期不能晚于今天", "The date is in the future"),
    "lifecycle.effective_date_before_previous": (
        "生效日期早于上一次变更",
        "The date is before the last recorded change",
    ),
    "lifecycle.temporary_branch_cannot_admit": (
        "临时党支部不能发展党员",
        "A temporary branch cannot admit members",
    ),
    "transfer.not_found": ("组织关系转接记录不存在", "No such transfer"),
    "transfer.already_pending": ("该党员已有待接收的转接", "A transfer is already pending"),
    "transfer.member_ended": ("该党员已不在册", "The member's record has ended"),
    "transfer.target_not_branch": (
        "只能转入党支部或联合党支部",
        "Transfers go to a branch or joint branch",
    ),
    "transfer.same_organisation": ("不能转入当前所在组织", "The member is already there"),
    "transfer.not_pending": ("该转接已办结", "The transfer is no longer pending"),
    "transfer.not_receiver": ("只有接收方可以办理", "Only the receiving side may do this"),
    "transfer.not_sender": ("只有转出方可以撤销", "Only the sending side may cancel"),
    "transfer.state_unknown": ("未知的转接状态", "Unknown transfer state"),
    "dues.base_missing": (
        "未登记党费计算基数",
        "The declared monthly base (dues_base_fen) is missing",
    ),
    "dues.month_invalid": ("月份格式应为 YYYY-MM", "Months are YYYY-MM"),
    "dues.month_repeated": ("月份重复", "A month appears twice"),
    "dues.months_empty": ("请至少填写一个月份", "Name at least one month"),
    "dues.month_in_future": (
        "不能缴纳缴费日期之后月份的党费",
        "A month is after the payment month",
    ),
    "dues.back_payment_too_old": ("补缴党费最多补缴6个月", "Back payment covers at most 6 months"),
    "dues.month_already_paid": ("该月党费已缴纳", "A month is already paid"),
    "dues.month_not_due": ("该月无需缴纳党费", "Nothing is due for a month"),
    "dues.amount_mismatch": ("缴纳金额与测算金额不符", "The amount differs from the assessment"),
    "dues.paid_on_in_future": ("缴费日期不能晚于今天", "paid_on is in the future"),
    "dues.temporary_branch": ("临时党支部不收缴党费", "A temporary branch does not collect dues"),
    "dues.month_order": ("结束月份早于开始月份", "to_month is before from_month"),
    "dues.reduction_amount_missing": (
        "减免须填写减免后的月缴金额",
        "A reduction needs monthly_fen",
    ),
    "dues.exemption_has_no_amount": ("免交不应填写金额", "An exemption has no amount"),
    "policy.unknown_key": ("未知的政策参数", "Unknown policy key"),
    "policy.value_invalid": ("政策参数取值无效", "Invalid policy value"),
    "meeting.not_found": ("会议记录不存在", "No such meeting"),
    "meeting.type_not_for_org": (
        "该组织不召开此类会议",
        "This organisation does not hold this meeting type",
    ),
    "meeting.no_committee": (
        "未设支部委员会，不能召开支委会",
        "No branch committee: no committee meeting",
    ),
    "meeting.member_not_in_org": ("人员不属于本组织", "A member is not in this organisation"),
    "meeting.finalized": ("会议记录已归档，只能更正", "The record is locked: add an amendment"),
    "meeting.not_finalized": (
        "会议记录尚未归档，可直接修改",
        "The meeting is not finalized: edit it",
    ),
    "meeting.votes_recorded": (
        "已有表决记录，不能再修改出席情况",
        "Votes were counted: attendance is fixed",
    ),
    "meeting.attendance_incomplete": (
        "请先登记全部应到人员的出席情况",
        "Record everyone's attendance first",
    ),
    "meeting.votes_exceed_present": ("票数超过实到有表决权人数", "More votes than voters present"),
    "meeting.votes_not_held": ("此类会议不进行表决", "This meeting type takes no votes"),
    "meeting.temporary_branch_no_election": (
        "临时党支部不进行选举",
        "A temporary branch holds no elections",
    ),
    "meeting.not_yet_held": ("会议尚未召开", "The meeting has not been held yet"),
    "meeting.field_not_amendable": ("该字段不能更正", "This field cannot be amended"),
    "meeting.excuse_needs_reason": ("请假须说明理由", "An excused absence needs a reason"),
    "compliance.period_ambiguous": (
        "请只指定季度或月份之一",
        "Give a quarter or a month, not both",
    ),
    "points.bands_overlap": ("等级分数线重复", "Grade band minimums repeat"),
    "points.scheme_not_found": ("未设置积分方案", "No points scheme applies"),
    "points.category_differs": (
        "细则类别须与上级细则一致",
        "The category must match the parent item",
    ),
    "points.cap_exceeds_parent": ("超出上级细则设定的上限", "Above the cap the ancestor set"),
    "points.parent_not_ancestor": (
        "上级细则须由上级组织设定",
        "The parent item must be an ancestor's",
    ),
    "points.trigger_unknown": ("未知的自动计分事件", "Unknown trigger"),
    "points.rule_code_taken": ("细则编码已存在", "The rule code is taken"),
    "points.rule_not_found": ("积分细则不存在", "No such rule item"),
    "points.rule_not_applicable": (
        "该细则不适用于此党员",
        "The rule does not apply to this member",
    ),
    "points.rule_inactive": ("该细则已停用", "The rule item is inactive"),
    "points.member_not_scored": ("该党员不参与积分", "This member is not scored"),
    "points.evidence_required": ("该细则须提供佐证材料", "This item needs evidence"),
    "points.cap_exceeded": ("超出积分上限", "The cap is reached"),
    "points.source_key_used": ("来源编号已用于其他记录", "The source key scored another entry"),
    "points.entry_not_found": ("积分记录不存在", "No such entry"),
    "points.entry_not_pending": ("该记录不在待审核状态", "The entry is not pending"),
    "points.entry_not_approved": ("只能冲正已通过的记录", "Only approved entries are reversed"),
    "points.only_full_members_graded": (
        "预备党员不参加评定",
        "Probationary members are not graded",
    ),
    "points.excellent_over_third": (
        "优秀等次不超过正式党员的三分之一",
        "Excellent: at most 1/3 of full members",
    ),
    "mobile.not_found": ("流动党员记录不存在", "No such mobile episode"),
    "mobile.area_code_invalid": ("行政区划代码无效", "Not a GB/T 2260 area code"),
    "mobile.host_not_branch": ("流入地须为党支部", "The host must be a current branch"),
    "mobile.member_ended": ("该党员已不在册", "The member's record has ended"),
    "mobile.transfer_pending": ("组织关系转接办理中，不能登记流出", "A transfer is pending"),
    "mobile.already_open": ("该党员已有未结束的流动登记", "An episode is already open"),
    "mobile.not_registered": ("该流动记录已被接收或已结束", "The episode is not awaiting inflow"),
    "mobile.episode_closed": ("该流动记录已结束", "The episode is closed"),
    "mobile.check_in_date_invalid": ("报到日期无效", "The check-in date is invalid"),
    "mobile.location_without_consent": ("本人未同意记录位置", "No consent to record a location"),
    "mobile.not_home_side": ("只有流出地党组织可以办理", "Only the home side may do this"),
    "grid.not_found": ("网格不存在", "No such grid"),
    "grid.code_taken": ("网格编码已存在", "The grid code is taken"),
    "grid.org_not_community": (
        "须为社区或村级党组织",
        "A community-level organisation is required",
    ),
    "grid.covering_not_in_community": (
        "覆盖网格的党组织须为本社区的支部或党小组",
        "The covering organisation must be a branch or group of the community",
    ),
    "grid.leader_invalid": ("网格长须为在册党员", "The leader must be a current member"),
    "grid.member_repeated": ("党员重复", "A member appears twice"),
    "grid.member_ended": ("党员已不在册", "A member's record has ended"),
    "community_report.not_found": ("报到记录不存在", "No such registration"),
    "community_report.not_employed": ("双报到适用于在职党员", "Only employed members register"),
    "community_report.member_ended": ("党员已不在册", "The member's record has ended"),
    "community_report.already_registered": ("已在社区报到", "Already registered with a community"),
    "community_report.ended": ("报到已结束", "The registration has ended"),
    "community_report.date_invalid": ("服务日期无效", "The service date is invalid"),
    "community_report.hours_invalid": ("服务时长无效", "Hours must be 0.1 to 24"),
    "community_report.not_member_side": (
        "只有党员所在党组织可以登记",
        "Only the member's side may log",
    ),
    "community_report.not_community_side": (
        "只有社区党组织可以确认",
        "Only the community side may do this",
    ),
    "community_report.service_not_found": ("服务记录不存在", "No such service record"),
    "community_report.service_decided": ("服务记录已确认或退回", "The service record is decided"),
    "webhook.not_found": ("推送订阅不存在", "No such webhook"),
    "webhook.event_type_unknown": ("未知的事件类型", "Unknown event type"),
    "webhook.url_invalid": ("推送地址须为 http(s) URL", "The URL must be http(s)"),
    "import.not_found": ("导入任务不存在", "No such import job"),
    "import.file_unreadable": ("文件无法读取", "The file cannot be read"),
    "import.file_type": ("请上传 .csv 或 .xlsx 文件", "Upload a .csv or .xlsx file"),
    "import.file_too_large": ("文件过大", "The file is too large"),
    "import.columns_missing": ("缺少必填列", "Required columns are missing"),
    "import.empty": ("文件为空", "The file is empty"),
    "precondition.failed": (
        "数据已被他人修改，请刷新后重试",
        "The resource changed (If-Match failed)",
    ),
    "precondition.if_match_invalid": ("If-Match 格式不正确", "The If-Match header is malformed"),
    "idempotency.key_reused": (
        "幂等键已用于不同的请求",
        "The Idempotency-Key was already used with a different request",
    ),
    "idempotency.in_progress": (
        "相同幂等键的请求正在处理",
        "A request with this Idempotency-Key is in progress",
    ),
    "pagination.cursor_invalid": ("分页游标无效", "The pagination cursor is invalid"),
    "pagination.sort_invalid": ("排序字段无效", "Unknown sort field"),
    "conflict.concurrent_update": ("数据已被并发修改，请重试", "Concurrent update, please retry"),
}


def message(code: str, lang: str) -> str:
    zh, en = MESSAGES.get(code, (code, code))
    return en if lang == "en" else zh


class DangjianError(Exception):
    """A domain error with an HTTP status and a stable machine code."""

    status: int = 400

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail or code)
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

    def __init__(self, code: str = "auth.not_authenticated", detail: str | None = None) -> None:
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
    def field(cls, field: str, code: str, msg: str | None = None) -> Unprocessable:
        return cls(
            code,
            msg,
            errors=[{"field": field, "code": code, "message": msg or message(code, "en")}],
        )


class TooManyRequests(DangjianError):
    status = 429


# Documented on every route so clients see the problem schema in OpenAPI.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": desc,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    for status, desc in [
        (401, "Missing or invalid token"),
        (403, "The role may not do this"),
        (404, "Not found or outside your scope"),
        (409, "Conflict with a rule or the current state"),
        (412, "If-Match did not match the current version"),
        (422, "Validation failed"),
        (429, "Too many requests"),
    ]
}
