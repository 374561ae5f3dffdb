from django.contrib import admin
from django.urls import include, path

from crisisgov.config.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("exchange/", include("crisisgov.exchange.urls")),
    path("earlywarning/", include("crisisgov.earlywarning.urls")),
    path("citizen/queries/", include("crisisgov.citizen.queries.urls")),
    path("citizen/reservations/", include("crisisgov.citizen.reservations.urls")),
    path("citizen/approvals/", include("crisisgov.citizen.approvals.urls")),
    path("citizen/bulletins/", include("crisisgov.citizen.bulletins.urls")),
    path("opinion/tickets/", include("crisisgov.opinion.tickets.urls")),
    path("citizen/", include("crisisgov.citizen.urls")),
    path("opinion/rumors/", include("crisisgov.opinion.rumors.urls")),
    path("opinion/", include("crisisgov.opinion.urls")),
    path("", include("crisisgov.dashboard.urls")),
]
