"""Work the worker does every round: overdue approval steps escalate to their department's head."""

from __future__ import annotations

from crisisgov.citizen.approvals.services import steps_escalate_overdue
from crisisgov.kernel.outbox import worker_sweep


@worker_sweep
def escalate_overdue_steps() -> int:
    return steps_escalate_overdue()
