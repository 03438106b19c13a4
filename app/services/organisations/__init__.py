"""Organisations (党组织): the tree, its setup rules and its health.

The rules of shared/DOMAIN.md live here: which type may sit under which,
moves that rewrite a subtree's paths in one transaction, soft dissolution,
leaders (班子) and the thresholds and term flags of `health`.
"""

from app.services.organisations.access import ORG_SORT, ORG_SORTABLE, get_visible, within_path
from app.services.organisations.counts import members_counted, organisation_stats
from app.services.organisations.health import organisation_health, threshold_flags
from app.services.organisations.leaders import (
    LeaderRow,
    add_leader,
    list_leaders,
    term_current,
    visible_leaders,
)
from app.services.organisations.records import (
    create_organisation,
    dissolve_organisation,
    list_organisations,
    update_organisation,
)
from app.services.organisations.tally import AGE_BANDS
from app.services.organisations.tree import (
    get_visible_node,
    insert_root,
    move_organisation,
    visible_tree,
)

__all__ = [
    "AGE_BANDS",
    "ORG_SORT",
    "ORG_SORTABLE",
    "LeaderRow",
    "add_leader",
    "create_organisation",
    "dissolve_organisation",
    "get_visible",
    "get_visible_node",
    "insert_root",
    "list_leaders",
    "list_organisations",
    "members_counted",
    "move_organisation",
    "organisation_health",
    "organisation_stats",
    "term_current",
    "threshold_flags",
    "update_organisation",
    "visible_leaders",
    "visible_tree",
    "within_path",
]
