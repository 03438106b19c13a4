"""The order of the admission record's steps and the refusals that name a step: what the
gates (at a transition) and the recording of a step that gates none (full-membership
approval, filing: at the time it is recorded) both apply."""

from __future__ import annotations

from datetime import date

from app.errors import Conflict, ErrorCode
from app.i18n import Text
from app.models.enums import DevelopmentStepCode, label_zh
from app.models.labels_en import LABELS_EN
from app.services.lifecycle.development.catalogue import Step


def names(step: DevelopmentStepCode) -> tuple[str, str]:
    return label_zh(DevelopmentStepCode, step), LABELS_EN[DevelopmentStepCode][step.value]


def refuse(code: ErrorCode, detail: Text, step: DevelopmentStepCode) -> Conflict:
    return Conflict(
        code,
        detail,
        errors=[{"field": "step", "code": code, "message": code.en, "step": step.value}],
    )


def step_missing(
    step: DevelopmentStepCode, day: date, extra: tuple[str, str] = ("", "")
) -> Conflict:
    zh, en = names(step)
    return refuse(
        ErrorCode.lifecycle_step_missing,
        Text(
            zh=f"截至 {day} 未完成步骤「{zh}」{extra[0]}",
            en=f"step '{en}' not done by {day}{extra[1]}",
        ),
        step,
    )


def check_order(step: Step, first: date, done: dict[DevelopmentStepCode, list[date]]) -> None:
    """A step is not dated before the steps it follows."""
    for before in step.after:
        if done.get(before) and first < min(done[before]):
            zh, en = names(step.code)
            bzh, ben = names(before)
            raise refuse(
                ErrorCode.lifecycle_step_early,
                Text(
                    zh=f"「{zh}」({first}) 早于「{bzh}」({min(done[before])})",
                    en=f"'{en}' ({first}) comes before '{ben}' ({min(done[before])})",
                ),
                step.code,
            )
