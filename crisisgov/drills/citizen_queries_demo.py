"""The demo's citizen queries: confirmed cases' trips and venues in the outbreak district (the
first district, where earlywarning_demo.py starts its outbreak), testing sites' hours and
queues, and the published documents (risk levels, exposures, testing sites). Idempotent."""

from __future__ import annotations

from crisisgov.citizen.queries.facade import queries_demo_ensure
from crisisgov.geo.facade import Level, areas_at_level


def citizen_queries_demo_ensure() -> list[str]:
    districts = areas_at_level(Level.DISTRICT)
    if not districts:
        return []
    return queries_demo_ensure(district_path=districts[0].path)
