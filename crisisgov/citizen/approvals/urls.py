from django.urls import path, register_converter

from crisisgov.citizen.approvals import views
from crisisgov.kernel.http import IdConverter

register_converter(IdConverter, "aid")

app_name = "citizen_approvals"

urlpatterns = [
    path("", views.home, name="home"),
    path("apply/<aid:service_id>/", views.apply, name="apply"),
    path("applications/<aid:application_id>/", views.progress, name="progress"),
    path("applications/<aid:application_id>/certificate/", views.certificate, name="certificate"),
    path(
        "applications/<aid:application_id>/attachments/<aid:attachment_id>",
        views.attachment,
        name="attachment",
    ),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<aid:application_id>/", views.review, name="review"),
    path("services/", views.service_editor, name="services"),
    path("services/<aid:service_id>/", views.service_editor, name="service-edit"),
    path("verify/<str:signed>", views.verify, name="verify"),
    path("statistics/", views.statistics, name="statistics"),
]
