"""The alert inbox (scoping, triage, escalation) and CAP 1.2: every message valid against the
OASIS schema, Updates and Cancels referencing the earlier messages, coordinates in CAP's
order, no message without an area, and the Atom feed."""

from pathlib import Path

import pytest
from django.test import Client
from lxml import etree

from crisisgov.earlywarning import alerts, cap
from crisisgov.earlywarning.alerting import alert_raise
from crisisgov.earlywarning.models import Alert, CapMessage
from crisisgov.kernel.errors import DomainError, NotFound, PermissionDenied
from crisisgov.kernel.models import AuditEntry

XSD = Path(__file__).resolve().parents[1] / "crisisgov/earlywarning/schemas/cap-1.2.xsd"
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2", "atom": "http://www.w3.org/2005/Atom"}
WEB = "https://crisisgov.example.org/earlywarning/cap/feed.atom"


def schema_valid(xml: str | bytes) -> etree._Element:
    """Validate independently of cap.py's own check: the vendored XSD, loaded afresh."""
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    schema.assertValid(document)
    return document


def raise_alert(area, key: str, source: str = "detector", **detail) -> Alert:
    alert, _ = alert_raise(
        source=source,
        kind="ears-c2" if source == "detector" else "high",
        area_id=area.id,
        area_path=area.path,
        title_zh=f"{area.name_zh}确诊病例超出预期",
        title_en=f"Confirmed cases above expected in {area.name_en}",
        dedup_key=key,
        detail={"indicator": "confirmed-cases"} | detail,
    )
    return alert


@pytest.fixture
def people(city, make_user, actor_of):
    return {
        "analyst_a": actor_of(make_user("analyst", city.district_a)),
        "analyst_b": actor_of(make_user("analyst", city.district_b)),
        "city_analyst": actor_of(make_user("analyst", city.city)),
    }


def test_the_inbox_holds_only_the_analysts_areas(city, people):
    a = raise_alert(city.community_a, "a")
    b = raise_alert(city.district_b, "b")
    assert [x.pk for x in alerts.alert_inbox(actor=people["analyst_a"])] == [a.pk]
    assert [x.pk for x in alerts.alert_inbox(actor=people["analyst_b"])] == [b.pk]
    assert {x.pk for x in alerts.alert_inbox(actor=people["city_analyst"])} == {a.pk, b.pk}
    with pytest.raises(NotFound):
        alerts.alert_confirm(actor=people["analyst_a"], alert_id=b.pk)
    b.refresh_from_db()
    assert b.status == "new"


def test_triage_confirms_dismisses_with_a_reason_and_is_audited(city, people):
    first, second = raise_alert(city.community_a, "1"), raise_alert(city.community_a, "2")
    analyst = people["analyst_a"]
    with pytest.raises(DomainError) as refused:
        alerts.alert_dismiss(actor=analyst, alert_id=second.pk, reason="")
    assert refused.value.field == "reason"
    alerts.alert_dismiss(actor=analyst, alert_id=second.pk, reason="duplicate upload")
    confirmed = alerts.alert_confirm(actor=analyst, alert_id=first.pk)
    assert (confirmed.status, confirmed.triaged_by_id) == ("confirmed", analyst.user_id)
    with pytest.raises(DomainError):  # decided already
        alerts.alert_dismiss(actor=analyst, alert_id=first.pk, reason="changed my mind")
    entries = AuditEntry.objects.filter(action__startswith="earlywarning.alert_").order_by("seq")
    assert [(e.action, e.detail["reason"]) for e in entries] == [
        ("earlywarning.alert_dismissed", "duplicate upload"),
        ("earlywarning.alert_confirmed", ""),
    ]
    assert alert_raise(  # a dismissed alert stays dismissed when raised again
        source="detector",
        kind="ears-c2",
        area_id=city.community_a.id,
        area_path=city.community_a.path,
        title_zh="x",
        title_en="x",
        dedup_key="2",
    )[0].status == ("dismissed")


def test_escalation_hands_the_decision_to_the_parent_area(city, people):
    alert = raise_alert(city.district_a, "esc")
    escalated = alerts.alert_escalate(
        actor=people["analyst_a"], alert_id=alert.pk, reason="beyond us"
    )
    assert (escalated.status, escalated.detail["escalated_to"]) == ("escalated", city.city.path)
    # The district still sees it but no longer decides it; the city's analysts do.
    assert [x.pk for x in alerts.alert_inbox(actor=people["analyst_a"])] == [alert.pk]
    with pytest.raises(PermissionDenied):
        alerts.alert_confirm(actor=people["analyst_a"], alert_id=alert.pk)
    assert [x.pk for x in alerts.alert_inbox(actor=people["city_analyst"], status="escalated")] == [
        alert.pk
    ]
    alerts.alert_confirm(actor=people["city_analyst"], alert_id=alert.pk, reason="seen")
    entry = AuditEntry.objects.get(action="earlywarning.alert_escalated")
    assert (entry.area_path, entry.detail["escalated_to"]) == (city.district_a.path, city.city.path)
    assert AuditEntry.objects.get(action="earlywarning.alert_confirmed").area_path == city.city.path


def test_an_alert_cap_update_and_cancel_are_valid_and_reference_the_earlier_ones(city, people):
    analyst = people["analyst_a"]
    alert = raise_alert(city.community_a, "cap")
    with pytest.raises(DomainError):  # only a confirmed alert is published
        cap.cap_publish(actor=analyst, alert_id=alert.pk, msg_type="Alert", web=WEB)
    alerts.alert_confirm(actor=analyst, alert_id=alert.pk)
    with pytest.raises(DomainError):  # nothing to update yet
        cap.cap_publish(actor=analyst, alert_id=alert.pk, msg_type="Update", web=WEB)
    first = cap.cap_publish(actor=analyst, alert_id=alert.pk, msg_type="Alert", web=WEB)
    update = cap.cap_publish(
        actor=analyst, alert_id=alert.pk, msg_type="Update", web=WEB, note="more cases"
    )
    cancel = cap.cap_publish(actor=analyst, alert_id=alert.pk, msg_type="Cancel", web=WEB)
    with pytest.raises(DomainError):
        cap.cap_publish(actor=analyst, alert_id=alert.pk, msg_type="Update", web=WEB)

    documents = [schema_valid(m.xml) for m in (first, update, cancel)]
    sender = cap.cap_sender()
    refs = [f"{sender},{m.identifier},{cap.cap_time(m.sent)}" for m in (first, update)]
    assert [d.findtext("cap:msgType", namespaces=NS) for d in documents] == [
        "Alert",
        "Update",
        "Cancel",
    ]
    assert documents[0].find("cap:references", NS) is None
    assert documents[1].findtext("cap:references", namespaces=NS) == refs[0]
    assert documents[2].findtext("cap:references", namespaces=NS) == " ".join(refs)
    head = documents[0]
    assert head.findtext("cap:sent", namespaces=NS).endswith("+08:00")
    assert (
        head.findtext("cap:status", namespaces=NS),
        head.findtext("cap:scope", namespaces=NS),
    ) == (
        "Actual",
        "Public",
    )
    infos = head.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["zh-CN", "en-US"]
    assert [i.findtext("cap:category", namespaces=NS) for i in infos] == ["Health", "Health"]
    assert infos[1].findtext("cap:area/cap:areaDesc", namespaces=NS) == city.community_a.name_en
    geocodes = [
        (g.findtext("cap:valueName", namespaces=NS), g.findtext("cap:value", namespaces=NS))
        for g in infos[0].findall("cap:area/cap:geocode", NS)
    ]
    assert geocodes == [("GB/T 10114", city.community_a.code)]
    # The test city's community is the box lon 114.0-114.1, lat 30.0-30.1: CAP says lat first.
    polygon = infos[0].findtext("cap:area/cap:polygon", namespaces=NS).split()
    assert polygon[0] == polygon[-1] == "30.000000,114.000000"
    assert polygon[1] == "30.000000,114.100000" and len(polygon) == 5
    assert documents[2].findtext("cap:info/cap:headline", namespaces=NS).startswith("撤销：")
    assert AuditEntry.objects.filter(action="earlywarning.cap_published").count() == 3


def test_a_district_alert_carries_its_gb_t_2260_code_and_a_drill_is_an_exercise(city, people):
    alert = raise_alert(city.district_a, "drill", drill=True)
    alerts.alert_confirm(actor=people["analyst_a"], alert_id=alert.pk)
    message = cap.cap_publish(
        actor=people["analyst_a"], alert_id=alert.pk, msg_type="Alert", web=WEB
    )
    document = schema_valid(message.xml)
    assert document.findtext("cap:status", namespaces=NS) == "Exercise"
    values = document.findall("cap:info/cap:area/cap:geocode/cap:value", NS)
    assert [v.text for v in values[:2]] == [city.district_a.code[:6], city.district_a.code]


def test_risk_and_sensor_alerts_map_to_cap_grading(city, people):
    risk_alert = raise_alert(city.district_a, "risk", source="risk")
    sensor_alert = raise_alert(city.community_a, "sensor", source="sensor")
    assert cap.cap_grading(risk_alert) == cap.CapGrading("Health", "Immediate", "Severe", "Likely")
    assert cap.cap_grading(sensor_alert).category == "Env"
    for alert in (risk_alert, sensor_alert):
        alerts.alert_confirm(actor=people["analyst_a"], alert_id=alert.pk)
        message = cap.cap_publish(
            actor=people["analyst_a"], alert_id=alert.pk, msg_type="Alert", web=WEB
        )
        schema_valid(message.xml)


def test_coordinates_turn_from_geojson_lon_lat_to_cap_lat_lon_and_rings_close():
    ring = [[114.1, 30.5], [114.2, 30.5], [114.2, 30.6]]
    assert cap.cap_polygon(ring) == (
        "30.500000,114.100000 30.500000,114.200000 30.600000,114.200000 30.500000,114.100000"
    )
    multi = {"type": "MultiPolygon", "coordinates": [[ring], [[[1, 2], [3, 4]]]]}
    assert cap.cap_polygons(multi) == [cap.cap_polygon(ring)]  # a 2-point ring is no area


def test_an_area_without_outline_or_code_is_refused(city, people):
    from crisisgov.geo.models import Area

    alert = raise_alert(city.building_a, "nowhere")
    alerts.alert_confirm(actor=people["analyst_a"], alert_id=alert.pk)
    Area.objects.filter(pk=city.building_a.pk).update(geometry=None, code="")
    with pytest.raises(DomainError) as refused:
        cap.cap_publish(actor=people["analyst_a"], alert_id=alert.pk, msg_type="Alert", web=WEB)
    assert refused.value.field == "area"
    assert not CapMessage.objects.exists()
    # With its code back but still no outline, the geocode alone is an area.
    Area.objects.filter(pk=city.building_a.pk).update(code=city.building_a.code)
    message = cap.cap_publish(
        actor=people["analyst_a"], alert_id=alert.pk, msg_type="Alert", web=WEB
    )
    assert schema_valid(message.xml).find(".//cap:polygon", NS) is None


def test_invalid_cap_is_caught():
    bogus = (
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier>'
        b"<sender>s</sender><sent>2026-01-01T00:00:00Z</sent><status>BOGUS</status>"
        b"<msgType>Alert</msgType><scope>Public</scope></alert>"
    )
    assert cap.cap_problems(bogus)


def test_the_feed_and_the_xml_are_public_and_the_inbox_page_publishes(city, make_user):
    alert = raise_alert(city.community_a, "page")
    client = Client()
    client.force_login(make_user("analyst", city.district_a))
    inbox = client.get("/earlywarning/alerts/")
    assert f'data-alert-id="{alert.pk}"' in inbox.content.decode()
    url = f"/earlywarning/alerts/{alert.pk}/"
    assert client.post(url, {"action": "dismiss", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "confirm"}).status_code == 302
    assert client.post(url, {"action": "publish"}).status_code == 302
    assert client.post(url, {"action": "update", "reason": "more"}).status_code == 302
    messages = list(CapMessage.objects.order_by("sent"))
    assert [m.msg_type for m in messages] == ["Alert", "Update"]

    public = Client()
    feed = public.get("/earlywarning/cap/feed.atom")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    root = etree.fromstring(feed.content)
    links = [e.find("atom:link", NS).get("href") for e in root.findall("atom:entry", NS)]
    assert links == [
        f"http://testserver/earlywarning/cap/{m.identifier}.xml" for m in reversed(messages)
    ]
    served = public.get(f"/earlywarning/cap/{messages[0].identifier}.xml")
    assert served["Content-Type"].startswith("application/cap+xml")
    schema_valid(served.content)
    assert public.get("/earlywarning/cap/no-such.xml").status_code == 404
    client.force_login(make_user("analyst", city.district_b))
    assert client.post(url, {"action": "cancel"}).status_code == 404


def test_alerts_and_cap_through_the_api(city, make_user):
    alert = raise_alert(city.community_a, "api")
    client = Client()
    client.force_login(make_user("analyst", city.district_a))
    listed = client.get("/api/earlywarning/alerts?status=new").json()
    assert [a["id"] for a in listed] == [alert.pk]
    post = lambda url, body=None: client.post(  # noqa: E731
        url, body or {}, content_type="application/json"
    )
    assert post(f"/api/earlywarning/cap/alerts/{alert.pk}/publish").status_code == 409
    assert post(f"/api/earlywarning/alerts/{alert.pk}/confirm").json()["status"] == "confirmed"
    published = post(f"/api/earlywarning/cap/alerts/{alert.pk}/publish")
    assert published.status_code == 201
    identifier = published.json()["identifier"]
    assert published.json()["url"] == f"http://testserver/earlywarning/cap/{identifier}.xml"
    cancelled = post(f"/api/earlywarning/cap/alerts/{alert.pk}/cancel", {"note": "false alarm"})
    assert cancelled.json()["msg_type"] == "Cancel"
    assert identifier in cancelled.json()["references"]
    other = raise_alert(city.community_a, "api-2")
    assert post(f"/api/earlywarning/alerts/{other.pk}/dismiss").status_code == 400
    assert post(f"/api/earlywarning/alerts/{other.pk}/escalate").json()["status"] == "escalated"
