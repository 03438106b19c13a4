"""Demo data (演示数据): a realistic county, built through the same services as the API.

青山县委 -> township committees, a street working committee and the county organs
working committee -> villages, communities, units -> branches and party groups,
about 1,500 members in every status and category with valid synthetic ID
numbers, leaders with terms (some ending soon, some expired) and one login per
role. Loading is idempotent: a second run finds the county and creates nothing.
"""

from app.devtools.demo.county import DEMO_PASSWORD, DemoSummary, load_demo

__all__ = ["DEMO_PASSWORD", "DemoSummary", "load_demo"]
