from django.urls import path

from crisisgov.citizen import edge_views, views

app_name = "citizen"

urlpatterns = [
    path("keys.json", views.keys_json, name="token-keys"),
    path("verify", views.verify, name="token-verify"),
    path("published/<slug:name>.json", views.published, name="published"),
    path("edge-pass", edge_views.edge_pass_refresh, name="edge-pass"),
    # Health status: the citizen's pages, the published rules and counts, the staff inboxes.
    path("", views.home, name="home"),
    path("status/", views.status_page, name="status"),
    path("status/appeal", views.appeal_submit, name="appeal"),
    path("status/rules/", views.status_rules_page, name="status-rules"),
    path("overrides/", views.override_counts_page, name="override-counts"),
    path("delegations/", views.delegations_page, name="delegations"),
    path("staff/delegations/", views.delegation_inbox, name="delegation-inbox"),
    path("staff/overrides/", views.override_inbox, name="override-inbox"),
    path("staff/appeals/", views.appeal_inbox, name="appeal-inbox"),
]
