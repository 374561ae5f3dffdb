"""What other apps may use of public opinion."""

from crisisgov.opinion.permissions import OpinionPermission

__all__ = ["OpinionPermission"]


def opinion_demo_ensure() -> list[str]:
    """For drills: the rumor knowledge base and a rumor spreading in the first district, the
    simulated stream of posts with its hot-spot alarms, and three days of hotline tickets
    against their clocks. Idempotent."""
    from crisisgov.opinion.demo import opinion_demo_ensure as stream_ensure
    from crisisgov.opinion.rumors.demo import opinion_rumors_demo_ensure
    from crisisgov.opinion.tickets.demo import opinion_tickets_demo_ensure

    lines = opinion_rumors_demo_ensure()  # first: the stream's rumor is then a known one
    lines.append(stream_ensure())
    return lines + opinion_tickets_demo_ensure()
