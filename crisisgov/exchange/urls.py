from django.urls import path, register_converter

from crisisgov.exchange import correction_views, form_views, opendata_views, views
from crisisgov.kernel.http import IdConverter

register_converter(IdConverter, "xid")

app_name = "exchange"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("catalog.jsonld", views.catalog_jsonld, name="catalog-jsonld"),
    path("datasets/<xid:dataset_id>/", views.dataset_detail, name="dataset"),
    path("datasets/<xid:dataset_id>/request/", views.dataset_request, name="request"),
    path("forms/", form_views.form_list, name="forms"),
    path("datasets/<xid:dataset_id>/form/", form_views.entry_form, name="entry-form"),
    path("imports/<xid:job_id>/", views.import_detail, name="import"),
    path(
        "imports/<xid:job_id>/rows/<xid:row_id>/",
        correction_views.held_row,
        name="held-row",
    ),
    path("open/", opendata_views.open_list, name="open"),
    path("open/<xid:dataset_id>.csv", opendata_views.open_csv, name="open-csv"),
    path(
        "datasets/<xid:dataset_id>/publication/",
        opendata_views.publication,
        name="publication",
    ),
    path("agreements/", views.agreement_list, name="agreements"),
    path(
        "agreements/<xid:agreement_id>/decision/",
        views.agreement_decision,
        name="agreement-decision",
    ),
    path("person-index/", views.review_queue, name="review"),
    path("person-index/review/<xid:item_id>/", views.review_decision, name="review-decision"),
    path("person-index/merges/<xid:merge_id>/undo/", views.review_undo, name="review-undo"),
]
