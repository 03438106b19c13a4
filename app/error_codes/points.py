"""Messages of the problem codes of points (积分制):
code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
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
    "points.own_entry_not_approvable": (
        "登记人和被记分的党员本人都不能审核该积分（双人复核）",
        (
            "Neither the person who entered or claimed the points nor the member they score "
            "may approve them (four eyes)"
        ),
    ),
    "points.source_key_used": (
        "来源编号已用于该党员的其他记录",
        "The source key already scored another entry of this member",
    ),
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
    "points.scheme_set_concurrently": (
        "该年度积分方案已被同时设置，请刷新后重试",
        "The scheme for that year was set at the same time: reload and retry",
    ),
}
