"""Terms of office (任期) of an organisation's committee: the length by organisation type
(policy: basic-level committees 5 years, general branches and branches 3, village and
community organisations 5) and the flags: the term ends within the warning window
(policy, 90 days) or has expired (换届 overdue).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.models.enums import COMMITTEE_TYPES, OrgType
from app.models.organisation import Organisation
from app.schemas.organisations import HealthFlag
from app.services.organisations.flags import flag


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def term_years(org: Organisation, policy: dict[str, Any]) -> int | None:
    """Term length by type: village and community organisations follow their own term."""
    org_type = OrgType(org.type)
    if org_type is OrgType.group:
        return None
    if org.unit_category in (3, 7):  # 农村, 街道社区
        return int(policy["term_years_village_community"])
    if org_type in COMMITTEE_TYPES:
        return int(policy["term_years_committee"])
    return int(policy["term_years_branch"])


def term_flags(
    term_started_on: date | None, years: int | None, today: date, warning_days: int
) -> tuple[date | None, list[HealthFlag]]:
    """When the current term ends, and its flags: within `warning_days` of the end the
    election (换届) is due soon; on or after the end it is overdue. No term length (an
    organisation without terms) means no flags; no recorded start, an info flag."""
    if years is None:
        return None, []
    if term_started_on is None:
        return None, [
            flag("term.start_unknown", "info", "the current term's start date is not recorded")
        ]
    ends_on = add_years(term_started_on, years)
    if ends_on <= today:
        found = flag(
            "term.expired", "error", "the term has expired: election (换届) overdue", str(ends_on)
        )
        return ends_on, [found]
    if (ends_on - today).days <= warning_days:
        found = flag(
            "term.ending_soon",
            "warning",
            "the term ends soon: prepare the election (换届)",
            str(ends_on),
            warning_days,
        )
        return ends_on, [found]
    return ends_on, []


def org_term_flags(
    org: Organisation, policy: dict[str, Any], today: date
) -> tuple[date | None, list[HealthFlag]]:
    """`term_flags` of `org` under its effective `policy` on `today`: the one reading of
    an organisation's term for its health report, the to-do list and the statistics
    tables (by term status)."""
    warning_days = int(policy["term_warning_days"])
    return term_flags(org.term_started_on, term_years(org, policy), today, warning_days)
