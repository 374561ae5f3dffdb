from django.urls import path, re_path, register_converter

from crisisgov.earlywarning import alert_views, risk_views
from crisisgov.kernel.http import IdConverter

register_converter(IdConverter, "wid")

app_name = "earlywarning"

urlpatterns: list = []

# Risk levels and alerts (risk_views.py, alert_views.py); the CAP outputs are public.
urlpatterns += [
    path("risk/", risk_views.risk_map, name="risk"),
    path("risk/map.json", risk_views.risk_map_json, name="risk-map"),
    path("risk/proposals/<wid:proposal_id>/", risk_views.proposal_decide, name="proposal-decide"),
    path("alerts/", alert_views.inbox, name="alerts"),
    path("alerts/<wid:alert_id>/", alert_views.alert_action, name="alert-action"),
    path("cap/feed.atom", alert_views.cap_feed, name="cap-feed"),
    re_path(
        r"^cap/(?P<identifier>[A-Za-z0-9._-]{1,200})\.xml$", alert_views.cap_xml, name="cap-xml"
    ),
]

# The sensor status board (sensor_views.py).
from crisisgov.earlywarning import sensor_views  # noqa: E402

urlpatterns += [path("sensors/", sensor_views.board, name="sensors")]

# Signals: the districts' counts, alarms and Rt; an area's epidemic curve (series_views.py).
from crisisgov.earlywarning import series_views  # noqa: E402

urlpatterns += [
    path("", series_views.signals_home, name="signals"),
    path("areas/<wid:area_id>/", series_views.area_curve, name="area"),
]
