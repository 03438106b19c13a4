"""Messages of the problem codes of meetings (三会一课), attendance, votes, sign-in:
code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "meeting.not_found": ("会议记录不存在", "No such meeting"),
    "meeting.type_not_for_org": (
        "该组织不召开此类会议",
        "This organisation does not hold this meeting type",
    ),
    "meeting.no_committee": (
        "未设支部委员会，不能召开支委会",
        "No branch committee: no committee meeting",
    ),
    "meeting.member_not_in_org": ("人员不属于本组织", "A member is not in this organisation"),
    "meeting.finalized": ("会议记录已归档，只能更正", "The record is locked: add an amendment"),
    "meeting.not_finalized": (
        "会议记录尚未归档，可直接修改",
        "The meeting is not finalized: edit it",
    ),
    "meeting.votes_recorded": (
        "已有表决记录，不能再修改出席情况",
        "Votes were counted: attendance is fixed",
    ),
    "meeting.attendance_incomplete": (
        "请先登记全部应到人员的出席情况",
        "Record everyone's attendance first",
    ),
    "meeting.votes_exceed_present": ("票数超过实到有表决权人数", "More votes than voters present"),
    "meeting.votes_not_held": ("此类会议不进行表决", "This meeting type takes no votes"),
    "meeting.temporary_branch_no_election": (
        "临时党支部不进行选举",
        "A temporary branch holds no elections",
    ),
    "meeting.not_yet_held": ("会议尚未召开", "The meeting has not been held yet"),
    "meeting.field_not_amendable": ("该字段不能更正", "This field cannot be amended"),
    "meeting.excuse_needs_reason": ("请假须说明理由", "An excused absence needs a reason"),
    "meeting.member_repeated": ("人员重复", "A member appears twice"),
    "sign_in.not_open": ("本会议尚未开启签到", "Sign-in has not been opened for this meeting"),
    "sign_in.code_invalid": (
        "签到码无效：不是本会议的签到码",
        "This is not a sign-in code of this meeting",
    ),
    "sign_in.code_expired": (
        "签到码已过期，请扫描最新的二维码",
        "The sign-in code has expired: scan the current one",
    ),
    "sign_in.too_early": ("签到尚未开始", "Sign-in has not started yet"),
    "sign_in.closed": ("签到已结束", "Sign-in has closed"),
    "sign_in.not_expected": (
        "该党员不是本次会议的应到人员",
        "This member is not expected at this meeting",
    ),
    "sign_in.repeated": ("已签到", "Already signed in"),
    "sign_in.not_host": (
        "只有主持人或支部书记、管理员可以开启签到",
        "Only the host, a secretary or an administrator opens sign-in",
    ),
    "leave.not_found": ("请假申请不存在", "No such leave request"),
    "leave.too_late": (
        "会议已开始，不能再请假",
        "The meeting has started: leave is asked before it",
    ),
    "leave.already_requested": (
        "已有待审批或已批准的请假申请",
        "A pending or approved leave request exists",
    ),
    "leave.already_decided": ("该请假申请已审批", "This leave request has been decided"),
    "leave.signed_in": ("已签到，不能请假", "Signed in already: no leave"),
}
