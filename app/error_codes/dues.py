"""Messages of the problem codes of dues (党费):
code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "dues.base_missing": (
        "未登记党费计算基数",
        "The declared monthly base (dues_base_fen) is missing",
    ),
    "dues.month_invalid": ("月份格式应为 YYYY-MM", "Months are YYYY-MM"),
    "dues.month_repeated": ("月份重复", "A month appears twice"),
    "dues.months_empty": ("请至少填写一个月份", "Name at least one month"),
    "dues.prepayment_too_far": (
        "预交党费最多预交至缴费月份之后12个月",
        "Prepayment covers at most 12 months after the payment month",
    ),
    "dues.back_payment_too_old": ("补缴党费最多补缴6个月", "Back payment covers at most 6 months"),
    "dues.month_already_paid": ("该月党费已缴纳", "A month is already paid"),
    "dues.month_not_due": ("该月无需缴纳党费", "Nothing is due for a month"),
    "dues.amount_below_assessment": (
        "缴纳金额少于测算金额（多交部分为自愿多交）",
        "The amount is below the assessment (an amount above it is a voluntary extra)",
    ),
    "dues.paid_on_in_future": ("缴费日期不能晚于今天", "paid_on is in the future"),
    "dues.temporary_branch": ("临时党支部不收缴党费", "A temporary branch does not collect dues"),
    "dues.month_order": ("结束月份早于开始月份", "to_month is before from_month"),
    "dues.reduction_amount_missing": (
        "减免须填写减免后的月缴金额",
        "A reduction needs monthly_fen",
    ),
    "dues.exemption_has_no_amount": ("免交不应填写金额", "An exemption has no amount"),
}
