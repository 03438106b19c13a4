"""zh-CN descriptions of the query and path parameters that describe nothing themselves
(the fields' descriptions are in app/api/glossary.py)."""

from __future__ import annotations

PARAMETERS: dict[str, str] = {
    "within": "只看该党组织的整个下级范围",
    "actor": "操作人用户 ID",
    "since": "从该游标之后读取（上次的 next_cursor）",
    "report_id": "社区报到 ID",
    "record_id": "服务记录 ID",
    "format": "文件格式",
    "labels": "状态、类别等列的写法：zh 写中文名称（默认），codes 写代码",
    "grid_id": "网格 ID",
    "job_id": "导入任务 ID",
    "held_from": "召开日期起",
    "held_to": "召开日期止",
    "episode_id": "流动登记 ID",
    "include_dissolved": "包含已撤销的党组织",
    "quarter": "季度",
    "only_overdue": "只看逾期",
    "entry_id": "积分记录 ID",
    "include_inherited": "包含继承自上级的规则",
    "transfer_id": "转接 ID",
    "user_id": "用户 ID",
    "webhook_id": "Webhook 的 ID",
    "limit": "每页条数",
}
