from django.urls import path

from crisisgov.citizen import views

app_name = "citizen"

urlpatterns = [
    path("keys.json", views.keys_json, name="token-keys"),
    path("verify", views.verify, name="token-verify"),
    path("published/<slug:name>.json", views.published, name="published"),
]
