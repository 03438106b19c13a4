"""What the OpenAPI document says about each operation and tag, in zh-CN and en: one table.

`OPERATIONS` is keyed by the route's name (`members_list`) and gives the stable
operation id clients generate from (verb first, camelCase: `listMembers`), the Chinese
and English summaries and the Chinese description (the English description is the
route's own docstring). A route missing here fails at start-up, so nothing goes
undocumented. `app.api.openapi` builds both documents from it.
"""

from __future__ import annotations

from typing import NamedTuple


class Operation(NamedTuple):
    operation_id: str
    zh: str
    en: str
    zh_description: str


# Verbs an operation id may start with (the naming rule a test checks).
VERBS = (
    "list", "get", "create", "update", "delete", "dissolve", "move", "add", "set", "replace",
    "record", "accept", "reject", "cancel", "approve", "reverse", "confirm", "review",
    "register", "log", "finalize", "amend", "login", "refresh", "logout", "import",
    "export", "download", "check", "return", "grade", "open", "sign", "bind", "issue", "upload",
)  # fmt: skip

_TABLE = """
me_change_requests_create|createMyChangeRequest|申请变更我的信息|Ask to correct my record|党员本人申请更正档案信息（姓名、民族、学历、电话、工作单位、住址、党费基数），由支部审核；政治面貌和所属党组织不能通过申请变更。
me_change_requests_list|listMyChangeRequests|我的变更申请|My change requests|本人提交的信息变更申请及审核结果，游标分页。
change_requests_list|listChangeRequests|党员信息变更申请|List change requests|管辖范围内党员提交的信息变更申请，可按状态（如待审核）筛选，游标分页。
change_requests_get|getChangeRequest|查看变更申请|Get a change request|一条信息变更申请（党员本人只能看自己的）。
change_requests_approve|approveChangeRequest|通过变更申请|Approve a change request|审核通过：按档案更正的同一规则写入党员档案；不能审核本人的申请。
change_requests_reject|rejectChangeRequest|驳回变更申请|Reject a change request|驳回申请并说明理由，档案不变。
todos_list|listTodos|待办事项|My to-dos|按现有规则计算的本人待办：待接收的转接、待审批的积分申报、本期应开的会议、党员提示、连续六个月未交党费、换届、流动党员逾期未报到；每项带链接、到期日和严重程度，按到期日排序，游标分页。
todos_counts|getTodoCounts|待办数量|To-do counts|各类待办的数量（含为零的类别），用于角标。
me_notifications_list|listMyNotifications|我的消息|My notifications|本人的站内消息（含待办提醒），最新在前，可只看未读，游标分页。
me_notifications_unread|getMyUnreadCount|未读消息数|My unread count|本人未读消息的数量，用于角标。
me_notifications_read|setMyNotificationRead|标记已读|Mark a notification read|记录本人已读该消息（回执）；他人的消息返回 404。
me_notification_address_get|getMyNotificationAddress|我的提醒邮箱|My reminder email|本人接收邮件提醒的邮箱地址（未设置为空）。
me_notification_address_set|setMyNotificationAddress|设置提醒邮箱|Set my reminder email|设置或清除（null）本人接收邮件提醒的邮箱地址。
me_get|getMyRecord|我的档案|My member record|本人的党员档案，按对本人的规则脱敏显示；未关联党员档案的账号返回 403。
me_organisation|getMyOrganisation|我的党组织|My organisation|本人所在党组织及其现任班子（职务与姓名）。
me_meetings|listMyMeetings|我的组织生活|My meetings|本人应参加的会议：即将召开、已出席、缺席或请假（含原因），以及出席率。
me_points|getMyPoints|我的积分|My points|本人本年度积分余额与明细，以及待审批的积分申报。
me_dues|getMyDues|我的党费|My dues|本人本年度每月应交、已交、欠交党费。
me_mobile_episode|getMyMobileEpisode|我的流动党员登记|My mobile-member episode|本人当前（或最近）的流动党员登记及报到记录。
me_check_in|checkInMyself|我的报到|Check in myself|流动党员本人报到（记为本人报到）。
me_timeline|getMyTimeline|我的电子档案|My timeline|本人的电子档案：状态变化、转接、会议、积分、流动、党费。
auth_token|login|登录（获取令牌）|Sign in (get tokens)|用户名和密码换取访问令牌和刷新令牌（OAuth2 密码模式表单）。连续失败会被限流（429，带 Retry-After）。
auth_refresh|refreshToken|刷新令牌|Refresh the tokens|用刷新令牌换一对新令牌；旧刷新令牌随即作废，重复使用会注销整个登录。
auth_logout|logout|退出登录|Sign out|作废刷新令牌，结束本次登录。
auth_wechat|loginWithWechat|微信登录|Sign in with WeChat|用小程序 wx.login() 的登录凭证换取令牌；未绑定的微信可附管理员发放的绑定码完成绑定。
auth_wechat_bind|bindWechat|绑定微信|Bind WeChat|已登录用户把微信绑定到本账号（每个账号、每个微信只能绑定一次）。
auth_wechat_unbind|deleteWechatBinding|解绑微信|Unbind WeChat|解除本账号的微信绑定。
auth_me|getMe|当前用户|The signed-in user|当前登录用户、所属党组织，以及在本范围内是否可查看敏感个人信息。
users_wechat_binding_code|issueWechatBindingCode|发放微信绑定码|Issue a WeChat binding code|为范围内的用户发放一次性微信绑定码，用户凭它在小程序中绑定微信。
users_wechat_unbind|deleteUserWechatBinding|解绑用户微信|Unbind a user's WeChat|管理员解除用户的微信绑定。
users_create|createUser|创建用户|Create a user|在自己管辖范围内创建账号并指定角色和所属党组织。
users_list|listUsers|用户列表|List users|管辖范围内的用户，游标分页。
users_get|getUser|查看用户|Get a user|一个用户的详情；返回 ETag。
users_update|updateUser|修改用户|Update a user|修改角色、启用状态或密码；需 If-Match 携带读取时的 ETag。
organisations_create|createOrganisation|创建党组织|Create an organisation|在上级党组织下新建党组织（党委、党总支、党支部、党小组等），校验上下级规则。
organisations_list|listOrganisations|党组织列表|List organisations|管辖范围内的党组织，可按上级、类别筛选，游标分页。
organisations_get|getOrganisation|查看党组织|Get an organisation|一个党组织的详情；返回 ETag。
organisations_update|updateOrganisation|修改党组织|Update an organisation|修改名称、类别等信息；需 If-Match。
organisations_dissolve|dissolveOrganisation|撤销党组织|Dissolve an organisation|撤销一个已无党员和下级组织的党组织（保留历史）。
organisations_tree|getOrganisationTree|党组织树|Organisation tree|以该党组织为根的组织树。
organisations_move|moveOrganisation|调整隶属关系|Move an organisation|把党组织连同其下级整体移到新的上级党组织下。
organisations_leaders_list|listLeaders|班子成员列表|List leaders|党组织的书记、副书记和委员。
organisations_leaders_add|addLeader|任命班子成员|Appoint a leader|为党组织任命书记、副书记或委员。
organisations_health|getOrganisationHealth|组织健康度|Organisation health|按规则检查党组织：是否配备书记、换届是否到期、党员人数等，列出提示。
organisations_member_changes|listMemberChanges|党员增减情况|Members added and removed|统计期内（起止日期均含）该党组织及下级增加和减少的党员：发展、恢复党籍、转入、转出、死亡、出党、开除党籍、停止党籍等，附期初、期末人数和各原因合计。
organisations_statistics|getStatisticsTables|党内统计表|Statistics tables|统计基准日该党组织及下级的党员（按性别、民族、年龄段、学历、类别、入党时间）、当年发展党员（同样分组）和党组织（按类别、单位类别、是否设委员、换届情况）统计表。
organisations_statistics_checks|getStatisticsChecks|统计逻辑校验|Statistics checks|上报前的逻辑校验：各统计表合计与党员总数一致，党员学历、民族、性别、出生日期、入党日期齐全，入党时年满 18 周岁，转正晚于入党，党支部配备书记；列出每条未通过的规则、违规记录数和前 100 条记录，以及全部记录的分页列表路径。
organisations_statistics_check_records|listStatisticsCheckRecords|统计校验违规记录|Records failing a statistics check|某条逐条记录校验规则在统计基准日的全部违规记录（党员或党组织，按 ID 分页），每条附修改它的接口路径；数量与校验结果中的 count 一致。
organisations_statistics_xlsx|downloadStatisticsWorkbook|下载党内统计表|Download the statistics workbook|统计表的 XLSX 工作簿：党员基本情况（含年龄结构柱状图）、当年发展党员、党组织基本情况、当年党员增减情况。
organisations_stats|getOrganisationStats|党员统计|Organisation statistics|该党组织及下级的党员按状态、类别、性别、年龄段、学历等统计。
policies_get|getPolicies|查看规则参数|Get the policies|该党组织生效的规则参数（继承上级并可覆盖）。
policies_put|replacePolicies|设置规则参数|Set the policies|整体设置该党组织的规则参数；需 If-Match。
members_create|createMember|新增党员|Create a member|登记党员（含入党申请人、积极分子等），校验身份证号、日期和所在党组织。
members_list|listMembers|党员列表|List members|管辖范围内的党员，可按组织、状态、类别、提醒标志、姓名筛选，可排序，游标分页。
members_get|getMember|查看党员|Get a member|一名党员的档案；有敏感信息权限时显示完整身份证号和电话（并记审计）。返回 ETag。
members_update|updateMember|修改党员信息|Update a member|修改党员档案；需 If-Match 携带读取时的 ETag。
members_transition|recordTransition|党员状态变更|Record a status change|按发展程序记录党员状态变更（如积极分子→发展对象→预备党员→正式党员），校验日期和前置条件。
members_timeline|getMemberTimeline|党员时间线|Member timeline|一名党员从申请入党起的全部事件。
transfers_create|createTransfer|发起组织关系转接|Start a transfer|把党员的组织关系转到另一个党组织。
transfers_list|listTransfers|组织关系转接列表|List transfers|转出或转入本范围的转接，游标分页。
transfers_get|getTransfer|查看转接|Get a transfer|一次组织关系转接的详情。
transfers_accept|acceptTransfer|接收转接|Accept a transfer|接收方党组织接收转入的党员。
transfers_reject|rejectTransfer|退回转接|Reject a transfer|接收方党组织退回转接并说明理由。
transfers_cancel|cancelTransfer|撤回转接|Cancel a transfer|转出方撤回尚未处理的转接。
dues_assessment|getDuesAssessment|党费核定|Dues assessment|按收入基数和比例核定党员每月应交党费。
dues_payments_create|recordDuesPayment|登记党费缴纳|Record a dues payment|登记党员一个或多个月份的党费缴纳。
dues_reliefs_create|createDuesRelief|党费减免|Grant a dues relief|为党员登记党费减交或免交。
dues_arrears|listDuesArrears|欠缴党费|Dues arrears|本范围内欠缴党费的党员及欠缴月数。
mobile_outflow|registerOutflow|流动党员外出登记|Register an outflow|登记党员外出流动（流出地）。
mobile_list|listMobileEpisodes|流动党员列表|List mobile episodes|流动党员登记，可按状态和联系情况筛选，游标分页。
mobile_stats|getMobileStats|流动党员统计|Mobile statistics|流动党员按状态、去向省份和联系情况统计。
mobile_get|getMobileEpisode|查看流动登记|Get a mobile episode|一次流动登记及其报到记录。
mobile_inflow|acceptInflow|流入地接收|Accept an inflow|流入地党组织接收流动党员。
mobile_check_in|recordCheckIn|流动党员报到|Record a check-in|记录流动党员的报到、学习或服务情况。
mobile_return|returnMobileMember|流动党员返回|Record a return|流动党员返回，结束本次流动登记。
meetings_create|createMeeting|新建会议|Create a meeting|登记“三会一课”等组织生活（计划或已召开）。
meetings_list|listMeetings|会议列表|List meetings|本范围内的会议，可按组织、类型、日期筛选，游标分页。
meetings_get|getMeeting|查看会议|Get a meeting|会议详情，含出席、表决和更正记录；返回 ETag。
meetings_update|updateMeeting|修改会议|Update a meeting|修改未归档的会议；需 If-Match。
meetings_attendance|replaceAttendance|登记出席情况|Set the attendance|整体登记会议的出席、请假、缺席情况。
meetings_vote|recordVote|登记表决|Record a vote|登记会议的决议或选举表决结果，校验到会人数。
meetings_finalize|finalizeMeeting|会议归档|Finalize a meeting|归档会议：此后只能通过更正记录修改。
meetings_amend|amendMeeting|更正已归档会议|Amend a meeting|对已归档会议追加更正（纪要、议题、地点、出席或决议）。
meetings_sign_in_open|openMeetingSignIn|开启会议签到|Open sign-in|主持人或支部书记开启签到，得到每 30-60 秒更换的动态签到码（用于大屏二维码）。
meetings_sign_in_code|getMeetingSignInCode|当前签到码|The current sign-in code|大屏显示的当前签到码及其二维码内容、有效期和签到时段。
meetings_sign_in|signInToMeeting|会议签到|Sign in to a meeting|党员凭当前签到码签到（迟到标记），或支部书记代为签到（记为代签）；签到即登记出席。
meetings_sign_ins|listMeetingSignIns|签到记录|List sign-ins|本次会议的签到记录（迟到、代签标记）；党员只看到自己的。
meetings_leave_request|createLeaveRequest|会议请假|Ask for leave|会前提出请假申请并说明理由。
meetings_leave_requests|listLeaveRequests|请假申请列表|List leave requests|本次会议的请假申请；党员只看到自己的。
meetings_leave_approve|approveLeaveRequest|批准请假|Approve a leave request|批准后该党员的出席情况登记为请假，理由即申请理由。
meetings_leave_reject|rejectLeaveRequest|不批准请假|Reject a leave request|不批准请假申请；党员可重新申请。
meetings_compliance|getMeetingCompliance|组织生活落实情况|Meeting compliance|各党支部按规定频次召开会议的情况。
members_disciplines_record|recordDiscipline|记录党纪处分|Record a discipline|记录警告、严重警告、撤销党内职务、留党察看（一年或两年）或开除党籍，写明作出决定的党组织、日期和文号；临时党支部不能作出处分。
members_disciplines_list|listDisciplines|党纪处分记录|A member's disciplines|一名党员受到的党纪处分及留党察看的处理结果。
members_disciplines_conclude|recordDisciplineConclusion|留党察看期满处理|Record how a party probation ends|留党察看期满恢复党员权利，或期间开除党籍（党员记为出党）。
members_rewards_record|recordReward|记录表彰|Record a reward|记录党员受到的表彰：名称、级别、日期、授予的党组织和文号。
members_rewards_list|listRewards|表彰记录|A member's rewards|一名党员受到的表彰。
calendar_days_list|listCalendarDays|节假日与调休安排|Holidays and adjusted working days|一年中的法定节假日和调休上班日，用于计算公示期等工作日。
calendar_days_put|setCalendarDay|设置节假日或调休|Set a holiday or adjusted working day|把某天设为节假日或调休上班日（仅系统管理员，全国通用）。
calendar_days_delete|deleteCalendarDay|删除节假日安排|Remove a calendar day|某天恢复为普通周工作日或周末（仅系统管理员）。
members_notices_record|recordNotice|记录公示|Record a public notice|记录接收预备党员或预备党员转正前的公示，公示期不少于 5 个工作日（按节假日日历计算）。
members_notices_list|listNotices|公示记录|A member's public notices|一名党员的公示记录。
form_number_ranges_issue|issueFormNumberRange|发放入党志愿书号段|Issue a range of application form numbers|党委向本级或下级党组织发放入党志愿书编号号段，同一前缀的号段不得重叠。
members_form_number_record|recordFormNumber|登记入党志愿书编号|Record a member's application form number|为党员登记所用的入党志愿书编号和发放日期；每个编号只能使用一次。
form_numbers_void|recordFormNumberVoid|作废入党志愿书编号|Void an application form number|作废号段中的一个编号并写明原因；已使用或已作废的编号不能再作废。
members_attachments_upload|uploadMemberAttachment|上传党员纪实材料|Upload a member's attachment|为党员的发展纪实上传材料（PDF、图片、Word、Excel），类型按文件内容识别。
members_attachments_list|listMemberAttachments|党员纪实材料列表|List a member's attachments|一名党员的纪实材料，已删除的不列出。
development_steps_attachments_upload|uploadDevelopmentStepAttachment|上传发展步骤材料|Upload a development step's attachment|为发展党员全程纪实中的一个步骤上传材料（谈话记录、培训证明、政审材料等），类型按文件内容识别。
development_steps_attachments_list|listDevelopmentStepAttachments|发展步骤材料列表|List a development step's attachments|一个发展步骤的材料，已删除的不列出。
meetings_attachments_upload|uploadMeetingAttachment|上传会议附件|Upload a meeting attachment|为会议上传记录扫描件、主题党日照片等附件，类型按文件内容识别。
meetings_attachments_list|listMeetingAttachments|会议附件列表|List a meeting's attachments|一次会议的附件，已删除的不列出。
attachments_get|getAttachment|查看附件信息|Get an attachment|附件的文件名、类型、大小和 SHA-256。
attachments_download|downloadAttachment|下载附件|Download an attachment|下载附件原文件（流式传输）；每次下载都记入审计日志。
attachments_delete|deleteAttachment|删除附件|Delete an attachment|删除附件：不再列出和下载，记录保留备查。
form_numbers_report|getFormNumberReport|入党志愿书编号使用情况|Application form numbers report|党组织及其下级的号段：已使用、已作废、未使用的数量及每个已使用或作废的编号。
development_steps_catalogue|getDevelopmentCatalogue|发展党员步骤目录|The admission record's steps|发展党员工作细则规定的 5 个阶段的各个步骤：先后顺序、对应的身份变动、是否定期重复、负责人人数及由哪项已有记录证明。
members_development_steps_record|recordDevelopmentStep|登记发展党员步骤|Record a step of the admission record|登记发展党员全程纪实中的一个步骤：日期、负责人（党员）、结果和备注；集中培训须写明学时。
members_development_steps_list|listDevelopmentSteps|发展党员全程纪实|A member's admission record|一名党员已完成的发展步骤，包括由入党申请日期、公示、志愿书编号等已有记录证明的步骤。
admission_plans_put|setAdmissionPlan|下达发展党员计划|Set an admission plan|上级党组织为下级党组织设定某年度的发展党员计划人数（覆盖原计划，记入审计）。
admission_plans_get|getAdmissionPlan|发展党员计划|An admission plan|党组织某年度的发展党员计划人数。
organisations_development_pipeline|getDevelopmentPipeline|发展党员工作情况|Development pipeline|本组织及下级：各发展阶段人数、发展程序逾期提示人数、本年度发展党员数与计划对比。
members_development_record_xlsx|exportDevelopmentRecord|导出发展党员纪实档案|Export a member's development record|一名党员的纪实档案（XLSX，可打印）：基本情况、发展历程、入党志愿书编号、公示、表决会议、党纪处分。
members_meetings|listMemberMeetings|党员参会记录|A member's meetings|一名党员参加会议的记录和出席率。
points_schemes_set|setPointScheme|设置积分方案|Set a point scheme|为党组织设置积分方案（基础分、等级分数线）。
points_scheme_get|getPointScheme|查看积分方案|Get the point scheme|党组织生效的积分方案。
points_rules_create|createPointRule|新增积分规则|Create a point rule|新增加分或扣分规则。
points_rules_list|listPointRules|积分规则列表|List point rules|适用于本范围的积分规则。
points_rules_get|getPointRule|查看积分规则|Get a point rule|一条积分规则；返回 ETag。
points_rules_update|updatePointRule|修改积分规则|Update a point rule|修改积分规则（生成新版本）；需 If-Match。
points_entries_create|createPointEntry|登记积分|Record points|按规则为党员登记加分或扣分，或党员本人申报。
points_entries_list|listPointEntries|积分记录列表|List point entries|积分记录，可按党员、状态、年度筛选，游标分页。
points_entries_get|getPointEntry|查看积分记录|Get a point entry|一条积分记录。
points_entries_approve|approvePointEntry|审核通过积分|Approve a point entry|审核通过待审的积分记录。
points_entries_reject|rejectPointEntry|驳回积分|Reject a point entry|驳回待审的积分记录并说明理由。
points_entries_reverse|reversePointEntry|冲销积分|Reverse a point entry|以一条反向记录冲销已通过的积分。
points_balance|getPointBalance|党员积分|A member's points|一名党员某年度的积分合计和明细。
points_ranking|getPointRanking|积分排名|Points ranking|党组织内党员的年度积分排名。
points_review_grades|gradeReview|民主评议定等|Confirm review grades|按积分和评议结果确定党员年度评议等次。
grids_create|createGrid|新建网格|Create a grid|新建城市或农村网格并指定负责的党组织。
grids_list|listGrids|网格列表|List grids|本范围内的网格，游标分页。
grids_get|getGrid|查看网格|Get a grid|网格详情，含楼栋和中心户；返回 ETag。
grids_update|updateGrid|修改网格|Update a grid|修改网格信息；需 If-Match。
grids_members|replaceGridMembers|设置网格党员|Set grid members|整体设置联系该网格的党员。
grids_coverage|getGridCoverage|网格覆盖情况|Grid coverage|党组织下网格的覆盖、未分配党员和中心户情况。
community_report_register|registerCommunityReport|到社区报到|Register with a community|在职党员到居住地社区报到。
community_report_get|getCommunityReport|查看社区报到|Get a community report|一名党员的社区报到记录。
community_report_services|listCommunityServices|社区服务记录|List community services|报到党员在社区的服务记录。
community_report_log_service|logCommunityService|登记社区服务|Log a community service|报到党员登记一次社区服务及时长。
community_report_confirm_service|confirmCommunityService|确认社区服务|Confirm a community service|社区党组织确认服务记录。
community_report_reject_service|rejectCommunityService|退回社区服务|Reject a community service|社区党组织退回服务记录并说明理由。
community_report_review|reviewCommunityReport|社区评价|Review a community report|社区党组织对报到党员作年度评价。
community_reporting_summary|getCommunityReportingSummary|社区报到汇总|Community reporting summary|党组织下在职党员到社区报到和服务时长的汇总。
community_reporting_members|listCommunityReportingMembers|社区报到党员名单|Community reporting members|党组织下在职党员的社区报到情况和服务时长，可按已报到、未报到、未达标筛选。
changes_list|listChanges|变更流|Change feed|按顺序读取本范围的数据变更，用于同步。
webhooks_create|createWebhook|注册 Webhook|Register a webhook|注册接收变更事件的 Webhook（仅允许公网地址，除非在白名单中）。
webhooks_list|listWebhooks|Webhook 列表|List webhooks|本用户注册的 Webhook。
webhooks_delete|deleteWebhook|删除 Webhook|Delete a webhook|删除 Webhook，停止推送。
webhooks_deliveries|listWebhookDeliveries|Webhook 推送记录|Webhook deliveries|Webhook 的推送尝试和结果。
imports_create|importFile|批量导入|Import a file|上传 CSV 或 XLSX 文件批量导入党组织或党员；逐行校验，可试导入。
imports_template|downloadImportTemplate|下载导入模板|Download the import template|导入模板：CSV，或带示例行、下拉选项和文本格式身份证号列的 XLSX（format=xlsx）。
imports_get|getImportJob|查看导入任务|Get an import job|导入任务的进度、结果和被拒绝的行。
exports_get|exportFile|导出|Export|以 CSV 或 XLSX 导出本范围的党组织或党员（与导入表头一致，状态等写中文名称；labels=codes 写代码）。
audit_events_list|listAuditEvents|审计日志|List audit events|本范围内的操作审计记录，游标分页。
ops_healthz|checkHealth|存活检查|Liveness|进程在运行即返回 ok。
ops_readyz|checkReadiness|就绪检查|Readiness|数据库可用时返回 ready，否则 503。
ops_metrics|getMetrics|运行指标|Metrics|Prometheus 格式的请求数和耗时指标。
"""

OPERATIONS: dict[str, Operation] = {
    line.split("|", 1)[0]: Operation(*line.split("|")[1:]) for line in _TABLE.strip().splitlines()
}

# Every tag: (zh-CN, en) descriptions.
TAGS: dict[str, tuple[str, str]] = {
    "auth": ("登录与令牌", "Sign-in and tokens"),
    "users": ("用户与角色", "Users and roles"),
    "organisations": ("党组织（党委、党总支、党支部、党小组）", "Party organisations"),
    "policies": ("规则参数（按党组织继承）", "Policies, inherited down the tree"),
    "members": ("党员档案与发展程序", "Members and their lifecycle"),
    "admission": (
        "发展党员纪实（志愿书编号、公示、节假日）",
        "Admission record: form numbers, notices, calendar",
    ),
    "attachments": ("附件（党员纪实材料、会议记录与照片）", "Attachments of members and meetings"),
    "transfers": ("组织关系转接", "Membership transfers"),
    "dues": ("党费", "Membership dues"),
    "mobile": ("流动党员", "Mobile members"),
    "meetings": ("组织生活（三会一课）", "Meetings"),
    "points": ("党员积分与民主评议", "Points and annual review"),
    "statistics": ("党内统计（党员增减、统计表）", "Party statistics"),
    "grids": ("网格与社区报到", "Grids and community reporting"),
    "integration": ("导入导出、变更流与 Webhook", "Import, export, change feed, webhooks"),
    "audit": ("审计日志", "Audit log"),
    "me": ("我的（党员本人）", "My own record (the member)"),
    "todos": ("待办事项", "To-dos"),
    "operations": ("运维检查", "Operations"),
}

# The document's own description (`info.description`), zh-CN then en.
DOCUMENT_DESCRIPTION: tuple[str, str] = (
    """
智慧党建 API：党组织、党员，以及它们之间的规则。

* 用 `POST /api/v1/auth/token`（OAuth2 密码模式表单）登录，之后在请求头中发送
  `Authorization: Bearer <access_token>`。
* 每个账号绑定一个党组织的下级范围；范围外的一切都返回 404。
* 错误为 RFC 9457 `application/problem+json`，`code` 为稳定的错误码（见 `ErrorCode`）；
  默认中文，`Accept-Language: en` 或 `?lang=en` 返回英文。
* 列表使用游标分页（`limit`、`cursor`、`next_cursor`）。
* 修改时用 `ETag`/`If-Match`（不符返回 412）；每个 POST 可带 `Idempotency-Key` 安全重试。
* 每个 PATCH 也可用 `POST` 加请求头 `X-HTTP-Method-Override: PATCH` 发送（微信小程序不能发 PATCH）。
* 英文版文档：`/openapi.en.json`。
""",
    """
智慧党建 API: organisations (党组织), members (党员), and the rules between them.

* Authenticate with `POST /api/v1/auth/token` (OAuth2 password form) and send
  `Authorization: Bearer <access_token>`.
* Every principal is bound to one organisation subtree; anything outside it is 404.
* Errors are RFC 9457 `application/problem+json` with a stable `code`;
  `Accept-Language: en` or `?lang=en` for English (default zh-CN).
* Lists use cursor pagination (`limit`, `cursor`, `next_cursor`).
* `ETag`/`If-Match` on updates (412 on mismatch); `Idempotency-Key` on every POST.
* Every PATCH is also accepted as `POST` with `X-HTTP-Method-Override: PATCH`
  (WeChat mini-programs cannot send PATCH).
* This document in Chinese: `/openapi.json`.
""",
)
