"""zh-CN text of the descriptions that models and parameters give in English (the English
stays in /openapi.en.json); the fields' own zh-CN descriptions are in app/api/glossary.py."""

from __future__ import annotations

# The zh-CN text of the descriptions models and parameters give in English (the English
# stays in /openapi.en.json). Keyed by the English text, so one sentence is translated once.
_TRANSLATIONS = """
The file: PDF, JPEG, PNG, DOCX or XLSX by default; its type is read from the content.|上传的文件：默认可为 PDF、JPEG、PNG、DOCX 或 XLSX，类型按文件内容识别
Members counted in the table.|表中统计的党员数
Organisations counted in the table.|表中统计的党组织数
First day (included); default 1 January.|统计期开始日期（含当日）；默认当年 1 月 1 日
Last day (included); default as_of.|统计期结束日期（含当日）；默认统计基准日
First and last month considered.|统计的起止月份
`dues.six_months_unpaid` for 6 consecutive unpaid months.|连续 6 个月未交党费时为 `dues.six_months_unpaid`
0.005 = 0.5 %; null for fixed amounts.|交纳比例（0.005 即 0.5%）；固定金额时为空
Corrected entries; each member must be an attendee or a member of the meeting's organisation that you can see.|更正后的出席记录；每名党员须为参会人员或您可见的会议所属党组织的党员
The code of a record rule of the checks (not the table rule).|逐条记录校验规则的代码（表间合计规则除外）
Only with `include_total=true`.|符合条件的总数（仅当 include_total=true）
Pass as `since`; unchanged when nothing new.|下次作为 `since` 传入；没有新变更时不变
Only with consent.|地区代码（仅在本人同意时记录）
A day from 1900-01-01 to 2200-12-31.|日期，1900-01-01 至 2200-12-31
Sub-periods that ended without a finalized meeting.|已结束但没有归档会议的周期
Unique per source: the same source scores once.|来源记录标识：同一来源只计分一次
Masked unless you are the home side or the member.|联系方式（非流出地党组织或本人时打码）
Null for the host side: it sees code/name.|流出地党组织 ID（流入地看到的是编码和名称，此处为空）
The community-level organisation the grid belongs to.|网格所属的社区级党组织 ID
CSV (UTF-8 or GB18030) or XLSX.|上传的文件：CSV（UTF-8 或 GB18030）或 XLSX
Required unless the episode names your branch as host.|流动党员证明编号（登记时未指定本支部为流入地时必填）
Today lies within [started_on, ended_on] (inclusive).|是否在任（今天在任职起止日期内）
For a proxy sign-in by a secretary; a member omits it.|代为签到时填写被签到党员的 ID；党员本人签到时不填
For a request a secretary files; a member omits it.|支部书记代为提出时填写党员 ID；党员本人申请时不填
When the meeting starts; default: now.|会议开始时间；默认为现在
A moment with its UTC offset, from 1900 to 2200.|带时区偏移的时刻，1900 年至 2200 年
The mini-program's wx.login() code.|小程序 wx.login() 得到的登录凭证
A binding code from an administrator, for a WeChat not yet bound.|管理员发放的绑定码，用于尚未绑定的微信
Defaults to the group's members, the committee, or the branch's members.|应到人员的党员 ID；默认为党小组、支委会或支部的全体党员
Current values of amended fields (latest wins).|更正后的当前值（以最近一次更正为准）
As finalized: amendments never overwrite it.|归档时的会议纪要（更正不会覆盖）
Approval of the admission by the committee above.|上级党委审批接收日期
Derived from the ID number if omitted.|省略时由身份证号推出
Declared monthly base, fen.|申报的每月党费计算基数（分）
18-digit resident ID.|18 位公民身份号码
The member's branch (or joint branch).|所在党支部（或联合党支部）ID
The community or village where the member lives (for grids).|居住地社区或村的党组织 ID（用于网格）
Present / finalized meetings expected.|出席率：出席次数 / 应参加的已归档会议数
Stable codes of date-driven warnings.|按日期计算的提醒（稳定编码）
Masked (`110105********1234`) without PII rights.|公民身份号码（无敏感信息权限时打码，如 `110105********1234`）
Masked (`138****8000`) without PII rights.|联系电话（无敏感信息权限时打码，如 `138****8000`）
True when `id_number` and `phone` are masked.|身份证号和电话是否已打码
Effective date of the last status change.|最近一次状态变更的生效日期
`null` for a root organisation (system administrators only).|上级党组织 ID；根组织为 null（仅系统管理员）
Start of the current term.|本届任期开始日期
Units a joint branch covers.|联合党支部覆盖的单位数
Current members (not left or deceased) in the subtree.|本组织及下级的现有党员数（不含出党、去世）
Organisations in the subtree, itself included.|本组织及下级党组织数（含本组织）
Stored encrypted.|联系方式（加密保存）
GB/T 2260 area code, e.g. 440305.|外出去向的 GB/T 2260 行政区划代码，如 440305
The intended host branch.|拟流入的党支部 ID
Consent to recording check-in area codes.|是否同意记录报到地区代码
The sum of the months' assessments.|各月核定金额之和（分）
Values in force here (inherited or own).|本组织生效的参数（继承或自设）
Values this organisation sets for its subtree.|本组织为下级设定的参数
Version of `own`; 0 when nothing is set here.|自设参数的版本号；未设置时为 0
A suggestion for the democratic review (excellent: within the best third of the member's own branch); a person confirms.|建议的评议等次（优秀按本支部正式党员的前三分之一计，需人工确认）
Approval document number.|审批文号
Reduced amount (reduction).|减交后的每月金额（分）
true: awards and claims under this item are pending until an administrator approves them, never the one who entered them nor the member they score (four eyes); false: they are approved at once. Automatic scoring (meetings, service hours) is approved at once either way.|true：按此规则的加分和申报须经管理员审核后生效，登记人和被记分党员本人不能审核（双人复核）；false：立即生效。自动计分（会议考勤、服务时长）一律立即生效
An ancestor's item this one refines, within its caps.|细化的上级规则 ID（不超过其上限）
Magnitude; deductions subtract it.|分值（扣分时减去）
Scores automatically on an event.|自动计分的触发事件
Seconds until the access token expires.|访问令牌有效秒数
The receiving branch, anywhere in the tree.|接收党支部 ID（可在整棵组织树中任选）
Month (YYYY-MM) dues are paid up to.|党费已交至的月份（YYYY-MM）
Pending longer than the policy allows (default 3 months).|待处理时间超过规定（默认 3 个月）
Only for extending probation (to_status `probationary`): 6-12.|延长预备期月数（仅 to_status 为 `probationary` 时）：6-12
The meeting whose vote decided it (e.g. admission).|作出决定的会议 ID（如接收预备党员的支部大会）
True when children exist below the requested depth.|在请求深度以下是否还有下级
Required for the `member` role: the member's own record.|对应的党员 ID（`member` 角色必填）
With `to_status`: the member whose status the vote changes.|与 to_status 一起：表决改变其状态的党员 ID
Shown once: store it to verify signatures.|签名密钥（只显示一次，请保存用于验签）
Page size (default 50, max 500).|每页条数（默认 50，最多 500）
`next_cursor` of the previous page.|上一页返回的 next_cursor
The `ETag` you read; 412 if it changed.|读取时的 ETag；已变化时返回 412
Whole subtree of this organisation.|该党组织的整个下级范围
Repeat for several.|可重复以多选
Date-driven flags, e.g. `probation.due` (as of `as_of`).|按日期计算的提醒标志，如 `probation.due`（以 as_of 为准）
Name starts with.|姓名开头
Exact ID number.|完整的公民身份号码
Sort order: a field, `-` in front for descending.|排序方式：字段名，前加 `-` 表示降序
How many, newest first.|条数（最新的在前）
Always null: one page.|始终为空：只有一页
Also count all matching rows. Costly: the count reads every match (a page stops after its rows); ask on a first page only.|同时统计符合条件的总数。代价较高：计数要读取全部符合条件的记录（分页只读一页），仅在第一页时请求
Evaluate date-driven rules as of this day (default today).|按此日期计算与日期相关的规则（默认今天）
YYYY-MM|月份（YYYY-MM）
Name or code contains.|名称或编码包含
Window length in months.|统计窗口月数
Default: as_of's year.|年度（默认 as_of 所在年度）
Levels below this organisation.|向下的层级数
Households served (党员中心户).|联系服务的户数（党员中心户）
The grid leader (网格长).|网格长（班子成员 ID）
GB/T 3304, e.g. 汉族|民族（GB/T 3304），如 汉族
GB/T 4658, e.g. 大学本科|学历（GB/T 4658），如 大学本科
Party group (党小组) in the branch.|所在党小组 ID（本支部内）
Became probationary (入党).|入党日期（成为预备党员）
Became a full member (转正).|转为正式党员日期
Talk after the application (谈话).|递交申请后的谈话日期
Out of contact since (失去联系); 6+ months is flagged.|失去联系起始日期；满 6 个月会被提醒
Unique, stable unified code (统一编码).|统一编码（唯一且不变）
1 国企 2 非公 3 农村 4 党政机关 5 学校 6 其他事业 7 街道社区 8 社会组织 9 其他|单位类别：1 国企 2 非公 3 农村 4 党政机关 5 学校 6 其他事业 7 街道社区 8 社会组织 9 其他
流动党员活动证 number.|流动党员活动证编号
amount_fen above the assessment: voluntary extra dues (自愿多交).|超出核定金额的部分：自愿多交党费（分）
The months after the payment's own month: paid ahead (预交).|缴纳日期所在月份之后的月份：预交党费
The plan's year.|计划年度
The admissions' year; default this year.|统计发展党员的年度（默认今年）
"""

TRANSLATIONS: dict[str, str] = {
    en: zh for en, zh in (line.split("|", 1) for line in _TRANSLATIONS.strip().splitlines())
}
