"""Enumerations whose values are part of the API contract (shared/API.md)."""

from __future__ import annotations

from enum import StrEnum


class OrgType(StrEnum):
    committee = "committee"  # 党委
    working_committee = "working_committee"  # 党工委
    general_branch = "general_branch"  # 党总支
    branch = "branch"  # 党支部
    joint_branch = "joint_branch"  # 联合党支部
    temporary_branch = "temporary_branch"  # 临时党支部
    group = "group"  # 党小组


BRANCH_TYPES = frozenset({OrgType.branch, OrgType.joint_branch, OrgType.temporary_branch})
COMMITTEE_TYPES = frozenset({OrgType.committee, OrgType.working_committee})


class MemberStatus(StrEnum):
    applicant = "applicant"  # 入党申请人
    activist = "activist"  # 入党积极分子
    candidate = "candidate"  # 发展对象
    probationary = "probationary"  # 预备党员
    full = "full"  # 正式党员
    suspended = "suspended"  # 停止党籍
    left = "left"  # 出党
    deceased = "deceased"  # 去世


# Records that no longer count as current members (history is kept).
ENDED_STATUSES = frozenset({MemberStatus.left, MemberStatus.deceased})


class MemberCategory(StrEnum):
    employed = "employed"  # 在职
    retired = "retired"  # 离退休
    self_employed = "self_employed"  # 个体
    farmer = "farmer"  # 农民
    student = "student"  # 学生
    unemployed = "unemployed"  # 无固定职业
    other = "other"


class Gender(StrEnum):
    male = "male"
    female = "female"


class Role(StrEnum):
    system_admin = "system_admin"
    org_admin = "org_admin"
    branch_secretary = "branch_secretary"
    member = "member"
    auditor = "auditor"


class LeaderRole(StrEnum):
    secretary = "secretary"  # 书记
    deputy_secretary = "deputy_secretary"  # 副书记
    organisation_member = "organisation_member"  # 组织委员
    propaganda_member = "propaganda_member"  # 宣传委员
    discipline_member = "discipline_member"  # 纪检委员
    committee_member = "committee_member"  # 委员
