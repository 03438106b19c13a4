"""The change feed's vocabularies (变更订阅): the resources it tracks and the actions it
names, with their zh-CN labels; re-exported by `app.models.enums`, where every vocabulary
is named and labelled. The event types built from them are catalogued in
`app.services.integration.changes`."""

from __future__ import annotations

from enum import StrEnum


class ChangeResource(StrEnum):
    """A kind of record whose changes the feed and webhooks carry."""

    organisation = "organisation"
    member = "member"
    transfer = "transfer"
    meeting = "meeting"
    point_entry = "point_entry"
    mobile_episode = "mobile_episode"
    grid = "grid"


class ChangeAction(StrEnum):
    """What happened to the record: a row change, or a domain event beside it."""

    created = "created"
    updated = "updated"
    deleted = "deleted"
    state_changed = "state_changed"
    finalized = "finalized"
    moved = "moved"
    notice_recorded = "notice_recorded"
    disciplined = "disciplined"
    discipline_concluded = "discipline_concluded"
    rewarded = "rewarded"
    attachment_added = "attachment_added"
    attachment_deleted = "attachment_deleted"


# The zh-CN labels (`enums.LABELS`); the English ones are in `labels_en.py`.
CHANGE_RESOURCE_LABELS: dict[str, str] = {
    "organisation": "党组织",
    "member": "党员",
    "transfer": "组织关系转接",
    "meeting": "会议",
    "point_entry": "积分记录",
    "mobile_episode": "流动党员外出登记",
    "grid": "网格",
}
CHANGE_ACTION_LABELS: dict[str, str] = {
    "created": "新增",
    "updated": "修改",
    "deleted": "删除",
    "state_changed": "状态变更",
    "finalized": "会议记录归档",
    "moved": "调整隶属关系",
    "notice_recorded": "登记公示",
    "disciplined": "给予党纪处分",
    "discipline_concluded": "处分期满处理",
    "rewarded": "给予表彰",
    "attachment_added": "上传附件",
    "attachment_deleted": "删除附件",
}
