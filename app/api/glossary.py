"""zh-CN descriptions of the fields of request and response schemas, by field name.

One vocabulary (DOMAIN.md's terms) for the whole document: a field a model describes
itself (`Field(description=...)`) keeps its own text; every other property of every
schema is described from here. A test asserts that no property is left undescribed.
"""

from __future__ import annotations

_TABLE = """
absent|缺席或请假的会议（请假含原因）
abstentions|弃权票数
accepted|已接收数
access_token|访问令牌（Bearer）
action|操作
active|是否启用
activist_on|确定为入党积极分子日期
actor_id|操作人用户 ID
actor_username|操作人用户名
added|增加人数
admission_approved_on|支部大会通过接收日期
after|变更后的值
amendments|更正记录
amount_fen|金额（分）
applied_on|递交入党申请书日期
approval_ref|审批文号
approved_on|批准日期
area|地区
as_of|统计基准日
assessed_fen|本月应交党费（分；不需交纳的月份为 0）
atomic|全部成功才写入（任一行出错则整批不写）
attachment_id|附件 ID
attempts|已尝试次数
attendance|出席情况
attendance_rate|出席率
attended|已出席的会议
awarded_on|表彰日期
ayes|赞成票数
base|基础分
base_fen|党费计算基数（分）
before|变更前的值
below_lowest_band|低于最低档
binding_code|微信绑定码（一次有效）
birth_date|出生日期
body|消息正文
bound_at|绑定时间
boundary|网格范围
buildings|楼栋
by_age_band|按年龄段
by_category|按人员类别
by_contact|按失联情况（统计基准日及以前失去联系）
by_degree|按学位
by_destination_province|按去向省份
by_economic_type|按所在单位经济类型
by_education|按学历
by_ethnicity|按民族
by_gender|按性别
by_grade|按积分等次（低于各等次或未设等次的计入 ungraded）
by_hardship|按困难情况
by_joining_period|按入党时间
by_kind|按类别的数量
by_new_social_stratum|按新社会阶层
by_org_type|按组织类别
by_post|按工作岗位
by_reason|按增减原因
by_state|按状态
by_status|按党员状态
by_term_status|按换届情况
by_type|按组织类别
by_unit_category|按单位类别
by_unit_size|按所在单位规模
by_unit_type|按党组织所在单位类型
cadence|规定频次
candidate_on|确定为发展对象日期
cap_month|每月上限
cap_year|每年上限
catalogue_version|步骤目录的版本（发展党员工作细则）
category|类别
central_households|中心户
certificate_no|证明编号
changes|申请变更的字段及新值
check_ins|报到记录
children|下级党组织
claims|待审批的积分申报（最新在前）
client_id|客户端 ID（不使用）
client_secret|客户端密钥（不使用）
closes_at|签到截止时间
code|编码
code_seconds|签到码更换周期（秒）
column|列名（文件中的表头）
committee_size|委员会人数（按人计，一人兼两职计一人）
community_org_id|社区党组织 ID
concluded_on|处理决定日期
conclusion_document|处理决定文号
confirmed|已确认
contact_state|联系状态
count|人数
count_at_end|期末党员数
count_at_start|期初党员数
counterpart_org_id|转接另一方党组织 ID
covering_org_id|负责的党组织 ID
created|新建数
created_at|创建时间（UTC）
cursor|游标
data|事件数据
dates|日期
decided_at|处理时间（UTC）
decided_on|处分决定日期
decision_reason|处理理由
defaults|默认值
delivered_at|送达时间（UTC）
depth|层级深度
description|说明
destination_area|外出去向地区
detail|详细说明
direction|增减方向
discipline_id|党纪处分记录 ID
dissolved_on|撤销日期
document_number|文号
done_on|步骤完成日期
dry_run|只校验不写入（试导入）
due|应交
due_on|到期日（规则未规定日期时为空）
dues_base_fen|党费计算基数（分）
degree|学位（GB/T 6864），代码或名称，如 4 或 学士
evidence_from|由哪项已有记录证明该步骤（无则须登记）
follows|该步骤须在其后的步骤
form_number|入党志愿书编号（含前缀）
gates|须完成该步骤方可转入的党员状态
name_en|英文名称
notes|备注
notice_ends_on|公示最后一天
filename|文件名
media_type|文件类型（按文件内容识别，非文件名）
owner_id|附件所属党员、会议或发展步骤记录的 ID
meetings|三会一课落实情况（统计基准日所在年度，截至统计基准日）
post|工作岗位，代码或名称，如 01 或 党政机关公务员
new_social_stratum|新社会阶层，代码或名称，如 3 或 自由职业人员
hardship|困难情况，代码或名称，如 1 或 生活困难
contact_person|联系人
contact_phone|联系电话（加密存储）
division_code|行政区划代码（GB/T 2260，6 位数字）
economic_type|党组织所在单位的经济类型（GB/T 12402），代码或名称，如 170 或 私有
may_approve_probationary|是否有审批预备党员权限（新建默认否）
national_id|全国党员管理信息系统中的编号（同步用）
repeats|是否定期重复（考察）
responsible_ids|负责人（党员 ID：谈话人、培养联系人、考察人等）
responsible_max|负责人最多人数
responsible_min|负责人最少人数
result|结果
stage|所属阶段（1-5）
stages|各阶段（发展步骤目录：各阶段的步骤；发展党员工作情况：各阶段人数）
step|发展党员步骤
steps|各步骤
training_hours|集中培训学时
sha256|文件内容的 SHA-256（小写十六进制）
size_bytes|文件大小（字节）
ranked|参与积分排名的党员数（预备党员和正式党员）
unit_size|党组织所在单位的规模，代码或名称，如 3 或 小型
unit_type|党组织所在单位的单位类型，代码或名称，如 3 或 企业法人
checked|已执行的校验规则代码
failed|未通过的校验规则
message_en|英文说明
message_zh|中文说明
records|违反该规则的记录（按 ID 排序的前 100 条，总数见 count；其余见 all_records）
all_records|逐条记录规则的全部违规记录的分页列表路径（已带同一统计基准日；可加 limit，再按 next_cursor 翻页）；表间合计规则为空，其记录全部在 records 中
education|学历
effective_date|生效日期
email|接收邮件提醒的邮箱地址（未设置为空）
employed_members|在职党员数
ended_on|结束日期
ends_on|留党察看期满后第一天
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
expires_at|失效时间
extension_months|延长预备期月数
field|字段
file|上传的文件（CSV 或 XLSX）
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
key|统计项代码
kind|类别
label|名称
label_en|英文名称
label_zh|中文名称
last_contact_on|最近联系日期
last_error|最近一次错误
last_status|最近一次响应状态码
late|是否迟到
late_after|此后签到记为迟到
leader_id|班子成员 ID
leaders|现任班子成员（书记在前）
level|级别
link|要处理的对象（资源类型和 ID）
location_consent|同意记录位置
longest_unpaid_run|最长连续欠缴月数
lost_contact|失联人数
lost_contact_since|失联起始日期
may_read_pii|可否查看敏感个人信息
me|当前用户
meeting_id|会议 ID
member_id|党员 ID
notification_id|通知 ID
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
new_members|当年发展党员
new_parent_id|新的上级党组织 ID
next_attempt_at|下次尝试时间（UTC）
next_cursor|下一页游标（没有更多时为空）
note|备注
occurred_at|发生时间（UTC）
occurred_on|发生日期
on|日期
on_track|联系正常人数
opens_at|最早可签到时间
org_code|所属党组织编码
org_id|所属党组织 ID
org_name|所属党组织名称
organisation|所在党组织
organisations|党组织
out_of_range|超出范围
outcome|留党察看处理结果（恢复党员权利或开除党籍）
overdue|逾期人数
owed_fen|欠交党费（分）
paid_fen|本月已交党费（分；未交为空）
paid_on|缴纳日期
parent_id|上级党组织 ID
parent_rule_id|上一版本规则 ID
passed|是否通过
password|密码
period|期间
period_from|统计期开始日期（含）
period_to|统计期结束日期（含）
period_years|留党察看期限（年）
phone|联系电话（无敏感信息权限时打码）
place|地点
points|积分
population|人口数
presence|出席情况
probation_extension_months|预备期延长月数
processed_rows|已处理行数
proxy|是否由他人代为签到
qr_content|二维码内容（含会议与签到码）
rank|名次
rate|比例
read_at|已读时间（未读为空）
reason|理由
recorded_at|记录时间（UTC）
recorder_id|记录人用户 ID
refresh_token|刷新令牌
registered|已报到
registered_on|登记日期
rejected|已退回
relief|减免
removed|减少人数
reported_by|报告方
request_id|请求 ID
requested_at|申请时间
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
signed_at|签到时间
source|来源
source_key|来源记录标识
started_on|开始日期
starts_at|会议开始时间
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
unionid_bound|是否同时绑定了 UnionID
unit_category|单位类别
unit_count|联合单位数
unit_credit_code|统一社会信用代码
unpaid_months|欠缴月数
unread|未读消息数
unregistered|未报到
upcoming|即将召开的会议（已计划、从今天起）
updated|更新数
updated_at|更新时间（UTC）
uploaded_by|上传人用户 ID
url|接收地址
username|用户名
valid|是否有效
valid_until|当前签到码有效至（UTC）
value|值
values|取值
version|版本号（与 ETag 一致）
voters_expected|应到人数
voters_present|实到人数
votes|表决
with_committee|设委员的党组织数（党小组除外）
without_committee|未设委员的党组织数（党小组除外）
without_leader|未配备书记
work_unit|工作单位
year|年度
day|日期
starts_on|公示开始日期
working_days|公示期（工作日数，按节假日日历计算）
prefix|入党志愿书编号前缀
first_number|号段起始编号
last_number|号段结束编号
number|入党志愿书编号（不含前缀）
used_on|入党志愿书发放日期
range_id|号段 ID
range|号段
used|已使用数
void|已作废数
free|未使用数
numbers|已使用或作废的编号
ranges|号段及其使用情况
admissions|本年度发展党员数与计划
admitted|已发展党员数（当年接收为预备党员）
flag|提示标记代码
overdue_flags|发展程序逾期提示：各提示标记的人数
planned|发展党员计划人数
remaining|尚未完成的计划人数（不小于 0；未下达计划时为空）
set_by|下达计划的用户 ID
registered_members|已报到党员数
unregistered_members|未报到党员数
under_target_members|已报到但服务时长未达标的党员数
confirmed_hours|已确认服务时长（小时）
"""

FIELDS: dict[str, str] = {
    name: text for name, text in (line.split("|", 1) for line in _TABLE.strip().splitlines())
}
