"""What other apps (the drills, the citizen root) may use of the citizen queries."""

from __future__ import annotations


def queries_publish_all() -> dict[str, str]:
    """Rebuild and publish the documents `risk-levels`, `exposures` and `testing-sites`;
    returns {name: ETag}."""
    from crisisgov.citizen.queries import exposures, risk, sites

    return {
        risk.DOCUMENT: risk.risk_document_publish(),
        exposures.DOCUMENT: exposures.exposures_document_publish(),
        sites.DOCUMENT: sites.testing_sites_document_publish(),
    }


__all__ = ["queries_publish_all"]


def queries_demo_ensure(*, district_path: str) -> list[str]:
    """For drills: trips and venues in the district, testing sites' hours and queues."""
    from crisisgov.citizen.queries.demo import queries_demo_ensure as ensure

    return ensure(district_path=district_path)


__all__ += ["queries_demo_ensure"]
