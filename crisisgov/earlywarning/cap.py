"""Publishing confirmed alerts as OASIS CAP 1.2 messages, and the Atom feed of them.

A message has one <info> in zh-CN and one in en-US, and an <area> with the area's outline as
<polygon>s and its code as <geocode>s. An Update or a Cancel references every earlier message
of the alert. Every message is checked against the official schema (schemas/cap-1.2.xsd) and
CAP's rules the schema cannot express before it is stored; the stored XML is what is served.

GeoJSON writes points as (lon, lat); CAP as "lat,lon". `cap_polygon` is the one place where
one becomes the other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from lxml import etree

from crisisgov.earlywarning.alerts import alert_for_triage
from crisisgov.earlywarning.models import Alert, AlertSource, AlertStatus, CapMessage
from crisisgov.earlywarning.permissions import EarlyWarningPermission
from crisisgov.geo.facade import Level, area_geometry, area_info
from crisisgov.kernel.actor import Actor
from crisisgov.kernel.audit import audit_record
from crisisgov.kernel.errors import Conflict, DomainError

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "cap-1.2.xsd"
MSG_TYPES = ("Alert", "Update", "Cancel")
# GB/T 2260 codes are the first six digits of the statistical code, down to district level.
GB_T_2260 = "GB/T 2260"
STATISTICAL_CODE = "GB/T 10114"  # the 12-digit statistical division code (统计用区划代码)
FEED_SIZE = 100


def cap_sender() -> str:
    """Who sends: the platform's CAP sender id (no spaces, commas, '<' or '&')."""
    return getattr(settings, "CAP_SENDER", "cap@crisisgov.local")


@cache
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def cap_time(at: dt.datetime) -> str:
    """CAP's date-time: whole seconds with the zone's offset (never 'Z'); in the city's zone."""
    return timezone.localtime(at).replace(microsecond=0).isoformat()


def cap_polygon(ring: list) -> str:
    """A GeoJSON ring of [lon, lat] points as CAP's "lat,lon lat,lon ..." (closed: the first
    point is repeated last). The one conversion between the two orders."""
    points = [(float(point[1]), float(point[0])) for point in ring]
    if points and points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in points)


def cap_polygons(geometry: dict | None) -> list[str]:
    """The outer ring of every part of a (Multi)Polygon; a ring of fewer than 4 points (after
    closing) is no area and is left out."""
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        parts = [geometry["coordinates"]]
    elif geometry.get("type") == "MultiPolygon":
        parts = geometry["coordinates"]
    else:
        return []
    polygons = [cap_polygon(part[0]) for part in parts if part]
    return [p for p in polygons if len(p.split()) >= 4]


@dataclass(frozen=True)
class CapArea:
    desc_zh: str
    desc_en: str
    polygons: list[str]
    geocodes: list[tuple[str, str]]  # (valueName, value)


@dataclass(frozen=True)
class CapText:
    language: str  # zh-CN | en-US
    event: str
    headline: str
    description: str
    area_desc: str


@dataclass(frozen=True)
class CapGrading:
    category: str
    urgency: str
    severity: str
    certainty: str


def cap_area(area_id: int) -> CapArea:
    """The alert's area for CAP: its outline and its codes. An area with neither is refused."""
    area = area_info(area_id)
    polygons = cap_polygons(area_geometry(area_id)) if area else []
    geocodes: list[tuple[str, str]] = []
    if area and area.code:
        if area.level <= Level.DISTRICT:
            geocodes.append((GB_T_2260, area.code[:6]))
        geocodes.append((STATISTICAL_CODE, area.code))
    if not polygons and not geocodes:
        raise DomainError(
            "the alert's area has neither an outline nor a code: a CAP message needs an area",
            field="area",
        )
    assert area is not None
    return CapArea(area.name_zh, area.name_en, polygons, geocodes)


def cap_grading(alert: Alert) -> CapGrading:
    """CAP's category, urgency, severity and certainty for an alert."""
    if alert.source == AlertSource.RISK:
        urgency, severity = {
            "high": ("Immediate", "Severe"),
            "medium": ("Expected", "Moderate"),
        }.get(alert.kind, ("Future", "Minor"))
        return CapGrading("Health", urgency, severity, "Likely")
    if alert.source == AlertSource.SENSOR:
        if alert.kind == "silent":  # the sensor stopped reporting: nothing was observed
            return CapGrading("Env", "Unknown", "Unknown", "Unknown")
        return CapGrading("Env", "Immediate", "Moderate", "Observed")
    if alert.source == AlertSource.OPINION:  # an official answer to a dangerous rumor
        return CapGrading("Safety", "Immediate", "Moderate", "Observed")
    return CapGrading("Health", "Expected", "Moderate", "Possible")


EVENTS = {
    AlertSource.RISK: ("疫情风险等级调整", "Epidemic risk level change"),
    AlertSource.DETECTOR: ("传染病暴发预警信号", "Outbreak warning signal"),
    AlertSource.SENSOR: ("环境监测报警", "Environmental sensor alarm"),
    AlertSource.OPINION: ("谣言澄清", "Rumor clarification"),
}


def cap_texts(alert: Alert, area: CapArea, msg_type: str, note: str) -> list[CapText]:
    event_zh, event_en = EVENTS.get(alert.source, ("预警", "Warning"))
    prefixes = {"Update": ("更新：", "Update: "), "Cancel": ("撤销：", "Cancelled: ")}
    prefix_zh, prefix_en = prefixes.get(msg_type, ("", ""))
    said_zh = f"{alert.title_zh}。地区：{area.desc_zh}。" + (f"说明：{note}" if note else "")
    said_en = f"{alert.title_en}. Area: {area.desc_en}." + (f" Note: {note}" if note else "")
    if alert.detail.get("description_zh"):  # an alert that carries its own text (a clarification)
        said_zh = f"{alert.detail['description_zh']} 地区：{area.desc_zh}。"
        said_en = f"{alert.detail.get('description_en', '')} Area: {area.desc_en}."
    return [
        CapText("zh-CN", event_zh, (prefix_zh + alert.title_zh)[:160], said_zh, area.desc_zh),
        CapText("en-US", event_en, (prefix_en + alert.title_en)[:160], said_en, area.desc_en),
    ]


def cap_document(
    *,
    identifier: str,
    sender: str,
    sent: dt.datetime,
    exercise: bool,
    msg_type: str,
    references: list[str],
    note: str,
    grading: CapGrading,
    texts: list[CapText],
    area: CapArea,
    web: str,
) -> bytes:
    """The CAP 1.2 XML of one message (elements in the schema's fixed order)."""

    def add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            element.text = text
        return element

    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    add(root, "identifier", identifier)
    add(root, "sender", sender)
    add(root, "sent", cap_time(sent))
    add(root, "status", "Exercise" if exercise else "Actual")
    add(root, "msgType", msg_type)
    add(root, "scope", "Public")
    if note:
        add(root, "note", note)
    if references:
        add(root, "references", " ".join(references))
    for text in texts:
        info = add(root, "info")
        add(info, "language", text.language)
        add(info, "category", grading.category)
        add(info, "event", text.event)
        add(info, "urgency", grading.urgency)
        add(info, "severity", grading.severity)
        add(info, "certainty", grading.certainty)
        add(info, "senderName", "CrisisGov")
        add(info, "headline", text.headline)
        add(info, "description", text.description)
        add(info, "web", web)
        block = add(info, "area")
        add(block, "areaDesc", text.area_desc)
        for polygon in area.polygons:
            add(block, "polygon", polygon)
        for value_name, value in area.geocodes:
            geocode = add(block, "geocode")
            add(geocode, "valueName", value_name)
            add(geocode, "value", value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def cap_problems(xml: bytes) -> list[str]:
    """Why a message is not valid CAP 1.2: the schema's errors, then the rules of the
    standard that the schema cannot express. Empty when it is valid."""
    document = etree.fromstring(xml)
    schema = cap_schema()
    if not schema.validate(document):
        return [f"line {e.line}: {e.message}" for e in schema.error_log]
    problems = []
    ns = {"cap": CAP_NS}
    for tag in ("identifier", "sender"):
        value = document.findtext(f"cap:{tag}", namespaces=ns) or ""
        if any(c in value for c in " ,<&"):
            problems.append(f"{tag} holds a space, comma, '<' or '&'")
    if document.findtext("cap:msgType", namespaces=ns) in ("Update", "Cancel") and not (
        document.findtext("cap:references", namespaces=ns)
    ):
        problems.append("an Update or Cancel must reference the earlier messages")
    for polygon in document.iterfind(".//cap:polygon", namespaces=ns):
        points = (polygon.text or "").split()
        if len(points) < 4 or points[0] != points[-1]:
            problems.append("a polygon needs at least 4 points and must be closed")
    return problems


def cap_reference(message: CapMessage) -> str:
    """An earlier message as CAP's <references> names it: sender,identifier,sent."""
    return f"{cap_sender()},{message.identifier},{cap_time(message.sent)}"


def cap_publish(
    *, actor: Actor, alert_id: int, msg_type: str, web: str, note: str = ""
) -> CapMessage:
    """Publish a confirmed alert as CAP: an Alert first, then Updates, and finally a Cancel,
    each referencing every earlier message of the alert. Needs the triage permission."""
    if msg_type not in MSG_TYPES:
        raise DomainError(f"msg_type must be one of {', '.join(MSG_TYPES)}", field="msg_type")
    with transaction.atomic():
        alert = alert_for_triage(actor=actor, alert_id=alert_id, lock=True)
        if alert.status != AlertStatus.CONFIRMED:
            raise Conflict("only a confirmed alert is published", field="alert_id")
        earlier = list(CapMessage.objects.filter(alert=alert).order_by("sent", "id"))
        if msg_type == "Alert" and earlier:
            raise Conflict("the alert is already published: send an Update", field="msg_type")
        if msg_type != "Alert" and not earlier:
            raise Conflict("publish the alert before updating or cancelling it", field="msg_type")
        if earlier and earlier[-1].msg_type == "Cancel":
            raise Conflict("the alert was cancelled", field="msg_type")
        area = cap_area(alert.area_id)
        sent = timezone.now().replace(microsecond=0)
        if earlier and sent <= earlier[-1].sent:  # keep messages in order to the second
            sent = earlier[-1].sent + dt.timedelta(seconds=1)
        identifier = f"crisisgov-{alert.pk}-{len(earlier) + 1}-{uuid.uuid4().hex[:12]}"
        references = [cap_reference(m) for m in earlier]
        xml = cap_document(
            identifier=identifier,
            sender=cap_sender(),
            sent=sent,
            exercise=bool(alert.detail.get("drill")),
            msg_type=msg_type,
            references=references,
            note=note.strip(),
            grading=cap_grading(alert),
            texts=cap_texts(alert, area, msg_type, note.strip()),
            area=area,
            web=web,
        )
        problems = cap_problems(xml)
        if problems:  # a bug, never the caller's: refuse rather than send invalid CAP
            raise DomainError("the CAP message is not valid: " + "; ".join(problems))
        message = CapMessage.objects.create(
            alert=alert,
            identifier=identifier,
            msg_type=msg_type,
            references=" ".join(references),
            sent=sent,
            xml=xml.decode(),
            area_path=alert.area_path,
            published_by_id=actor.user_id,
        )
        audit_record(
            actor=actor,
            action="earlywarning.cap_published",
            permission=EarlyWarningPermission.TRIAGE_ALERTS,
            target_type="earlywarning.capmessage",
            target_id=message.pk,
            area_path=alert.area_path,
            detail={
                "alert_id": alert.pk,
                "identifier": identifier,
                "msg_type": msg_type,
                "references": references,
            },
        )
    return message


def cap_message(identifier: str) -> CapMessage | None:
    """A published message: public by definition."""
    return CapMessage.objects.filter(identifier=identifier).first()


def cap_feed(*, feed_url: str, xml_url: Callable[[str], str]) -> bytes:
    """The Atom feed of the latest published messages; each entry links its CAP XML
    (`xml_url(identifier)` gives the absolute address)."""
    messages = list(CapMessage.objects.select_related("alert").order_by("-sent", "-id")[:FEED_SIZE])
    feed = Atom1Feed(
        title="CrisisGov CAP alerts",
        link=feed_url,
        description="OASIS CAP 1.2 messages published by CrisisGov",
        feed_url=feed_url,
        language="zh-CN",
        feed_guid=feed_url,
    )
    for message in messages:
        link = xml_url(message.identifier)
        feed.add_item(
            title=f"{message.msg_type}: {message.alert.title_en} / {message.alert.title_zh}",
            link=link,
            description=message.alert.title_en,
            unique_id=link,
            pubdate=message.sent,
            updateddate=message.sent,
            categories=[message.msg_type],
        )
    return feed.writeString("utf-8").encode()
