"""The demo's risk levels: the default district rule set, evaluated on the demo's data (the
simulated outbreak of earlywarning_demo.py runs first), so that the official finds a proposed
change of level waiting on /earlywarning/risk/. Idempotent: a second run proposes nothing new."""

from __future__ import annotations

from django.utils import timezone

from crisisgov.earlywarning.facade import risk_demo_prepare


def risk_demo_ensure() -> list[str]:
    """Seed and evaluate the default rule sets as of today; lines for the demo's output."""
    waiting = risk_demo_prepare(timezone.localdate())
    return [
        f"Risk levels: {waiting} proposed change(s) waiting for approval on /earlywarning/risk/"
    ]
