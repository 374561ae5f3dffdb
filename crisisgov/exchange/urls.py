from django.urls import path, register_converter

from crisisgov.exchange import views


class IdConverter:
    """A database id of at most 18 digits: a longer number is no page (404), never an
    overflow in the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "xid")

app_name = "exchange"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("catalog.jsonld", views.catalog_jsonld, name="catalog-jsonld"),
    path("datasets/<xid:dataset_id>/", views.dataset_detail, name="dataset"),
    path("datasets/<xid:dataset_id>/request/", views.dataset_request, name="request"),
    path("imports/<xid:job_id>/", views.import_detail, name="import"),
    path("agreements/", views.agreement_list, name="agreements"),
    path(
        "agreements/<xid:agreement_id>/decision/",
        views.agreement_decision,
        name="agreement-decision",
    ),
]
