"""The catalogue of the admission record's steps (发展党员全程纪实), after the national
发展党员工作细则: 21 steps in 5 stages, as data.

Each step names its stage, the steps it follows (its date is not before theirs), the
status change it gates (that transition needs it done, in time, by its effective day),
whether it repeats (reviews) and where an existing record already is its evidence (the
member's dates, the 公示 notice, the 志愿书 number, the admission meeting's vote). Where
local practice varies, a policy of the subtree decides (`development_recommendation`,
`development_training_min_hours`). Timing rules live in `rules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import Text
from app.models.enums import DevelopmentStepCode, MemberStatus

CATALOGUE_VERSION = "2014-06"  # 中国共产党发展党员工作细则 (2014年6月)

C = DevelopmentStepCode
S = MemberStatus


@dataclass(frozen=True)
class Stage:
    number: int
    name: Text


STAGES = (
    Stage(1, Text(zh="申请入党", en="Application")),
    Stage(2, Text(zh="入党积极分子的确定和培养教育", en="Activists: listing and training")),
    Stage(3, Text(zh="发展对象的确定和考察", en="Candidates: listing and review")),
    Stage(4, Text(zh="预备党员的接收", en="Admission to probation")),
    Stage(5, Text(zh="预备党员的教育考察和转正", en="Probation and full membership")),
)


@dataclass(frozen=True)
class Step:
    code: DevelopmentStepCode
    stage: int
    after: tuple[DevelopmentStepCode, ...] = ()  # its date is not before theirs
    gates: MemberStatus | None = None  # the transition into this status needs it
    repeats: bool = False  # recorded once per period (reviews)
    responsible: tuple[int, int] = (0, 20)  # how many responsible people it names
    evidence: str | None = None  # the existing record that is this step, if any


STEPS: tuple[Step, ...] = (
    Step(C.application, 1, evidence="member.applied_on"),
    Step(C.talk, 1, (C.application,), S.activist, evidence="member.talked_on"),
    Step(C.recommendation, 2, (C.application,), S.activist),
    Step(C.activist_decision, 2, (C.talk,), evidence="member.activist_on"),
    Step(C.contacts_assigned, 2, (C.activist_decision,), S.candidate, responsible=(1, 2)),
    Step(C.activist_review, 2, (C.activist_decision,), S.candidate, repeats=True),
    Step(
        C.candidate_decision, 3, (C.activist_decision,), S.candidate, evidence="member.candidate_on"
    ),
    Step(C.political_review, 3, (C.candidate_decision,), S.probationary),
    Step(C.training, 3, (C.activist_decision,), S.probationary),
    Step(C.pre_review, 4, (C.political_review, C.training), S.probationary),
    Step(C.notice, 4, (C.candidate_decision,), S.probationary, evidence="admission_notice"),
    Step(C.form_issued, 4, (C.pre_review,), S.probationary, evidence="form_number"),
    Step(C.admission_vote, 4, (C.form_issued, C.notice), S.probationary, evidence="meeting_vote"),
    Step(C.committee_talk, 4, (C.admission_vote,), S.full),
    Step(C.approval, 4, (C.committee_talk,), S.full, evidence="member.admission_approved_on"),
    Step(C.oath, 5, (C.approval,), S.full),
    Step(C.probation_review, 5, (C.admission_vote,), S.full, repeats=True),
    Step(C.full_application, 5, (C.admission_vote,), S.full),
    Step(C.full_vote, 5, (C.full_application, C.oath), S.full, evidence="meeting"),
    Step(C.full_approval, 5, (C.full_vote,)),
    Step(C.filing, 5, (C.full_approval,)),
)

BY_CODE: dict[DevelopmentStepCode, Step] = {s.code: s for s in STEPS}


def gated_by(to_status: MemberStatus) -> tuple[Step, ...]:
    """The steps the transition into `to_status` needs, in catalogue order."""
    return tuple(s for s in STEPS if s.gates is to_status)
