"""The sensor status board: every sensor of the user's areas with its last value, thresholds,
state and when it was last heard. htmx asks for the table again every few seconds."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crisisgov.earlywarning.sensors import sensor_list, sensor_state
from crisisgov.kernel.http import actor_of

REFRESH_SECONDS = 5


@require_GET
@login_required
def board(request: HttpRequest) -> HttpResponse:
    rows = [
        {"sensor": s, "state": str(sensor_state(s))} for s in sensor_list(actor=actor_of(request))
    ]
    context = {"rows": rows, "refresh_seconds": REFRESH_SECONDS}
    if request.headers.get("HX-Request") == "true":
        return render(request, "earlywarning/_sensor_table.html", context)
    return render(request, "earlywarning/sensors.html", context)
