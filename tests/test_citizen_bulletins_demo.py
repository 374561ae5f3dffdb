"""The bulletins demo on the early-warning demo's own year of series (an outbreak in the first
district): a week of published bulletins whose figures follow the series, small counts
protected."""

from __future__ import annotations

from django.utils import timezone

from crisisgov.citizen.bulletins.models import Bulletin, Clarification


def test_the_demo_bulletins_follow_the_early_warning_demo(city):
    from crisisgov.drills.citizen_bulletins_demo import citizen_bulletins_demo_ensure
    from crisisgov.drills.earlywarning_demo import earlywarning_demo_ensure
    from crisisgov.earlywarning.series import series_get
    from crisisgov.kernel.actor import SYSTEM

    earlywarning_demo_ensure(seed=2020)
    assert "7 published now" in citizen_bulletins_demo_ensure()[0]
    assert "0 published now" in citizen_bulletins_demo_ensure()[0]
    bulletins = list(Bulletin.objects.order_by("date"))
    today = timezone.localdate()
    assert [(today - b.date).days for b in bulletins] == [7, 6, 5, 4, 3, 2, 1]
    assert {b.state for b in bulletins} == {"published"}
    assert Clarification.objects.count() == 2
    last = bulletins[-1].figures
    outbreak = series_get(
        actor=SYSTEM, indicator_code="confirmed-cases", area_id=city.district_a.id,
        start=bulletins[-1].date, end=bulletins[-1].date,
    ).points[-1].value  # fmt: skip
    row = last["districts"][0]
    assert row["code"] == city.district_a.code and outbreak >= 10 and row["new"] == outbreak
    for bulletin in bulletins:
        for d in bulletin.figures["districts"]:
            assert d["new"] in (0, "<10") or (isinstance(d["new"], int) and d["new"] >= 10)
    # A quiet district's cumulative count, when withheld, points at the last one published.
    for bulletin in bulletins:
        for d in bulletin.figures["districts"]:
            if d["cumulative"] is None and d["cumulative_as_of"]:
                assert d["cumulative_as_of"]["date"] < bulletin.date.isoformat()
