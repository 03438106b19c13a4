"""Points engine (积分制管理): schemes, rule items, the ledger, caps, rankings.

Invariant: for every member and year, the balance is the applicable scheme's base
plus the sum of the member's approved entries. Reversed entries and the reversing
lines that document them are not approved, so they never count. Caps are checked
whenever an entry becomes approved, under a lock on the member, so concurrent
approvals cannot overshoot; a source key scores once, whatever the retries.
"""

from app.services.points.approval import (
    approve_entry,
    get_entry,
    is_own_entry,
    own_entry_sql,
    reject_entry,
)
from app.services.points.awards import create_entry
from app.services.points.ledger import EntryRequest, reverse_entry
from app.services.points.ranking import TOP_SQL, balance, ranking, visible_ranking
from app.services.points.review import confirm_grades, excellent_share_allowed
from app.services.points.schemes import (
    create_rule,
    get_rule,
    list_rules,
    scheme_for,
    update_rule,
    upsert_scheme,
)
from app.services.points.scoring import rescore_meeting, score_event, score_meeting
from app.services.points.views import (
    ENTRY_SORT,
    ENTRY_SORTABLE,
    balance_read,
    entry_read,
    list_entries,
)

__all__ = [
    "ENTRY_SORT",
    "ENTRY_SORTABLE",
    "TOP_SQL",
    "EntryRequest",
    "approve_entry",
    "balance",
    "balance_read",
    "confirm_grades",
    "create_entry",
    "create_rule",
    "entry_read",
    "excellent_share_allowed",
    "get_entry",
    "get_rule",
    "is_own_entry",
    "list_entries",
    "list_rules",
    "own_entry_sql",
    "ranking",
    "reject_entry",
    "rescore_meeting",
    "reverse_entry",
    "scheme_for",
    "score_event",
    "score_meeting",
    "update_rule",
    "upsert_scheme",
    "visible_ranking",
]
