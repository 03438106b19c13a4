"""zh-CN descriptions of the fields of request and response schemas, by field name.

One vocabulary (DOMAIN.md's terms) for the whole document: a field a model describes
itself (`Field(description=...)`) keeps its own text; every other property of every
schema is described from here. A test asserts that no property is left undescribed.
"""

from __future__ import annotations

_TABLE = """
abstentions|弃权票数
accepted|已接收数
access_token|访问令牌（Bearer）
action|操作
active|是否启用
activist_on|确定为入党积极分子日期
actor_id|操作人用户 ID
actor_username|操作人用户名
admission_approved_on|支部大会通过接收日期
after|变更后的值
amendments|更正记录
amount_fen|金额（分）
applied_on|递交入党申请书日期
approval_ref|审批文号
approved_on|批准日期
area|地区
as_of|统计基准日
atomic|全部成功才写入（任一行出错则整批不写）
attempts|已尝试次数
attendance|出席情况
attendance_rate|出席率
ayes|赞成票数
base|基础分
base_fen|党费计算基数（分）
before|变更前的值
below_lowest_band|低于最低档
birth_date|出生日期
boundary|网格范围
buildings|楼栋
by_age_band|按年龄段
by_category|按人员类别
by_destination_province|按去向省份
by_education|按学历
by_gender|按性别
by_org_type|按组织类别
by_state|按状态
by_status|按党员状态
cadence|规定频次
candidate_on|确定为发展对象日期
cap_month|每月上限
cap_year|每年上限
category|类别
central_households|中心户
certificate_no|证明编号
check_ins|报到记录
children|下级党组织
client_id|客户端 ID（不使用）
client_secret|客户端密钥（不使用）
code|编码
column|列名
committee_size|委员会人数
community_org_id|社区党组织 ID
confirmed|已确认
contact_state|联系状态
covering_org_id|负责的党组织 ID
created|新建数
created_at|创建时间（UTC）
cursor|游标
data|事件数据
dates|日期
decided_at|处理时间（UTC）
decision_reason|处理理由
defaults|默认值
delivered_at|送达时间（UTC）
depth|层级深度
description|说明
destination_area|外出去向地区
detail|详细说明
dissolved_on|撤销日期
dry_run|只校验不写入（试导入）
due|应交
dues_base_fen|党费计算基数（分）
education|学历
effective_date|生效日期
employed_members|在职党员数
ended_on|结束日期
entries|明细
error|错误
errors|逐项错误
ethnicity|民族
event_id|事件 ID
event_type|事件类型
event_types|订阅的事件类型
events|事件
evidence|佐证材料
expected_months|应交月数
extension_months|延长预备期月数
field|字段
finalized_at|归档时间（UTC）
finished_at|完成时间（UTC）
flags|提醒标志
founded_on|成立日期
from_month|起始月份
from_org|转出党组织
from_status|原状态
full_members|正式党员数
full_on|转为正式党员日期
gender|性别
grade|评议等次
grade_bands|等次分数线
grades|评议等次
grant_type|授权类型（固定为 password）
group_id|党小组 ID
has_secretary|是否配备书记
has_vote|是否有表决权
held|已召开次数
held_on|召开日期
home_org|流出地党组织
host_id|流入地党组织 ID
host_org|流入地党组织
host_org_id|流入地党组织 ID
hosted_on|流入地接收日期
hours|服务时长（小时）
households|户数
id|唯一标识（UUID）
id_number|公民身份号码（无敏感信息权限时打码）
instance|出错的请求路径
invalid_reason|无效原因
items|本页条目
joined_on|入党日期
kind|类别
label|名称
last_contact_on|最近联系日期
last_error|最近一次错误
last_status|最近一次响应状态码
leader_id|班子成员 ID
location_consent|同意记录位置
longest_unpaid_run|最长连续欠缴月数
lost_contact|失联人数
lost_contact_since|失联起始日期
may_read_pii|可否查看敏感个人信息
me|当前用户
meeting_id|会议 ID
member_id|党员 ID
member_ids|党员 ID 列表
member_name|党员姓名
members|党员
message|说明
min|最低分
minutes|会议纪要
month|月份
monthly_fen|每月应交（分）
months|月份
name|名称
nays|反对票数
needs_approval|是否需要审核
needs_evidence|是否需要佐证材料
new_parent_id|新的上级党组织 ID
next_attempt_at|下次尝试时间（UTC）
next_cursor|下一页游标（没有更多时为空）
note|备注
occurred_at|发生时间（UTC）
occurred_on|发生日期
on|日期
on_track|联系正常人数
org_code|所属党组织编码
org_id|所属党组织 ID
org_name|所属党组织名称
out_of_range|超出范围
overdue|逾期人数
paid_on|缴纳日期
parent_id|上级党组织 ID
parent_rule_id|上一版本规则 ID
passed|是否通过
password|密码
period|期间
phone|联系电话（无敏感信息权限时打码）
place|地点
points|积分
population|人口数
presence|出席情况
probation_extension_months|预备期延长月数
processed_rows|已处理行数
rank|名次
rate|比例
reason|理由
recorded_at|记录时间（UTC）
recorder_id|记录人用户 ID
refresh_token|刷新令牌
registered|已报到
registered_on|登记日期
rejected|已退回
relief|减免
reported_by|报告方
request_id|请求 ID
required|规定次数
residence|居住地址
residence_community_id|居住地社区党组织 ID
residents|居民
resolutions|决议
resource|资源类型
resource_id|资源 ID
returned_on|返回日期
reverses_entry_id|被冲销的积分记录 ID
review_status|评价结果
review_year|评议年度
role|角色
row|行号
rows|行
rule_id|积分规则 ID
rule_version|积分规则版本
scope|授权范围（不使用，可省略）
served_households|联系户数
severity|严重程度
source|来源
source_key|来源记录标识
started_on|开始日期
state|状态
status|状态
subject|对象
summary|摘要
talked_on|谈话日期
target_hours|目标服务时长（小时）
term_ends_on|任期届满日期
term_started_on|任期开始日期
threshold|阈值
title|标题
to_month|截止月份
to_org|转入党组织
to_status|新状态
token_type|令牌类型（bearer）
topic|议题
total|符合条件的总数（仅当 include_total=true）
total_rows|总行数
totals|合计
transition_id|状态变更 ID
trigger|触发条件
type|类型
unassigned_members|未分配网格的党员
unchanged|未变化数
uncovered|未覆盖
under_target|未达标
unit_category|单位类别
unit_count|联合单位数
unit_credit_code|统一社会信用代码
unpaid_months|欠缴月数
unregistered|未报到
updated|更新数
updated_at|更新时间（UTC）
url|接收地址
username|用户名
valid|是否有效
value|值
values|取值
version|版本号（与 ETag 一致）
voters_expected|应到人数
voters_present|实到人数
votes|表决
without_leader|未配备书记
work_unit|工作单位
year|年度
file|上传的文件（CSV 或 XLSX）
"""

FIELDS: dict[str, str] = {
    name: text for name, text in (line.split("|", 1) for line in _TABLE.strip().splitlines())
}
