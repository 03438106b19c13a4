"""Labels of enum values in the OpenAPI document (`x-enum-descriptions`), zh-CN and en.

Named enums take theirs from `app.models.enums.LABELS` / `LABELS_EN`; the values of
inline enums (Literal types, the `sort` orders of lists) from `INLINE_LABELS` here. A
sort order `-field` is the order `field` descending.
"""

from __future__ import annotations

from enum import StrEnum

from app.models.enums import LABELS
from app.models.labels_en import LABELS_EN
from app.services.organisations.checks import RECORD_CHECKS

# Values of inline enums that no StrEnum names: (zh-CN, en).
INLINE_LABELS: dict[str, tuple[str, str]] = {
    "member_record": ("党员记录", "Member record"),
    "organisation_record": ("党组织记录", "Organisation record"),
    "statistics_table": ("统计表", "Statistics table"),
    "csv": ("CSV 文件", "CSV file"),
    "xlsx": ("Excel（XLSX）文件", "Excel (XLSX) file"),
    "zh": ("中文名称", "Chinese labels"),
    "codes": ("代码", "Codes"),
    "due_on": ("按到期日", "By due date"),
    "info": ("提示", "Information"),
    "warning": ("警告", "Warning"),
    "error": ("错误", "Error"),
    "meeting.absent": ("会议缺席", "Absent from a meeting"),
    "meeting.present": ("会议出席", "Present at a meeting"),
    "service.hours": ("社区服务时长", "Hours of community service"),
    "true": ("是", "Yes"),
    # Lifecycle flags (`?flag=` of the member list).
    "applicant.talk_overdue": ("申请人谈话逾期", "Talk with the applicant overdue"),
    "admission.approval_overdue": ("入党审批逾期（超过 3 个月）", "Admission approval overdue"),
    "admission.approval_expired": (
        "入党审批超过 6 个月，需重新履行程序",
        "Admission approval expired: redo the procedure",
    ),
    "probation.ending": ("预备期即将届满", "Probation ending soon"),
    "probation.due": ("预备期已满，待讨论转正", "Probation over: decide on full membership"),
    "contact.lost": ("失去联系 6 个月以上", "Out of contact for 6 months or more"),
    "suspension.left_suggested": (
        "停止党籍满 2 年，可作出党处理",
        "Suspended 2 years: may be recorded as left",
    ),
    "dues.six_months_unpaid": (
        "连续 6 个月未交纳党费",
        "Dues unpaid for 6 consecutive months",
    ),
    "transfer.suggested": (
        "工作单位或居住地已变动，建议转接组织关系",
        "Work unit or residence changed: a transfer is suggested",
    ),
    "discipline.outcome_due": (
        "留党察看期满，待作出恢复党员权利或开除党籍的决定",
        "Probation within the Party ended: restoration or expulsion to decide",
    ),
    "discipline.post_still_held": (
        "已受撤销党内职务或留党察看处分，仍担任党内职务",
        "Still holds a Party post after removal from posts or probation",
    ),
    "mobile.expected_period_exceeded": (
        "外出时间已超过预计期限",
        "Away longer than the expected months",
    ),
    "community_report.review_due": (
        "双报到登记本年度尚未评议",
        "Community registration not reviewed this year",
    ),
    # The orders lists offer (`?sort=`).
    "id": ("按编号（即创建先后）", "By id (the order of creation)"),
    "organisation": ("按所在组织（组织树顺序）", "By organisation (tree order)"),
    "tree": ("按组织树顺序", "In tree order"),
    "name": ("按名称", "By name"),
    "code": ("按代码", "By code"),
    "depth": ("按层级", "By depth in the tree"),
    "birth_date": ("按出生日期", "By date of birth"),
    "status": ("按党员状态", "By membership status"),
    "created_at": ("按创建时间", "By time created"),
    "username": ("按用户名", "By username"),
    "held_on": ("按召开日期", "By meeting date"),
    "requested_at": ("按申请时间", "By time asked"),
    "signed_at": ("按签到时间", "By sign-in time"),
    "decided_on": ("按处分决定日期", "By date of the decision"),
    "awarded_on": ("按表彰日期", "By date of the reward"),
    "day": ("按日期", "By date"),
    "starts_on": ("按公示开始日期", "By the notice's first day"),
    "step": ("按步骤顺序，再按日期", "By step, then by date"),
    # Where a step of the admission record (全程纪实) is recorded.
    "record": ("步骤登记", "A recorded step"),
    "member": ("党员信息中的日期", "A date of the member's record"),
    "notice": ("公示记录", "The public notice"),
    "form_number": ("入党志愿书编号", "The application form number"),
    "started_on": ("按开始日期", "By start date"),
    "occurred_on": ("按服务日期", "By date of service"),
    "current": ("现任在前，再按任期开始", "Current first, then by start of term"),
    "scheme": (
        "上级组织的规则在前，再按规则代码",
        "Rules of ancestors first, then by rule code",
    ),
    "rank": ("按名次（积分高者在前）", "By rank (highest balance first)"),
    "commit": ("按提交顺序", "In commit order"),
    "member_id": ("按党员编号", "By member id"),
    "on": ("按变动日期", "By date of the change"),
    # 双报到 states of an employed member (`services.grids.ReportingState`).
    "registered": ("已到社区报到", "Registered with a community"),
    "unregistered": ("未到社区报到", "Not registered with a community"),
    "under_target": ("已报到，服务时长未达年度目标", "Registered, under the yearly hours target"),
    # The record rules of the statistics checks (`{check}` of their records): their messages.
    **{code: (check.zh, check.en) for code, check in RECORD_CHECKS.items()},
}
_DESCENDING = ("（降序）", " (descending)")


def label(value: str, enum: type[StrEnum] | None, lang: str) -> str:
    """The label of `value` in `lang` ("zh" or "en"); KeyError when it has none."""
    index = 0 if lang == "zh" else 1
    named = (LABELS if index == 0 else LABELS_EN).get(enum, {}) if enum is not None else {}
    if value in named:
        return named[value]
    if value in INLINE_LABELS:
        return INLINE_LABELS[value][index]
    if value.startswith("-") and value[1:] in INLINE_LABELS:
        return INLINE_LABELS[value[1:]][index] + _DESCENDING[index]
    for labels in (LABELS if index == 0 else LABELS_EN).values():
        if value in labels:
            return labels[value]
    raise KeyError(f"enum value {value!r} has no label: add it to INLINE_LABELS")
