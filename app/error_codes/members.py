"""Messages of the problem codes of members, lifecycle, transfers, mobile, discipline:
code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "change_request.not_found": ("信息变更申请不存在", "No such change request"),
    "change_request.not_pending": ("该申请已处理", "The change request was already decided"),
    "change_request.empty": ("未填写要变更的内容", "The request names no change"),
    "change_request.own": ("不能审核本人的变更申请", "You cannot decide your own change request"),
    "me.no_member_record": ("当前用户未关联党员档案", "This user is not linked to a member record"),
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
    "member.applied_on_required": (
        "入党申请人、积极分子和发展对象须填写递交入党申请书日期",
        "Applicants, activists and candidates need their application date (applied_on)",
    ),
    "member.under_age": (
        "申请入党时须年满18周岁",
        "An applicant must be 18 on the application date",
    ),
    "member.flag_unknown": ("未知的提醒标记", "Unknown flag"),
    "member.date_in_future": ("入党各阶段日期不能晚于今天", "A membership date is in the future"),
    "member.category_required": ("人员类别不能为空", "The category cannot be empty"),
    "member.name_required": ("姓名不能为空", "The name cannot be empty"),
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
    "lifecycle.admission_vote_required": (
        "接收预备党员须经支部大会表决通过：请注明表决所在的支部大会（meeting_id）",
        (
            "Admission to probation needs a passed vote of the branch's general meeting: "
            "name that meeting (meeting_id)"
        ),
    ),
    "lifecycle.admission_vote_not_passed": (
        "该会议不是本人所在支部的支部大会，或未表决通过接收该同志为预备党员",
        (
            "That meeting is not a general meeting of the member's branch with a passed, "
            "valid vote admitting this member"
        ),
    ),
    "lifecycle.step_missing": (
        "发展党员的步骤未完成，不能进行该变动",
        "A step of the admission record is not done",
    ),
    "lifecycle.step_early": (
        "发展党员的步骤早于其应有的时间或前一步骤",
        "A step of the admission record is dated too early",
    ),
    "lifecycle.step_late": (
        "发展党员的步骤超过了规定期限",
        "A step of the admission record was done after its time limit",
    ),
    "lifecycle.step_already_recorded": ("该步骤已登记", "This step is already recorded"),
    "lifecycle.step_not_found": ("发展步骤记录不存在", "No such development step record"),
    "lifecycle.step_recorded_elsewhere": (
        "该步骤由状态变动、公示或志愿书编号记录，无须另行登记",
        "This step is recorded by the transition, the notice or the form number",
    ),
    "lifecycle.step_responsible_invalid": (
        "该步骤的负责人人数或身份不符合要求",
        "The step's responsible people are too many, too few or not eligible",
    ),
    "lifecycle.step_hours_too_few": ("集中培训学时不足", "The training is too short"),
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
    "discipline.not_found": ("党纪处分记录不存在", "No such discipline"),
    "discipline.temporary_branch": (
        "临时党支部不能作出党纪处分",
        "A temporary branch cannot discipline",
    ),
    "discipline.org_not_above_member": (
        "作出决定的党组织须是该党员所在党组织或其上级",
        "The deciding organisation must be the member's own or one above it",
    ),
    "discipline.member_not_eligible": (
        "只能对正式党员和预备党员作出党纪处分",
        "Only full and probationary members are disciplined",
    ),
    "discipline.period_invalid": (
        "留党察看须写明期限（一年或两年），其他处分不写期限",
        "Probation within the party needs a period of 1 or 2 years; other kinds have none",
    ),
    "discipline.date_in_future": ("日期不能晚于今天", "The date is in the future"),
    "discipline.probation_open": (
        "该党员正在留党察看期间，须先作出恢复或开除的决定",
        "The member is already on probation within the party: record its outcome first",
    ),
    "discipline.not_probation": (
        "只有留党察看才有期满后的处理决定",
        "Only probation within the party ends with an outcome",
    ),
    "discipline.already_concluded": (
        "该留党察看已作出处理决定",
        "This probation within the party already has its outcome",
    ),
    "discipline.period_not_served": (
        "留党察看期满后方可恢复党员权利",
        "Rights are restored once the period of probation within the party is over",
    ),
    "discipline.conclusion_before_decision": (
        "处理决定日期不能早于处分日期",
        "The outcome cannot predate the decision",
    ),
    "reward.member_not_eligible": (
        "已出党或去世的党员不再表彰",
        "A member who has left or died is not rewarded",
    ),
    "notice.period_too_short": (
        "公示期不少于规定的工作日数（默认 5 个工作日）",
        "A public notice runs at least the required working days (5 by default)",
    ),
    "notice.period_ambiguous": (
        "公示期须给出结束日期或工作日数，二者取其一",
        "Give the notice's end date or its working days, one of the two",
    ),
    "form_number.range_reversed": (
        "号段的结束编号不能小于起始编号",
        "The last number of a range is not below its first",
    ),
    "form_number.range_overlaps": (
        "该号段与已发放的号段重叠",
        "The range overlaps a range already issued",
    ),
    "form_number.not_issued": (
        "该编号不在发放给本组织或其上级的号段内",
        "The number is in no range issued to the organisation or one above it",
    ),
    "form_number.used": ("该入党志愿书编号已使用", "The application form number is already used"),
    "form_number.voided": ("该入党志愿书编号已作废", "The application form number is void"),
    "form_number.member_has_number": (
        "该党员已有入党志愿书编号",
        "The member already has an application form number",
    ),
    "admission_plan.not_found": (
        "该年度尚未下达发展党员计划",
        "No admission plan was set for the year",
    ),
    "admission_plan.own_organisation": (
        "发展党员计划由上级党组织下达，不能为本级组织设定",
        "An admission plan is set by an organisation above, not for your own",
    ),
    "member.ethnicity_unknown": (
        "民族须为 GB/T 3304 的代码或名称（如 01 或 汉族）",
        "Ethnicity must be a GB/T 3304 code or name",
    ),
    "member.education_unknown": (
        "学历须为 GB/T 4658 的代码或名称（如 21 或 大学本科毕业）",
        "Education must be a GB/T 4658 code or name",
    ),
    "member.degree_unknown": (
        "学位须为 GB/T 6864 的代码或名称（如 4 或 学士）",
        "Degree must be a GB/T 6864 code or name",
    ),
    "member.post_unknown": (
        "工作岗位须为工作岗位代码表的代码或名称（如 01 或 党政机关公务员）",
        "Post must be a code or name of the post code list",
    ),
    "member.new_social_stratum_unknown": (
        "新社会阶层须为代码表的代码或名称（如 3 或 自由职业人员）",
        "New social stratum must be a code or name of its code list",
    ),
    "member.hardship_unknown": (
        "困难情况须为代码表的代码或名称（如 1 或 生活困难）",
        "Hardship must be a code or name of its code list",
    ),
}
