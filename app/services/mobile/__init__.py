"""Mobile members (流动党员): outflow, inflow, the duty of contact, location privacy.

The home organisation registers the outflow; the host organisation (anywhere in
the tree) registers the inflow. Both subtrees see the episode and its check-ins;
the host sees only what it needs of the member (name, masked contact, home branch
by code and name), never the ID number. Locations are area codes (GB/T 2260) kept
only with consent and purged after the retention policy.
"""

from app.services.mobile.check_ins import check_in, check_ins, purge_locations
from app.services.mobile.episodes import (
    EPISODE_SORT,
    EPISODE_SORTABLE,
    EpisodeView,
    close_for_transfer,
    current_episode_id,
    find_for_host,
    get_visible,
    list_episodes,
    register_inflow,
    register_outflow,
    return_home,
    statistics,
    view,
    views,
)
from app.services.mobile.views import check_in_read, episode_detail, episode_read, episode_reads

__all__ = [
    "EPISODE_SORT",
    "EPISODE_SORTABLE",
    "EpisodeView",
    "check_in",
    "check_in_read",
    "check_ins",
    "close_for_transfer",
    "current_episode_id",
    "episode_detail",
    "episode_read",
    "episode_reads",
    "find_for_host",
    "get_visible",
    "list_episodes",
    "purge_locations",
    "register_inflow",
    "register_outflow",
    "return_home",
    "statistics",
    "view",
    "views",
]
