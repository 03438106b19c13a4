"""Grids (网格化党建) and community reporting (在职党员双报到).

A grid belongs to a community-level organisation and is covered by a branch or a
party group of that community's subtree. Members who live there are assigned to
at most one grid; a central household (党员中心户) lists the households it serves.
Employed members register with the community where they live; both the work side
and the residence side see the registration; confirmed service hours score points
through the points engine's single entry point.
"""

from app.services.grids.coverage import grid_coverage
from app.services.grids.dual_reporting import (
    decide_service,
    get_report,
    log_service,
    register_report,
    review_report,
    services,
)
from app.services.grids.registry import (
    GRID_SORT,
    GRID_SORTABLE,
    assign_residents,
    create_grid,
    get_visible,
    list_grids,
    residents,
    update_grid,
)
from app.services.grids.reporting import (
    REPORTING_SORT,
    REPORTING_SORTABLE,
    ReportingState,
    reporting_members,
    reporting_summary,
)

__all__ = [
    "GRID_SORT",
    "GRID_SORTABLE",
    "REPORTING_SORT",
    "REPORTING_SORTABLE",
    "ReportingState",
    "assign_residents",
    "create_grid",
    "decide_service",
    "get_report",
    "get_visible",
    "grid_coverage",
    "list_grids",
    "log_service",
    "register_report",
    "reporting_members",
    "reporting_summary",
    "residents",
    "review_report",
    "services",
    "update_grid",
]
