"""The series endpoints over HTTP, and the `crisisgov earlywarning` command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from crisisgov.earlywarning import detection, series
from crisisgov.earlywarning.models import Observation
from crisisgov.earlywarning.series import ObservationRow
from crisisgov.kernel.actor import SYSTEM

API = "/api/earlywarning"


@pytest.fixture
def client_a(city, make_user):
    series.indicators_sync()
    client = Client()
    client.force_login(make_user("analyst", city.district_a))
    return client


def test_a_batch_is_stored_and_a_bad_one_names_its_rows(city, client_a):
    a = city.community_a.code
    body = {
        "rows": [{"indicator": "confirmed-cases", "area": a, "period": "2026-11-20", "value": 3}]
    }
    response = client_a.post(f"{API}/observations", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json() == {"created": 1, "revised": 0, "unchanged": 0}
    body["rows"].append({"indicator": "confirmed-cases", "area": a, "period": "2026-11-21",
                         "value": -1})  # fmt: skip
    response = client_a.post(f"{API}/observations", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": [
            {
                "code": "invalid",
                "field": "rows.1.value",
                "message": "row 2, value: a count cannot be negative (-1)",
            }
        ]
    }
    assert Observation.objects.count() == 1


def test_a_csv_upload_over_http(city, client_a):
    a = city.community_a.code
    data = f"indicator,area,period,value\nconfirmed-cases,{a},2026-11-20,4\n".encode()
    response = client_a.post(
        f"{API}/observations/upload", {"file": SimpleUploadedFile("obs.csv", data)}
    )
    assert response.status_code == 201 and response.json()["created"] == 1
    bad = f"indicator,area,period,value\nconfirmed-cases,{a},2026-W47,4\n".encode()
    response = client_a.post(
        f"{API}/observations/upload", {"file": SimpleUploadedFile("obs.csv", bad)}
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["message"] == (
        "line 2, period: '2026-W47' does not fit this indicator's resolution; "
        "expected a date YYYY-MM-DD"
    )


def test_series_history_detections_and_rt_of_an_area(city, client_a):
    day = timezone.localdate()  # the Rt endpoint reads the 90 days to today
    d = [(day - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    rows = [
        ObservationRow("confirmed-cases", city.community_a.code,
                       (day - dt.timedelta(days=29 - i)).isoformat(), float(1 + i // 3))
        for i in range(30)
    ]  # fmt: skip
    series.observations_record(actor=SYSTEM, rows=rows, source="drill")
    series.observations_record(
        actor=SYSTEM,
        rows=[ObservationRow("confirmed-cases", city.community_a.code, d[2], 20.0)],
        source="api",
    )
    detection.evaluation_run(as_of=day)
    district = city.district_a.id
    got = client_a.get(
        f"{API}/series/{district}?indicator=confirmed-cases&start={d[0]}&end={d[2]}"
    ).json()
    assert got["rollup"] == "sum" and got["area_code"] == city.district_a.code
    assert got["points"] == [
        {"period": d[0], "value": 10.0},
        {"period": d[1], "value": 10.0},
        {"period": d[2], "value": 20.0},
    ]
    history = client_a.get(
        f"{API}/series/{city.community_a.id}/history?indicator=confirmed-cases&period={d[2]}"
    ).json()
    assert [(h["revision"], h["value"], h["current"], h["source"]) for h in history] == [
        (1, 10.0, False, "drill"),
        (2, 20.0, True, "api"),
    ]
    found = client_a.get(
        f"{API}/detections/{district}?indicator=confirmed-cases&since={d[2]}"
    ).json()
    assert [(d["method"], d["period"], d["observed"], d["alarm"]) for d in found] == [
        ("ears-c2", d[2], 20.0, True),
        ("ears-c3", d[2], 20.0, True),
    ]
    outlook = client_a.get(f"{API}/rt/{district}").json()
    assert [e["window_end"] for e in outlook["estimates"]][-2:] == d[1:]
    assert len(outlook["estimates"]) == 23 and len(outlook["projection"]) == 14
    indicators = client_a.get(f"{API}/indicators").json()
    assert [i["code"] for i in indicators][:3] == [
        "antipyretic-sales",
        "confirmed-cases",
        "fever-clinic-visits",
    ]


def test_the_command_loads_a_file_and_names_bad_lines(city, tmp_path):
    series.indicators_sync()
    path = tmp_path / "obs.csv"
    a = city.community_a.code
    path.write_text(f"indicator,area,period,value\nconfirmed-cases,{a},2026-11-20,2\n")
    out = io.StringIO()
    call_command("earlywarning", "observations", str(path), stdout=out)
    assert out.getvalue() == f"{path}: 1 new, 0 revised, 0 unchanged\n"
    path.write_text(f"indicator,area,period,value\nconfirmed-cases,{a},2026-11-31,2\n")
    with pytest.raises(CommandError) as refused:
        call_command("earlywarning", "observations", str(path))
    assert str(refused.value) == (
        f"nothing stored\n{path} line 2, period: '2026-11-31' is not a valid period; "
        "expected a date YYYY-MM-DD"
    )
