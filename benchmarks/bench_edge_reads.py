"""Cheap, cacheable reads: the published risk-level document and health-token verification,
through the edge (Starlette on granian, the document from Redis) against the same through
Django (gunicorn, WSGI, the document from PostgreSQL), deployed as in bench_reservations.

Printed: requests per second and p50/p99 (wrk) of each, and the edge/Django ratios. The
document is also answered 304 for a matching If-None-Match; here every request fetches it
whole, the worse case. Bounded: about a minute.

Usage: `make bench` or `python -m benchmarks edge_reads [seconds=5]`.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

from benchmarks.bench_reservations import (
    PG_URL,
    Deployment,
    _django,
    _options,
    postgres_or_sqlite,
    run_role,
    wrk,
)

CONNECTIONS = 32
DOCUMENT = "risk-levels"


def main(argv: list[str]) -> None:
    seconds = int(_options(argv).get("seconds", "5"))
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        print("wrk or redis-server is not installed (`make bench-tools`): skipped")
        return
    url = postgres_or_sqlite(PG_URL)
    if not url:
        print("PostgreSQL does not answer: the read benchmark (as deployed) is skipped")
        return
    print(
        f"Shared machine ({os.cpu_count()} cores, other users' load included, load average"
        f" {os.getloadavg()[0]:.1f} at the start): numbers are noisy."
    )
    deployment = Deployment(url)
    try:
        deployment.start(worker=False)
        seeded = run_role_here("seed-reads", deployment)
        edge = f"http://127.0.0.1:{deployment.edge_port}"
        django = f"http://127.0.0.1:{deployment.django_port}"
        verify_body = json.dumps({"token": seeded["token"]})
        cases = [
            ("risk levels (published JSON)", "/edge/published/risk-levels.json",
             "/citizen/published/risk-levels.json", []),
            ("token verification", "/edge/verify", "/citizen/verify", [verify_body]),
        ]  # fmt: skip
        print(f"\n{CONNECTIONS} connections, {seconds} s each")
        print(f"{'read':<32}{'server':<8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
        for label, edge_path, django_path, args in cases:
            rates = {}
            for server, base, path in (("edge", edge, edge_path), ("django", django, django_path)):
                run = wrk(
                    base + path, "post_json.lua", args, connections=CONNECTIONS, seconds=seconds
                )
                rates[server] = run["responses"] / run["seconds"]
                print(
                    f"{label:<32}{server:<8}{rates[server]:>10.0f}{run['p50_ms']:>9.1f}"
                    f"{run['p99_ms']:>9.1f}{run['non_2xx']:>9}"
                )
            print(f"{'':<32}edge / Django: {rates['edge'] / rates['django']:.1f}x")
    finally:
        deployment.stop()


def run_role_here(role: str, deployment: Deployment) -> dict:
    return run_role(role, [], deployment.env, module="benchmarks.bench_edge_reads")


def seed_reads() -> dict:
    """The risk-level document (in PostgreSQL and Redis) and a valid health token."""
    from django.utils import timezone

    from crisisgov.citizen import token_keys, tokens
    from crisisgov.citizen.publishing import document_publish

    areas = [{"code": f"9901{n:02d}", "level": ("low", "medium", "high")[n % 3]} for n in range(40)]
    document_publish(DOCUMENT, {"areas": areas, "as_of": timezone.now().isoformat()})
    kid, key = token_keys.signing_keys()[0]
    token = tokens.token_issue(
        private_key=key, key_id=kid, status="green", valid_minutes=60, now=timezone.now()
    )
    return {"token": token}


if __name__ == "__main__":
    _django()
    if sys.argv[1] == "seed-reads":
        print(json.dumps(seed_reads()))
