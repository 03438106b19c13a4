"""The admission record's vocabularies (发展党员纪实): calendar days, notices, form
numbers and the steps, with the steps' zh-CN labels; re-exported by `app.models.enums`,
where every vocabulary is named and labelled."""

from __future__ import annotations

from enum import StrEnum


class CalendarDayKind(StrEnum):
    """A day of the holiday calendar: a holiday off, or a weekend day worked (调休)."""

    holiday = "holiday"
    workday = "workday"


class NoticeKind(StrEnum):
    """What a public notice (公示) precedes."""

    admission = "admission"
    full_membership = "full_membership"


class FormNumberState(StrEnum):
    """A 入党志愿书 number once spent: used for a member, or voided."""

    used = "used"
    void = "void"


class DevelopmentStepCode(StrEnum):
    """A step of the admission record (发展党员全程纪实), after 发展党员工作细则."""

    application = "application"
    talk = "talk"
    recommendation = "recommendation"
    activist_decision = "activist_decision"
    contacts_assigned = "contacts_assigned"
    activist_review = "activist_review"
    candidate_decision = "candidate_decision"
    political_review = "political_review"
    training = "training"
    pre_review = "pre_review"
    notice = "notice"
    form_issued = "form_issued"
    admission_vote = "admission_vote"
    committee_talk = "committee_talk"
    approval = "approval"
    oath = "oath"
    probation_review = "probation_review"
    full_application = "full_application"
    full_vote = "full_vote"
    full_approval = "full_approval"
    filing = "filing"


# The zh-CN labels (`enums.LABELS`); the English ones are in `labels_en.py`.
DEVELOPMENT_STEP_LABELS: dict[str, str] = {
    "application": "递交入党申请书",
    "talk": "党组织派人谈话",
    "recommendation": "推优（团组织、群团推荐）",
    "activist_decision": "确定入党积极分子",
    "contacts_assigned": "指定培养联系人",
    "activist_review": "半年一次的培养考察",
    "candidate_decision": "确定发展对象",
    "political_review": "政治审查",
    "training": "集中培训",
    "pre_review": "上级党委预审",
    "notice": "接收预备党员公示",
    "form_issued": "发放入党志愿书",
    "admission_vote": "支部大会讨论接收",
    "committee_talk": "上级党委派人谈话",
    "approval": "上级党委审批",
    "oath": "入党宣誓",
    "probation_review": "每季度一次的预备期考察",
    "full_application": "提出转正申请",
    "full_vote": "支部大会讨论转正",
    "full_approval": "上级党委审批转正",
    "filing": "材料归档",
}
