"""The catalogue of problem codes (`ErrorCode`): every `code` the API answers with,
declared once with its zh-CN and en messages. `app.errors` raises and renders them."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every problem `code` the API answers with, each declared with its zh-CN and en
    messages: a code cannot exist without both. The value is the dotted code clients
    key on; the member's name is the value with `_` for `.`."""

    zh: str
    en: str

    def __new__(cls, code: str, zh: str, en: str) -> ErrorCode:
        member = str.__new__(cls, code)
        member._value_ = code
        member.zh = zh
        member.en = en
        return member

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    @classmethod
    def known(cls, code: object) -> ErrorCode | None:
        """The member for a code, or None (a validator's own `value.*` field codes)."""
        return cls._value2member_map_.get(code)  # type: ignore[return-value]  # values are members

    request_validation_failed = (
        "request.validation_failed",
        "请求参数校验失败",
        "The request is invalid",
    )
    request_malformed = "request.malformed", "请求格式错误", "The request body could not be parsed"
    request_text_invalid = (
        "request.text_invalid",
        "文本含有无法保存的字符（NUL、制表符和换行符以外的控制字符或不成对的代理字符）",
        "The text contains a character that cannot be stored (NUL, a control character "
        "other than tab and line breaks, or a lone surrogate)",
    )
    request_not_found = "request.not_found", "请求的路径不存在", "No such path"
    request_method_not_allowed = (
        "request.method_not_allowed",
        "不支持该请求方法",
        "Method not allowed",
    )
    request_method_override_invalid = (
        "request.method_override_invalid",
        "X-HTTP-Method-Override 只能在 POST 请求中取值 PATCH",
        "X-HTTP-Method-Override may only name PATCH, on a POST",
    )
    internal_error = "internal.error", "服务器内部错误", "Internal server error"
    service_database_unavailable = (
        "service.database_unavailable",
        "数据库暂时不可用，请稍后重试",
        "The database is unavailable for now: retry later",
    )
    ops_database_unreachable = (
        "ops.database_unreachable",
        "数据库不可用",
        "The database is unreachable",
    )
    auth_not_authenticated = (
        "auth.not_authenticated",
        "未登录或令牌无效",
        "Missing or invalid credentials",
    )
    auth_invalid_credentials = (
        "auth.invalid_credentials",
        "用户名或密码错误",
        "Wrong username or password",
    )
    auth_locked = (
        "auth.locked",
        "登录失败次数过多，请稍后再试",
        "Too many failed logins, try again later",
    )
    auth_refresh_invalid = (
        "auth.refresh_invalid",
        "刷新令牌无效或已使用",
        "The refresh token is invalid or used",
    )
    auth_forbidden = "auth.forbidden", "当前角色无权执行此操作", "Your role may not do this"
    user_not_found = "user.not_found", "用户不存在", "No such user"
    change_request_not_found = (
        "change_request.not_found",
        "信息变更申请不存在",
        "No such change request",
    )
    change_request_not_pending = (
        "change_request.not_pending",
        "该申请已处理",
        "The change request was already decided",
    )
    change_request_empty = (
        "change_request.empty",
        "未填写要变更的内容",
        "The request names no change",
    )
    change_request_own = (
        "change_request.own",
        "不能审核本人的变更申请",
        "You cannot decide your own change request",
    )
    notification_not_found = (
        "notification.not_found",
        "通知不存在",
        "Notification not found",
    )
    me_no_member_record = (
        "me.no_member_record",
        "当前用户未关联党员档案",
        "This user is not linked to a member record",
    )
    user_username_taken = "user.username_taken", "用户名已被占用", "The username is taken"
    user_role_too_high = (
        "user.role_too_high",
        "不能创建高于自身角色的用户",
        "You cannot grant a role above your own",
    )
    user_member_required = (
        "user.member_required",
        "党员角色的用户必须绑定党员记录",
        "A member user needs a member record",
    )
    user_member_not_in_org = (
        "user.member_not_in_org",
        "绑定的党员不属于该组织",
        "The member record does not belong to that organisation",
    )
    organisation_not_found = "organisation.not_found", "党组织不存在", "No such organisation"
    organisation_not_in_scope = (
        "organisation.not_in_scope",
        "党组织不存在或不在管理范围内",
        "No such organisation in your scope",
    )
    organisation_code_taken = (
        "organisation.code_taken",
        "组织编码已存在",
        "The organisation code is already used",
    )
    organisation_parent_type_invalid = (
        "organisation.parent_type_invalid",
        "该类型的党组织不能设在此上级组织下",
        "This organisation type cannot sit under that parent",
    )
    organisation_root_requires_system_admin = (
        "organisation.root_requires_system_admin",
        "只有系统管理员可以创建顶级党组织",
        "Only a system administrator can create a root organisation",
    )
    organisation_move_cycle = (
        "organisation.move_cycle",
        "不能将党组织移动到其自身或下级组织之下",
        "An organisation cannot move under itself or its own subtree",
    )
    organisation_dissolved = (
        "organisation.dissolved",
        "党组织已撤销",
        "The organisation is dissolved",
    )
    organisation_has_members = (
        "organisation.has_members",
        "组织内仍有党员，不能撤销",
        "The organisation still has members and cannot be dissolved",
    )
    organisation_has_children = (
        "organisation.has_children",
        "组织仍有下级组织，不能撤销",
        "The organisation still has sub-organisations and cannot be dissolved",
    )
    organisation_root_not_movable = (
        "organisation.root_not_movable",
        "不能移动自己所在的顶级组织",
        "You cannot move your own root",
    )
    leader_secretary_exists = (
        "leader.secretary_exists",
        "该组织已有任期与此重叠的书记",
        "The organisation already has a secretary whose term overlaps this one",
    )
    leader_member_not_in_org = (
        "leader.member_not_in_org",
        "班子成员必须是本组织或其下级组织的党员",
        "A leader must be a member of this organisation's subtree",
    )
    leader_term_order = (
        "leader.term_order",
        "任期结束日期早于开始日期",
        "The term ends before it starts",
    )
    member_not_found = "member.not_found", "党员不存在", "No such member"
    member_id_number_invalid = (
        "member.id_number_invalid",
        "身份证号码格式不正确",
        "The ID number is malformed",
    )
    member_id_number_checksum = (
        "member.id_number_checksum",
        "身份证号码校验位错误",
        "The ID number check character is wrong",
    )
    member_id_number_birth_date_invalid = (
        "member.id_number_birth_date_invalid",
        "身份证号码中的出生日期无效",
        "The birth date in the ID number is invalid",
    )
    member_id_number_taken = (
        "member.id_number_taken",
        "该身份证号码已登记",
        "A living member already has this ID number",
    )
    member_birth_date_mismatch = (
        "member.birth_date_mismatch",
        "出生日期与身份证号码不一致",
        "The birth date does not match the ID number",
    )
    member_gender_mismatch = (
        "member.gender_mismatch",
        "性别与身份证号码不一致",
        "The gender does not match the ID number",
    )
    member_phone_invalid = (
        "member.phone_invalid",
        "手机号码格式不正确",
        "The phone number is malformed",
    )
    member_org_not_branch = (
        "member.org_not_branch",
        "党员的组织关系必须在党支部或联合党支部",
        "A member must belong to a branch or joint branch",
    )
    member_group_invalid = (
        "member.group_invalid",
        "党小组必须是所在支部下的党小组",
        "The party group must be a group under the member's branch",
    )
    member_status_requires_transition = (
        "member.status_requires_transition",
        "党员状态只能通过组织程序变更",
        "Status changes go through /members/{id}/transitions",
    )
    member_dates_out_of_order = (
        "member.dates_out_of_order",
        "入党各阶段日期顺序不正确",
        "The membership dates are out of order",
    )
    member_applied_on_required = (
        "member.applied_on_required",
        "入党申请人、积极分子和发展对象须填写递交入党申请书日期",
        "Applicants, activists and candidates need their application date (applied_on)",
    )
    member_under_age = (
        "member.under_age",
        "申请入党时须年满18周岁",
        "An applicant must be 18 on the application date",
    )
    member_flag_unknown = "member.flag_unknown", "未知的提醒标记", "Unknown flag"
    member_date_in_future = (
        "member.date_in_future",
        "入党各阶段日期不能晚于今天",
        "A membership date is in the future",
    )
    member_category_required = (
        "member.category_required",
        "人员类别不能为空",
        "The category cannot be empty",
    )
    member_name_required = "member.name_required", "姓名不能为空", "The name cannot be empty"
    lifecycle_transition_not_allowed = (
        "lifecycle.transition_not_allowed",
        "不允许的党籍状态变更",
        "This status change is not allowed",
    )
    lifecycle_activist_period_too_short = (
        "lifecycle.activist_period_too_short",
        "入党积极分子培养考察未满一年",
        "An activist becomes a candidate after at least one year",
    )
    lifecycle_activist_date_unknown = (
        "lifecycle.activist_date_unknown",
        "未记录确定为积极分子的日期",
        "activist_on is not recorded",
    )
    lifecycle_joined_date_unknown = (
        "lifecycle.joined_date_unknown",
        "未记录接收为预备党员的日期",
        "joined_on is not recorded",
    )
    lifecycle_probation_not_complete = (
        "lifecycle.probation_not_complete",
        "预备期未满",
        "The probation period is not over",
    )
    lifecycle_extension_already_used = (
        "lifecycle.extension_already_used",
        "预备期只能延长一次",
        "Probation can be extended once",
    )
    lifecycle_extension_length_invalid = (
        "lifecycle.extension_length_invalid",
        "延长预备期应为六个月至一年",
        "An extension lasts 6 to 12 months",
    )
    lifecycle_extension_not_applicable = (
        "lifecycle.extension_not_applicable",
        "只有延长预备期时才能填写延长月数",
        "extension_months applies only to extending probation",
    )
    lifecycle_effective_date_in_future = (
        "lifecycle.effective_date_in_future",
        "生效日期不能晚于今天",
        "The date is in the future",
    )
    lifecycle_effective_date_before_previous = (
        "lifecycle.effective_date_before_previous",
        "生效日期早于上一次变更",
        "The date is before the last recorded change",
    )
    lifecycle_temporary_branch_cannot_admit = (
        "lifecycle.temporary_branch_cannot_admit",
        "临时党支部不能发展党员",
        "A temporary branch cannot admit members",
    )
    lifecycle_admission_vote_required = (
        "lifecycle.admission_vote_required",
        "接收预备党员须经支部大会表决通过：请注明表决所在的支部大会（meeting_id）",
        "Admission to probation needs a passed vote of the branch's general meeting: "
        "name that meeting (meeting_id)",
    )
    lifecycle_admission_vote_not_passed = (
        "lifecycle.admission_vote_not_passed",
        "该会议不是本人所在支部的支部大会，或未表决通过接收该同志为预备党员",
        "That meeting is not a general meeting of the member's branch with a passed, valid "
        "vote admitting this member",
    )
    transfer_not_found = "transfer.not_found", "组织关系转接记录不存在", "No such transfer"
    transfer_already_pending = (
        "transfer.already_pending",
        "该党员已有待接收的转接",
        "A transfer is already pending",
    )
    transfer_member_ended = (
        "transfer.member_ended",
        "该党员已不在册",
        "The member's record has ended",
    )
    transfer_target_not_branch = (
        "transfer.target_not_branch",
        "只能转入党支部或联合党支部",
        "Transfers go to a branch or joint branch",
    )
    transfer_same_organisation = (
        "transfer.same_organisation",
        "不能转入当前所在组织",
        "The member is already there",
    )
    transfer_not_pending = (
        "transfer.not_pending",
        "该转接已办结",
        "The transfer is no longer pending",
    )
    transfer_not_receiver = (
        "transfer.not_receiver",
        "只有接收方可以办理",
        "Only the receiving side may do this",
    )
    transfer_not_sender = (
        "transfer.not_sender",
        "只有转出方可以撤销",
        "Only the sending side may cancel",
    )
    transfer_state_unknown = "transfer.state_unknown", "未知的转接状态", "Unknown transfer state"
    dues_base_missing = (
        "dues.base_missing",
        "未登记党费计算基数",
        "The declared monthly base (dues_base_fen) is missing",
    )
    dues_month_invalid = "dues.month_invalid", "月份格式应为 YYYY-MM", "Months are YYYY-MM"
    dues_month_repeated = "dues.month_repeated", "月份重复", "A month appears twice"
    dues_months_empty = "dues.months_empty", "请至少填写一个月份", "Name at least one month"
    dues_prepayment_too_far = (
        "dues.prepayment_too_far",
        "预交党费最多预交至缴费月份之后12个月",
        "Prepayment covers at most 12 months after the payment month",
    )
    dues_back_payment_too_old = (
        "dues.back_payment_too_old",
        "补缴党费最多补缴6个月",
        "Back payment covers at most 6 months",
    )
    dues_month_already_paid = "dues.month_already_paid", "该月党费已缴纳", "A month is already paid"
    dues_month_not_due = "dues.month_not_due", "该月无需缴纳党费", "Nothing is due for a month"
    dues_amount_below_assessment = (
        "dues.amount_below_assessment",
        "缴纳金额少于测算金额（多交部分为自愿多交）",
        "The amount is below the assessment (an amount above it is a voluntary extra)",
    )
    dues_paid_on_in_future = (
        "dues.paid_on_in_future",
        "缴费日期不能晚于今天",
        "paid_on is in the future",
    )
    dues_temporary_branch = (
        "dues.temporary_branch",
        "临时党支部不收缴党费",
        "A temporary branch does not collect dues",
    )
    dues_month_order = "dues.month_order", "结束月份早于开始月份", "to_month is before from_month"
    dues_reduction_amount_missing = (
        "dues.reduction_amount_missing",
        "减免须填写减免后的月缴金额",
        "A reduction needs monthly_fen",
    )
    dues_exemption_has_no_amount = (
        "dues.exemption_has_no_amount",
        "免交不应填写金额",
        "An exemption has no amount",
    )
    policy_unknown_key = "policy.unknown_key", "未知的政策参数", "Unknown policy key"
    policy_value_invalid = "policy.value_invalid", "政策参数取值无效", "Invalid policy value"
    policy_set_concurrently = (
        "policy.set_concurrently",
        "该组织的政策参数已被同时设置，请刷新后重试",
        "The organisation's policy was set at the same time: reload and retry",
    )
    meeting_not_found = "meeting.not_found", "会议记录不存在", "No such meeting"
    meeting_type_not_for_org = (
        "meeting.type_not_for_org",
        "该组织不召开此类会议",
        "This organisation does not hold this meeting type",
    )
    meeting_no_committee = (
        "meeting.no_committee",
        "未设支部委员会，不能召开支委会",
        "No branch committee: no committee meeting",
    )
    meeting_member_not_in_org = (
        "meeting.member_not_in_org",
        "人员不属于本组织",
        "A member is not in this organisation",
    )
    meeting_finalized = (
        "meeting.finalized",
        "会议记录已归档，只能更正",
        "The record is locked: add an amendment",
    )
    meeting_not_finalized = (
        "meeting.not_finalized",
        "会议记录尚未归档，可直接修改",
        "The meeting is not finalized: edit it",
    )
    meeting_votes_recorded = (
        "meeting.votes_recorded",
        "已有表决记录，不能再修改出席情况",
        "Votes were counted: attendance is fixed",
    )
    meeting_attendance_incomplete = (
        "meeting.attendance_incomplete",
        "请先登记全部应到人员的出席情况",
        "Record everyone's attendance first",
    )
    meeting_votes_exceed_present = (
        "meeting.votes_exceed_present",
        "票数超过实到有表决权人数",
        "More votes than voters present",
    )
    meeting_votes_not_held = (
        "meeting.votes_not_held",
        "此类会议不进行表决",
        "This meeting type takes no votes",
    )
    meeting_temporary_branch_no_election = (
        "meeting.temporary_branch_no_election",
        "临时党支部不进行选举",
        "A temporary branch holds no elections",
    )
    meeting_not_yet_held = (
        "meeting.not_yet_held",
        "会议尚未召开",
        "The meeting has not been held yet",
    )
    meeting_field_not_amendable = (
        "meeting.field_not_amendable",
        "该字段不能更正",
        "This field cannot be amended",
    )
    meeting_excuse_needs_reason = (
        "meeting.excuse_needs_reason",
        "请假须说明理由",
        "An excused absence needs a reason",
    )
    meeting_member_repeated = "meeting.member_repeated", "人员重复", "A member appears twice"
    sign_in_not_open = (
        "sign_in.not_open",
        "本会议尚未开启签到",
        "Sign-in has not been opened for this meeting",
    )
    sign_in_code_invalid = (
        "sign_in.code_invalid",
        "签到码无效：不是本会议的签到码",
        "This is not a sign-in code of this meeting",
    )
    sign_in_code_expired = (
        "sign_in.code_expired",
        "签到码已过期，请扫描最新的二维码",
        "The sign-in code has expired: scan the current one",
    )
    sign_in_too_early = (
        "sign_in.too_early",
        "签到尚未开始",
        "Sign-in has not started yet",
    )
    sign_in_closed = "sign_in.closed", "签到已结束", "Sign-in has closed"
    sign_in_not_expected = (
        "sign_in.not_expected",
        "该党员不是本次会议的应到人员",
        "This member is not expected at this meeting",
    )
    sign_in_repeated = "sign_in.repeated", "已签到", "Already signed in"
    sign_in_not_host = (
        "sign_in.not_host",
        "只有主持人或支部书记、管理员可以开启签到",
        "Only the host, a secretary or an administrator opens sign-in",
    )
    leave_not_found = "leave.not_found", "请假申请不存在", "No such leave request"
    leave_too_late = (
        "leave.too_late",
        "会议已开始，不能再请假",
        "The meeting has started: leave is asked before it",
    )
    leave_already_requested = (
        "leave.already_requested",
        "已有待审批或已批准的请假申请",
        "A pending or approved leave request exists",
    )
    leave_already_decided = (
        "leave.already_decided",
        "该请假申请已审批",
        "This leave request has been decided",
    )
    leave_signed_in = (
        "leave.signed_in",
        "已签到，不能请假",
        "Signed in already: no leave",
    )
    wechat_not_configured = (
        "wechat.not_configured",
        "未配置微信小程序",
        "WeChat mini-program login is not configured",
    )
    wechat_code_invalid = (
        "wechat.code_invalid",
        "微信登录凭证无效或已使用",
        "The WeChat login code is invalid or used",
    )
    wechat_unavailable = (
        "wechat.unavailable",
        "微信服务暂时不可用",
        "The WeChat service is unavailable",
    )
    wechat_not_bound = (
        "wechat.not_bound",
        "该微信尚未绑定账号：请先用账号密码登录后绑定，或使用管理员发放的绑定码",
        "This WeChat is bound to no account: sign in with a password and bind, "
        "or use a binding code from an administrator",
    )
    wechat_already_bound = (
        "wechat.already_bound",
        "该微信或该账号已绑定",
        "This WeChat or this account is already bound",
    )
    wechat_binding_code_invalid = (
        "wechat.binding_code_invalid",
        "绑定码无效、已过期或已使用",
        "The binding code is invalid, expired or used",
    )
    wechat_no_binding = "wechat.no_binding", "该账号未绑定微信", "This account has no WeChat bound"
    compliance_period_ambiguous = (
        "compliance.period_ambiguous",
        "请只指定季度或月份之一",
        "Give a quarter or a month, not both",
    )
    statistics_period_order = (
        "statistics.period_order",
        "统计期的开始日期晚于结束日期",
        "The period starts after it ends",
    )
    points_bands_overlap = "points.bands_overlap", "等级分数线重复", "Grade band minimums repeat"
    points_scheme_not_found = (
        "points.scheme_not_found",
        "未设置积分方案",
        "No points scheme applies",
    )
    points_category_differs = (
        "points.category_differs",
        "细则类别须与上级细则一致",
        "The category must match the parent item",
    )
    points_cap_exceeds_parent = (
        "points.cap_exceeds_parent",
        "超出上级细则设定的上限",
        "Above the cap the ancestor set",
    )
    points_parent_not_ancestor = (
        "points.parent_not_ancestor",
        "上级细则须由上级组织设定",
        "The parent item must be an ancestor's",
    )
    points_trigger_unknown = "points.trigger_unknown", "未知的自动计分事件", "Unknown trigger"
    points_rule_code_taken = "points.rule_code_taken", "细则编码已存在", "The rule code is taken"
    points_rule_not_found = "points.rule_not_found", "积分细则不存在", "No such rule item"
    points_rule_not_applicable = (
        "points.rule_not_applicable",
        "该细则不适用于此党员",
        "The rule does not apply to this member",
    )
    points_rule_inactive = "points.rule_inactive", "该细则已停用", "The rule item is inactive"
    points_member_not_scored = (
        "points.member_not_scored",
        "该党员不参与积分",
        "This member is not scored",
    )
    points_evidence_required = (
        "points.evidence_required",
        "该细则须提供佐证材料",
        "This item needs evidence",
    )
    points_cap_exceeded = "points.cap_exceeded", "超出积分上限", "The cap is reached"
    points_own_entry_not_approvable = (
        "points.own_entry_not_approvable",
        "登记人和被记分的党员本人都不能审核该积分（双人复核）",
        "Neither the person who entered or claimed the points nor the member they score "
        "may approve them (four eyes)",
    )
    points_source_key_used = (
        "points.source_key_used",
        "来源编号已用于该党员的其他记录",
        "The source key already scored another entry of this member",
    )
    points_entry_not_found = "points.entry_not_found", "积分记录不存在", "No such entry"
    points_entry_not_pending = (
        "points.entry_not_pending",
        "该记录不在待审核状态",
        "The entry is not pending",
    )
    points_entry_not_approved = (
        "points.entry_not_approved",
        "只能冲正已通过的记录",
        "Only approved entries are reversed",
    )
    points_only_full_members_graded = (
        "points.only_full_members_graded",
        "预备党员不参加评定",
        "Probationary members are not graded",
    )
    points_excellent_over_third = (
        "points.excellent_over_third",
        "优秀等次不超过正式党员的三分之一",
        "Excellent: at most 1/3 of full members",
    )
    points_scheme_set_concurrently = (
        "points.scheme_set_concurrently",
        "该年度积分方案已被同时设置，请刷新后重试",
        "The scheme for that year was set at the same time: reload and retry",
    )
    mobile_not_found = "mobile.not_found", "流动党员记录不存在", "No such mobile episode"
    mobile_area_code_invalid = (
        "mobile.area_code_invalid",
        "行政区划代码无效",
        "Not a GB/T 2260 area code",
    )
    mobile_host_not_branch = (
        "mobile.host_not_branch",
        "流入地须为党支部",
        "The host must be a current branch",
    )
    mobile_member_ended = "mobile.member_ended", "该党员已不在册", "The member's record has ended"
    mobile_transfer_pending = (
        "mobile.transfer_pending",
        "组织关系转接办理中，不能登记流出",
        "A transfer is pending",
    )
    mobile_already_open = (
        "mobile.already_open",
        "该党员已有未结束的流动登记",
        "An episode is already open",
    )
    mobile_not_registered = (
        "mobile.not_registered",
        "该流动记录已被接收或已结束",
        "The episode is not awaiting inflow",
    )
    mobile_episode_closed = "mobile.episode_closed", "该流动记录已结束", "The episode is closed"
    mobile_check_in_date_invalid = (
        "mobile.check_in_date_invalid",
        "报到日期无效",
        "The check-in date is invalid",
    )
    mobile_location_without_consent = (
        "mobile.location_without_consent",
        "本人未同意记录位置",
        "No consent to record a location",
    )
    mobile_not_home_side = (
        "mobile.not_home_side",
        "只有流出地党组织可以办理",
        "Only the home side may do this",
    )
    grid_not_found = "grid.not_found", "网格不存在", "No such grid"
    grid_code_taken = "grid.code_taken", "网格编码已存在", "The grid code is taken"
    grid_org_not_community = (
        "grid.org_not_community",
        "须为社区或村级党组织",
        "A community-level organisation is required",
    )
    grid_covering_not_in_community = (
        "grid.covering_not_in_community",
        "覆盖网格的党组织须为本社区的支部或党小组",
        "The covering organisation must be a branch or group of the community",
    )
    grid_leader_invalid = (
        "grid.leader_invalid",
        "网格长须为在册党员",
        "The leader must be a current member",
    )
    grid_member_repeated = "grid.member_repeated", "党员重复", "A member appears twice"
    grid_member_ended = "grid.member_ended", "党员已不在册", "A member's record has ended"
    grid_central_household_not_resident = (
        "grid.central_household_not_resident",
        "党员中心户须为本网格党员",
        "A central household must be one of the grid's members",
    )
    grid_member_in_other_grid = (
        "grid.member_in_other_grid",
        "党员已被同时分配到其他网格",
        "The member was assigned to another grid at the same time",
    )
    community_report_not_found = (
        "community_report.not_found",
        "报到记录不存在",
        "No such registration",
    )
    community_report_not_employed = (
        "community_report.not_employed",
        "双报到适用于在职党员",
        "Only employed members register",
    )
    community_report_member_ended = (
        "community_report.member_ended",
        "党员已不在册",
        "The member's record has ended",
    )
    community_report_already_registered = (
        "community_report.already_registered",
        "已在社区报到",
        "Already registered with a community",
    )
    community_report_ended = "community_report.ended", "报到已结束", "The registration has ended"
    community_report_date_invalid = (
        "community_report.date_invalid",
        "服务日期无效",
        "The service date is invalid",
    )
    community_report_hours_invalid = (
        "community_report.hours_invalid",
        "服务时长无效",
        "Hours must be 0.1 to 24",
    )
    community_report_not_member_side = (
        "community_report.not_member_side",
        "只有党员所在党组织可以登记",
        "Only the member's side may log",
    )
    community_report_not_community_side = (
        "community_report.not_community_side",
        "只有社区党组织可以确认",
        "Only the community side may do this",
    )
    community_report_service_not_found = (
        "community_report.service_not_found",
        "服务记录不存在",
        "No such service record",
    )
    community_report_service_decided = (
        "community_report.service_decided",
        "服务记录已确认或退回",
        "The service record is decided",
    )
    webhook_not_found = "webhook.not_found", "推送订阅不存在", "No such webhook"
    webhook_event_type_unknown = (
        "webhook.event_type_unknown",
        "未知的事件类型",
        "Unknown event type",
    )
    webhook_url_invalid = (
        "webhook.url_invalid",
        "推送地址须为 http(s) URL",
        "The URL must be http(s)",
    )
    webhook_target_forbidden = (
        "webhook.target_forbidden",
        "推送地址须为公网地址（内网接收方请加入 DANGJIAN_WEBHOOK_ALLOWED_TARGETS）",
        "The URL must point to a public address "
        "(add intranet receivers to DANGJIAN_WEBHOOK_ALLOWED_TARGETS)",
    )
    import_not_found = "import.not_found", "导入任务不存在", "No such import job"
    import_file_unreadable = "import.file_unreadable", "文件无法读取", "The file cannot be read"
    import_file_type = (
        "import.file_type",
        "请上传 .csv 或 .xlsx 文件",
        "Upload a .csv or .xlsx file",
    )
    import_file_too_large = "import.file_too_large", "文件过大", "The file is too large"
    import_archive_too_large = (
        "import.archive_too_large",
        "XLSX 文件解压后过大或压缩比异常",
        "The XLSX file expands too much (size, ratio or number of entries)",
    )
    import_too_many_rows = "import.too_many_rows", "文件行数过多", "The file has too many rows"
    import_cell_too_long = "import.cell_too_long", "单元格内容过长", "A cell is too long"
    import_columns_missing = "import.columns_missing", "缺少必填列", "Required columns are missing"
    import_empty = "import.empty", "文件为空", "The file is empty"
    import_value_missing = "import.value_missing", "必填项为空", "A required value is missing"
    import_value_invalid = "import.value_invalid", "取值无效", "The value is invalid"
    import_date_invalid = (
        "import.date_invalid",
        "日期无效（可写作 2007-07-01、2007/7/1、2007.07.01 或 2007年7月1日）",
        "Not a valid date (2007-07-01, 2007/7/1, 2007.07.01 or written in Chinese)",
    )
    import_id_number_precision_lost = (
        "import.id_number_precision_lost",
        "身份证号码被存成数字，末几位已丢失；请把该列设为文本格式",
        "The ID number was stored as a number and lost digits; format the column as text",
    )
    import_number_invalid = "import.number_invalid", "应填写整数", "A whole number is expected"
    import_status_unknown = "import.status_unknown", "未知的党员状态", "Unknown member status"
    import_category_unknown = "import.category_unknown", "未知的人员类别", "Unknown member category"
    import_org_unknown = (
        "import.org_unknown",
        "党组织不存在或不在管理范围内",
        "No such organisation in your scope",
    )
    import_parent_unknown = (
        "import.parent_unknown",
        "上级党组织不存在或不在管理范围内",
        "No such parent organisation in your scope",
    )
    import_parent_cycle = (
        "import.parent_cycle",
        "上级党组织相互引用",
        "The parent codes refer to each other",
    )
    import_duplicate_in_file = (
        "import.duplicate_in_file",
        "与文件中前面的行重复",
        "The row repeats an earlier row",
    )
    import_org_change_requires_transfer = (
        "import.org_change_requires_transfer",
        "变更党员所在党组织须办理组织关系转接",
        "Moving a member to another organisation needs a transfer",
    )
    import_org_move_not_supported = (
        "import.org_move_not_supported",
        "导入不能变更党组织的上级或类型",
        "An import cannot change an organisation's parent or type",
    )
    precondition_failed = (
        "precondition.failed",
        "数据已被他人修改，请刷新后重试",
        "The resource changed (If-Match failed)",
    )
    precondition_if_match_invalid = (
        "precondition.if_match_invalid",
        "If-Match 格式不正确",
        "The If-Match header is malformed",
    )
    idempotency_key_reused = (
        "idempotency.key_reused",
        "幂等键已用于不同的请求",
        "The Idempotency-Key was already used with a different request",
    )
    idempotency_in_progress = (
        "idempotency.in_progress",
        "相同幂等键的请求正在处理",
        "A request with this Idempotency-Key is in progress",
    )
    idempotency_key_invalid = (
        "idempotency.key_invalid",
        "幂等键长度应为1至255个字符",
        "The Idempotency-Key must be 1 to 255 characters",
    )
    pagination_cursor_invalid = (
        "pagination.cursor_invalid",
        "分页游标无效",
        "The pagination cursor is invalid",
    )
    pagination_sort_invalid = "pagination.sort_invalid", "排序字段无效", "Unknown sort field"
    discipline_not_found = "discipline.not_found", "党纪处分记录不存在", "No such discipline"
    discipline_temporary_branch = (
        "discipline.temporary_branch",
        "临时党支部不能作出党纪处分",
        "A temporary branch cannot discipline",
    )
    discipline_org_not_above_member = (
        "discipline.org_not_above_member",
        "作出决定的党组织须是该党员所在党组织或其上级",
        "The deciding organisation must be the member's own or one above it",
    )
    discipline_member_not_eligible = (
        "discipline.member_not_eligible",
        "只能对正式党员和预备党员作出党纪处分",
        "Only full and probationary members are disciplined",
    )
    discipline_period_invalid = (
        "discipline.period_invalid",
        "留党察看须写明期限（一年或两年），其他处分不写期限",
        "Probation within the party needs a period of 1 or 2 years; other kinds have none",
    )
    discipline_date_in_future = (
        "discipline.date_in_future",
        "日期不能晚于今天",
        "The date is in the future",
    )
    discipline_probation_open = (
        "discipline.probation_open",
        "该党员正在留党察看期间，须先作出恢复或开除的决定",
        "The member is already on probation within the party: record its outcome first",
    )
    discipline_not_probation = (
        "discipline.not_probation",
        "只有留党察看才有期满后的处理决定",
        "Only probation within the party ends with an outcome",
    )
    discipline_already_concluded = (
        "discipline.already_concluded",
        "该留党察看已作出处理决定",
        "This probation within the party already has its outcome",
    )
    discipline_period_not_served = (
        "discipline.period_not_served",
        "留党察看期满后方可恢复党员权利",
        "Rights are restored once the period of probation within the party is over",
    )
    discipline_conclusion_before_decision = (
        "discipline.conclusion_before_decision",
        "处理决定日期不能早于处分日期",
        "The outcome cannot predate the decision",
    )
    reward_member_not_eligible = (
        "reward.member_not_eligible",
        "已出党或去世的党员不再表彰",
        "A member who has left or died is not rewarded",
    )
    calendar_day_not_found = (
        "calendar_day.not_found",
        "日历中没有该日期的安排",
        "The calendar has no entry for that day",
    )
    notice_period_too_short = (
        "notice.period_too_short",
        "公示期不少于规定的工作日数（默认 5 个工作日）",
        "A public notice runs at least the required working days (5 by default)",
    )
    notice_period_ambiguous = (
        "notice.period_ambiguous",
        "公示期须给出结束日期或工作日数，二者取其一",
        "Give the notice's end date or its working days, one of the two",
    )
    form_number_range_reversed = (
        "form_number.range_reversed",
        "号段的结束编号不能小于起始编号",
        "The last number of a range is not below its first",
    )
    form_number_range_overlaps = (
        "form_number.range_overlaps",
        "该号段与已发放的号段重叠",
        "The range overlaps a range already issued",
    )
    form_number_not_issued = (
        "form_number.not_issued",
        "该编号不在发放给本组织或其上级的号段内",
        "The number is in no range issued to the organisation or one above it",
    )
    form_number_used = (
        "form_number.used",
        "该入党志愿书编号已使用",
        "The application form number is already used",
    )
    form_number_voided = (
        "form_number.voided",
        "该入党志愿书编号已作废",
        "The application form number is void",
    )
    form_number_member_has_number = (
        "form_number.member_has_number",
        "该党员已有入党志愿书编号",
        "The member already has an application form number",
    )
    member_ethnicity_unknown = (
        "member.ethnicity_unknown",
        "民族须为 GB/T 3304 的代码或名称（如 01 或 汉族）",
        "Ethnicity must be a GB/T 3304 code or name",
    )
    member_education_unknown = (
        "member.education_unknown",
        "学历须为 GB/T 4658 的代码或名称（如 21 或 大学本科毕业）",
        "Education must be a GB/T 4658 code or name",
    )
    member_degree_unknown = (
        "member.degree_unknown",
        "学位须为 GB/T 6864 的代码或名称（如 4 或 学士）",
        "Degree must be a GB/T 6864 code or name",
    )
    member_post_unknown = (
        "member.post_unknown",
        "工作岗位须为工作岗位代码表的代码或名称（如 01 或 党政机关公务员）",
        "Post must be a code or name of the post code list",
    )
    member_new_social_stratum_unknown = (
        "member.new_social_stratum_unknown",
        "新社会阶层须为代码表的代码或名称（如 3 或 自由职业人员）",
        "New social stratum must be a code or name of its code list",
    )
    member_hardship_unknown = (
        "member.hardship_unknown",
        "困难情况须为代码表的代码或名称（如 1 或 生活困难）",
        "Hardship must be a code or name of its code list",
    )
    organisation_division_code_invalid = (
        "organisation.division_code_invalid",
        "行政区划代码须为 6 位数字，前两位为省级代码（GB/T 2260）",
        "The administrative division code must be 6 digits starting with a province code",
    )
    organisation_unit_type_unknown = (
        "organisation.unit_type_unknown",
        "单位类型须为代码表的代码或名称（如 3 或 企业法人）",
        "Unit type must be a code or name of its code list",
    )
    organisation_economic_type_unknown = (
        "organisation.economic_type_unknown",
        "经济类型须为 GB/T 12402 的代码或名称（如 170 或 私有）",
        "Economic type must be a GB/T 12402 code or name",
    )
    organisation_unit_size_unknown = (
        "organisation.unit_size_unknown",
        "单位规模须为代码表的代码或名称（如 3 或 小型）",
        "Unit size must be a code or name of its code list",
    )
    organisation_national_id_taken = (
        "organisation.national_id_taken",
        "该全国系统编号已属于另一个党组织",
        "The national system id already belongs to another organisation",
    )
    organisation_credit_code_invalid = (
        "organisation.credit_code_invalid",
        "统一社会信用代码校验位错误（GB 32100）",
        "The unified social credit code fails its GB 32100 check character",
    )
    conflict_concurrent_update = (
        "conflict.concurrent_update",
        "数据已被并发修改，请重试",
        "Concurrent update, please retry",
    )
    conflict_integrity = (
        "conflict.integrity",
        "数据与已有记录冲突，未能保存",
        "The change conflicts with existing data and was not saved",
    )
    conflict_still_referenced = (
        "conflict.still_referenced",
        "该记录仍被其他记录引用",
        "Other records still refer to this one",
    )
