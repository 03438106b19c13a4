"""Discipline (党纪处分) and rewards (表彰)."""

from app.services.discipline.records import (
    conclude_discipline,
    list_disciplines,
    record_discipline,
)
from app.services.discipline.rewards import list_rewards, record_reward
from app.services.discipline.voting import without_vote

__all__ = [
    "conclude_discipline",
    "list_disciplines",
    "list_rewards",
    "record_discipline",
    "record_reward",
    "without_vote",
]
