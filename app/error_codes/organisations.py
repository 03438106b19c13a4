"""Messages of the problem codes of organisations, leaders, grids, reporting:
code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
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
    "leader.secretary_exists": (
        "该组织已有任期与此重叠的书记",
        "The organisation already has a secretary whose term overlaps this one",
    ),
    "leader.member_not_in_org": (
        "班子成员必须是本组织或其下级组织的党员",
        "A leader must be a member of this organisation's subtree",
    ),
    "leader.term_order": ("任期结束日期早于开始日期", "The term ends before it starts"),
    "compliance.period_ambiguous": (
        "请只指定季度或月份之一",
        "Give a quarter or a month, not both",
    ),
    "statistics.period_order": ("统计期的开始日期晚于结束日期", "The period starts after it ends"),
    "statistics.check_unknown": (
        "没有这条逐条记录校验的规则",
        "No such record rule among the checks",
    ),
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
    "grid.central_household_not_resident": (
        "党员中心户须为本网格党员",
        "A central household must be one of the grid's members",
    ),
    "grid.member_in_other_grid": (
        "党员已被同时分配到其他网格",
        "The member was assigned to another grid at the same time",
    ),
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
    "organisation.division_code_invalid": (
        "行政区划代码须为 6 位数字，前两位为省级代码（GB/T 2260）",
        "The administrative division code must be 6 digits starting with a province code",
    ),
    "organisation.unit_type_unknown": (
        "单位类型须为代码表的代码或名称（如 3 或 企业法人）",
        "Unit type must be a code or name of its code list",
    ),
    "organisation.economic_type_unknown": (
        "经济类型须为 GB/T 12402 的代码或名称（如 170 或 私有）",
        "Economic type must be a GB/T 12402 code or name",
    ),
    "organisation.unit_size_unknown": (
        "单位规模须为代码表的代码或名称（如 3 或 小型）",
        "Unit size must be a code or name of its code list",
    ),
    "organisation.national_id_taken": (
        "该全国系统编号已属于另一个党组织",
        "The national system id already belongs to another organisation",
    ),
    "organisation.credit_code_invalid": (
        "统一社会信用代码校验位错误（GB 32100）",
        "The unified social credit code fails its GB 32100 check character",
    ),
}
