"""Indicator series: revisions, roll-up, bad rows, case reports from the exchange, detection
and Rt runs against the pure algorithms, scoping, and the evaluation sweep."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crisisgov.earlywarning import detection, series
from crisisgov.earlywarning.algorithms import rt
from crisisgov.earlywarning.algorithms.detectors_options import run_detector
from crisisgov.earlywarning.models import Alert, Detection, DetectorConfig, Observation, RtEstimate
from crisisgov.earlywarning.series import ObservationRow, RowError, RowsRefused
from crisisgov.earlywarning.series_reads import detections_for_area, rt_outlook
from crisisgov.geo.facade import area_info
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.models import AuditEntry

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def indicators(db):
    series.indicators_sync()


@pytest.fixture
def analyst_a(city, make_user, actor_of, indicators):
    return actor_of(make_user("analyst", city.district_a))


def record(actor, *rows, source="api"):
    return series.observations_record(
        actor=actor, rows=[ObservationRow(*row) for row in rows], source=source
    )


def daily(actor, code, area, counts, *, last=DAY, source="drill"):
    first = last - dt.timedelta(days=len(counts) - 1)
    rows = [
        (code, area.code, (first + dt.timedelta(days=i)).isoformat(), float(c))
        for i, c in enumerate(counts)
    ]
    return record(actor, *rows, source=source)


def test_indicators_sync_is_idempotent_and_seeds_default_detectors(indicators):
    assert series.indicators_sync() == 9
    methods = sorted(
        DetectorConfig.objects.filter(indicator__code="confirmed-cases").values_list(
            "method", flat=True
        )
    )
    assert methods == ["ears-c2", "ears-c3"]
    assert DetectorConfig.objects.count() == 7
    water = series.indicator_get("water-level")
    assert (water.unit, water.resolution, water.additive) == ("m", "hour", False)


def test_a_correction_adds_a_revision_and_keeps_the_old_value(city, analyst_a):
    row = ("confirmed-cases", city.community_a.code, "2026-11-20")
    assert record(analyst_a, (*row, 3)).created == 1
    result = record(analyst_a, (*row, 5))
    assert (result.created, result.revised, result.unchanged) == (0, 1, 0)
    assert record(analyst_a, (*row, 5)).unchanged == 1
    history = series.observation_history(
        actor=analyst_a,
        indicator_code="confirmed-cases",
        area_id=city.community_a.id,
        period="2026-11-20",
    )
    assert [(o.revision, o.value, o.current) for o in history] == [(1, 3.0, False), (2, 5.0, True)]
    entries = AuditEntry.objects.filter(action="earlywarning.observations_recorded")
    assert [e.detail["revised"] for e in entries.order_by("seq")] == [0, 1, 0]


def test_series_roll_up_sums_counts_and_averages_measurements_in_one_query(city, indicators):
    record(
        SYSTEM,
        ("confirmed-cases", city.community_a.code, "2026-11-19", 2),
        ("confirmed-cases", city.community_a.code, "2026-11-20", 3),
        ("confirmed-cases", city.community_b.code, "2026-11-20", 4),
        ("water-level", city.community_a.code, "2026-11-20T08:00", 2.0),
        ("water-level", city.community_b.code, "2026-11-20T08:00", 4.5),
    )
    found = series.series_get(
        actor=SYSTEM,
        indicator_code="confirmed-cases",
        area_id=city.city.id,
        start=dt.date(2026, 11, 18),
        end=DAY,
    )
    assert [(p.period, p.value) for p in found.points] == [
        ("2026-11-18", 0.0),
        ("2026-11-19", 2.0),
        ("2026-11-20", 7.0),
    ]
    district = series.series_get(
        actor=SYSTEM, indicator_code="confirmed-cases", area_id=city.district_a.id, end=DAY
    )
    assert district.points[-1].value == 3.0 and len(district.points) == 90
    water = series.indicator_get("water-level")
    start = series.period_parse("2026-11-20T08:00", "hour")
    whole_city = area_info(city.city.id)
    with CaptureQueriesContext(connection) as queries:
        values = series.series_rollup(
            actor=SYSTEM, indicator=water, area=whole_city, first=start, last=start
        )
    assert len(queries) == 1
    assert values == {start: 3.25}


def test_bad_rows_are_named_and_nothing_is_stored(city, analyst_a):
    a = city.community_a.code
    with pytest.raises(RowsRefused) as refused:
        record(
            analyst_a,
            ("confirmed-cases", a, "2026-11-20", 1),
            ("confirmed-cases", a, "2026-11-21", -2),
            ("confirmed-cases", "420102999999", "2026-11-20", 1),
            ("no-such-thing", a, "2026-11-20", 1),
            ("confirmed-cases", a, "20.11.2026", 1),
            ("confirmed-cases", a, "2026-W47", 1),
            ("confirmed-cases", a, "2026-11-20", 4),
            ("confirmed-cases", city.community_b.code, "2026-11-20", 1),
            ("confirmed-cases", city.district_a.code, "2026-11-20", 1),
            ("water-level", a, "2026-11-20T08:30", 1.5),
            ("confirmed-cases", a, "2099-01-01", 1),  # a mistyped year: not begun yet
            ("confirmed-cases", a, "1900-01-01", 1),
        )
    assert refused.value.errors == [
        RowError(2, "value", "a count cannot be negative (-2)"),
        RowError(3, "area", "unknown area code"),
        RowError(4, "indicator", "unknown indicator code"),
        RowError(5, "period", "'20.11.2026' is not a period; expected a date YYYY-MM-DD"),
        RowError(
            6,
            "period",
            "'2026-W47' does not fit this indicator's resolution; expected a date YYYY-MM-DD",
        ),
        RowError(7, "period", "the same indicator, area and period as row 1"),
        RowError(8, "area", "unknown area code"),  # district B: outside the reporter's area
        RowError(
            9, "area", "the indicator is reported per area of level 5, this area is of level 3"
        ),
        RowError(10, "period", "'2026-11-20T08:30' is not on the hour; expected an hour "
                 "YYYY-MM-DDTHH:00"),
        RowError(11, "period", "the period has not begun yet"),
        RowError(12, "period", "the period is more than 30 years ago"),
    ]  # fmt: skip
    assert not Observation.objects.exists()
    assert not AuditEntry.objects.filter(action="earlywarning.observations_recorded").exists()


def test_a_csv_upload_names_the_line_and_stores_all_or_nothing(city, analyst_a):
    a = city.community_a.code
    bad = (
        "indicator,area,period,value\n"
        f"confirmed-cases,{a},2026-11-20,2\nconfirmed-cases,{a},2026-11-21,x\n"
    )
    with pytest.raises(RowsRefused) as refused:
        series.observations_upload(actor=analyst_a, data=bad.encode())
    assert refused.value.errors == [RowError(3, "value", "not a finite number")]
    assert not Observation.objects.exists()
    good = "\ufeffindicator,area,period,value\n" + f"confirmed-cases,{a},2026-11-20,2\n"
    assert series.observations_upload(actor=analyst_a, data=good.encode()).created == 1


def test_case_reports_imported_in_the_exchange_become_daily_counts(city, dataset, indicators):
    from crisisgov.kernel.outbox import outbox_deliver_due
    from tests.exchange_data import case_row, csv_bytes, run

    rows = [
        case_row(1, city),
        case_row(2, city),
        case_row(3, city, case_type="suspected"),
        case_row(4, city, report_date="2026-11-21"),
        case_row(5, city, area_code=city.district_a.code),  # no community: not counted
    ]
    assert run(dataset, csv_bytes(rows)).rows_created == 5
    outbox_deliver_due()
    current = Observation.objects.filter(current=True, source="exchange")
    got = sorted(
        (o.indicator.code, o.area_path, series.period_label(o.period_start, "day"), o.value)
        for o in current.select_related("indicator")
    )
    path = city.community_a.path
    assert got == [
        ("confirmed-cases", path, "2026-11-20", 2.0),
        ("confirmed-cases", path, "2026-11-21", 1.0),
        ("suspected-cases", path, "2026-11-20", 1.0),
    ]
    # A late report for the 20th: the count is revised, the old count kept.
    run(dataset, csv_bytes([case_row(6, city)]), filename="late.csv")
    outbox_deliver_due()
    revisions = Observation.objects.filter(
        indicator__code="confirmed-cases", period_start=series.local_midnight(DAY)
    ).order_by("revision")
    assert [(o.value, o.current) for o in revisions] == [(2.0, False), (3.0, True)]


def _fever_counts(seed: int, days: int, spike: float) -> np.ndarray:
    counts = np.random.default_rng(seed).poisson(8, days).astype(float)
    counts[-1] = spike
    return counts


def test_a_detection_run_stores_the_pure_detectors_numbers_and_alerts_once(city, indicators):
    a, b = _fever_counts(1, 60, 40), _fever_counts(2, 60, 9)
    daily(SYSTEM, "fever-clinic-visits", city.district_a, a)
    daily(SYSTEM, "fever-clinic-visits", city.district_b, b)
    indicator = series.indicator_get("fever-clinic-visits")
    result = detection.detection_run(indicator=indicator, area_level=3, as_of=DAY)
    assert result.notes == []
    dates = np.arange(np.datetime64("2026-09-22"), np.datetime64("2026-11-21"))
    expected = run_detector("ears-c2", np.array([a, b]), dates=dates)
    config = DetectorConfig.objects.get(indicator=indicator, method="ears-c2")
    stored = Detection.objects.filter(config=config, area=city.district_a).order_by("period_start")
    assert stored.count() == len(expected.points) == 51
    last = stored.last()
    assert last.period_start == series.local_midnight(DAY)
    assert last.observed == 40.0
    assert last.expected == pytest.approx(expected.expected[0, -1], rel=1e-12)
    assert last.upperbound == pytest.approx(expected.upperbound[0, -1], rel=1e-12)
    assert last.alarm is True and bool(expected.alarm[0, -1])
    assert [d.alarm for d in stored] == [bool(x) for x in expected.alarm[0]]
    alert = Alert.objects.get(area=city.district_a)
    assert alert.dedup_key == f"detector:{config.pk}:{city.district_a.path}:2026-11-20"
    assert (alert.source, alert.kind) == ("detector", "ears-c2")
    assert result.alerts == Alert.objects.count()
    again = detection.detection_run(indicator=indicator, area_level=3, as_of=DAY)
    assert again.alerts == 0 and Alert.objects.count() == result.alerts
    assert Detection.objects.count() == result.stored


def test_a_series_too_short_gives_a_note_not_a_crash(city, indicators):
    daily(SYSTEM, "fever-clinic-visits", city.district_a, [3, 4, 5, 6, 2])
    indicator = series.indicator_get("fever-clinic-visits")
    result = detection.detection_run(indicator=indicator, area_level=3, as_of=DAY)
    assert result.notes == [
        "ears-c2 on fever-clinic-visits (5 periods): the series is too short: it has 5 points "
        "and with these options the first monitored one is point 10"
    ]
    assert DetectorConfig.objects.get(indicator=indicator).note == result.notes[0]
    assert not Detection.objects.exists()


def test_an_rt_run_equals_epiestim_on_the_same_series(city, indicators):
    counts = np.round(3 * 1.08 ** np.arange(40))
    daily(SYSTEM, "confirmed-cases", city.community_a, counts)
    indicator = series.indicator_get("confirmed-cases")
    result = detection.rt_run(indicator=indicator, area_level=3, as_of=DAY)
    reference = rt.estimate_rt(
        counts[None, :], rt.discretise_serial_interval(4.7, 2.9, 40), window=7
    )
    assert result.stored == 33
    rows = RtEstimate.objects.filter(area=city.district_a).order_by("window_end")
    assert rows.last().window_end == DAY
    table = reference.table()
    means = [r.mean for r in rows]
    np.testing.assert_allclose(
        np.array(means, dtype=float), table["mean"], rtol=1e-12, equal_nan=True
    )
    np.testing.assert_allclose(
        [r.upper if r.upper is not None else np.nan for r in rows],
        table["q0.975"],
        rtol=1e-12,
        equal_nan=True,
    )
    assert rows.last().lower > 1
    outlook = rt_outlook(actor=SYSTEM, area_id=city.district_a.id, as_of=DAY)
    assert len(outlook.projection) == 14 and outlook.projection[0]["date"] == "2026-11-21"
    growth = rt.doubling_time(counts[None, :], days=14)
    assert outlook.doubling_days == pytest.approx(growth.days[0])


def test_an_analyst_sees_only_their_districts_signals(city, analyst_a, make_user, actor_of):
    daily(SYSTEM, "fever-clinic-visits", city.district_a, _fever_counts(1, 30, 40))
    daily(SYSTEM, "fever-clinic-visits", city.district_b, _fever_counts(1, 30, 40))
    indicator = series.indicator_get("fever-clinic-visits")
    detection.detection_run(indicator=indicator, area_level=3, as_of=DAY)
    assert Alert.objects.count() == 2
    mine = Alert.objects.for_actor(analyst_a, "earlywarning.view_signals")
    assert [a.area_id for a in mine] == [city.district_a.id]
    assert detections_for_area(
        actor=analyst_a, area_id=city.district_a.id, indicator_code="fever-clinic-visits",
        since=dt.date(2026, 11, 1),
    )  # fmt: skip
    for read in (
        lambda: detections_for_area(
            actor=analyst_a, area_id=city.district_b.id, indicator_code="fever-clinic-visits"
        ),
        lambda: series.series_get(
            actor=analyst_a, indicator_code="fever-clinic-visits", area_id=city.district_b.id
        ),
        lambda: rt_outlook(actor=analyst_a, area_id=city.district_b.id),
    ):
        with pytest.raises(NotFound):
            read()
    # A city analyst's roll-up of the city holds both districts.
    whole = series.series_get(
        actor=actor_of(make_user("analyst", city.city)),
        indicator_code="fever-clinic-visits",
        area_id=city.city.id,
        end=DAY,
    )
    assert whole.points[-1].value == 80.0


def test_the_evaluation_runs_only_when_new_observations_arrived(city, indicators):
    daily(SYSTEM, "confirmed-cases", city.community_a, np.arange(30) % 5)
    assert detection.evaluation_run(as_of=DAY) == 1
    estimates, detections = RtEstimate.objects.count(), Detection.objects.count()
    assert estimates == 23 and detections > 0
    assert detection.evaluation_run(as_of=DAY) == 0
    record(SYSTEM, ("confirmed-cases", city.community_a.code, "2026-11-20", 9))
    assert detection.evaluation_run(as_of=DAY) == 1
    assert (RtEstimate.objects.count(), Detection.objects.count()) == (estimates, detections)


def test_the_worker_sweep_evaluates_new_observations_once(city, indicators):
    from crisisgov.earlywarning.handlers import evaluate_signals

    today = timezone.localdate()
    daily(SYSTEM, "confirmed-cases", city.community_a, np.arange(20) % 3, last=today)
    assert evaluate_signals() == 1
    assert series.indicator_get("confirmed-cases").evaluated_at is not None
    assert RtEstimate.objects.filter(window_end=today).count() == 1
    assert evaluate_signals() == 0
