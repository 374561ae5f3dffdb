"""The signals home and an area's curve page, in Chinese and English."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone

from crisisgov.earlywarning import detection, series
from crisisgov.earlywarning.series import ObservationRow
from crisisgov.kernel.actor import SYSTEM


def outbreak(city) -> None:
    """60 days of confirmed cases in both districts; district A's last day is a spike."""
    series.indicators_sync()
    today = timezone.localdate()
    rows = []
    for area, seed in ((city.community_a, 1), (city.community_b, 2)):
        counts = np.random.default_rng(seed).poisson(4, 60).astype(float)
        if area == city.community_a:
            counts[-1] = 30
        for i, count in enumerate(counts):
            day = today - dt.timedelta(days=59 - i)
            rows.append(ObservationRow("confirmed-cases", area.code, day.isoformat(), count))
    series.observations_record(actor=SYSTEM, rows=rows, source="drill")
    detection.evaluation_run(as_of=today)


@pytest.fixture
def client_a(city, make_user):
    outbreak(city)
    client = Client()
    client.force_login(make_user("analyst", city.district_a))
    return client


def test_the_home_lists_only_the_actors_districts(city, client_a):
    page = client_a.get("/earlywarning/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "预警信号" in page
    assert re.findall(r'data-area="(\d+)"', page) == [city.district_a.code]
    assert "江岸区" in page and "江汉区" not in page


def test_the_curve_page_carries_the_alarm_and_rt(city, client_a):
    response = client_a.get(f"/earlywarning/areas/{city.district_a.id}/")
    assert response.status_code == 200
    page = response.content.decode()
    chart = json.loads(re.search(r'id="curve-data"[^>]*>(.*?)</script>', page, re.S)[1])
    today = timezone.localdate().isoformat()
    assert chart["alarms"] == [[today, 30.0]]
    assert chart["names"]["alarm"] == "警报"
    assert len(chart["labels"]) == 90 and chart["observed"][-1] == 30.0
    rt_chart = json.loads(re.search(r'id="rt-data"[^>]*>(.*?)</script>', page, re.S)[1])
    assert rt_chart["labels"][-1] == today and len(rt_chart["projection"]) == 14


def test_another_districts_curve_is_not_found(city, client_a):
    assert client_a.get(f"/earlywarning/areas/{city.district_b.id}/").status_code == 404
    assert client_a.get("/earlywarning/areas/99999999/").status_code == 404


def test_a_series_too_short_for_its_detector_says_so_on_the_page(city, client_a):
    series.indicators_ensure()
    indicator = series.indicator_get("fever-clinic-visits")
    today = timezone.localdate()
    rows = [
        ObservationRow("fever-clinic-visits", city.district_a.code, day.isoformat(), 3)
        for day in (today - dt.timedelta(days=d) for d in range(5))
    ]
    series.observations_record(actor=SYSTEM, rows=rows, source="drill")
    detection.detection_run(indicator=indicator, area_level=3, as_of=today)
    page = client_a.get(
        f"/earlywarning/areas/{city.district_a.id}/?indicator=fever-clinic-visits"
    ).content.decode()
    assert 'data-method="ears-c2"' in page and "too short" in page
