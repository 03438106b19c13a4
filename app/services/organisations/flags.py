"""Health flags: a rule that informs a human decision produces a flag (a warning in
`health`), never a change of state."""

from __future__ import annotations

from typing import Any, Literal

from app.schemas.organisations import HealthFlag

Severity = Literal["info", "warning", "error"]


def flag(
    code: str, severity: Severity, message: str, value: Any = None, threshold: Any = None
) -> HealthFlag:
    return HealthFlag(
        code=code, severity=severity, message=message, value=value, threshold=threshold
    )
