"""The demo's online approvals: the resumption-of-work service of the first district, one
application halfway through its approvals (market regulation approved, the health commission
overdue and escalated to its head) and one approved with a verifiable certificate.

Run it after `demo_accounts_ensure()` so that the demo department officer (the district health
commission's) is designated head and sees the escalation; run before, the escalation waits for
a head and goes to them on the next run. Idempotent."""

from __future__ import annotations

from crisisgov.citizen.approvals.facade import approvals_demo_prepare


def citizen_approvals_demo_ensure() -> list[str]:
    return approvals_demo_prepare()
