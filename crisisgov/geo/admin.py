"""Back-office view of the area tree, scoped like the API: staff see their subtree only.

Edits go through `services.area_update`, so the admin checks outlines and writes the audit
trail exactly as the API does. New areas come through the import, which checks a whole
subtree at once; areas are never deleted here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from crisisgov.geo import services
from crisisgov.geo.models import Area
from crisisgov.geo.permissions import GeoPermission
from crisisgov.kernel.admin_scoping import ScopedModelAdmin
from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.http import actor_of

EDITABLE = ["name_zh", "name_en", "population", "geometry"]


class AreaAdminForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = EDITABLE

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        # The instance still holds the saved values here: the same checks the service makes,
        # shown next to the field instead of failing on save.
        try:
            services.area_update_changes(
                area=self.instance, **{name: cleaned.get(name) for name in EDITABLE}
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in EDITABLE else None, exc.message)
        return cleaned


@admin.register(Area)
class AreaAdmin(ScopedModelAdmin):
    view_permission = GeoPermission.VIEW_AREA
    change_permission = GeoPermission.EDIT_AREA
    form = AreaAdminForm
    list_display = ["code", "name_zh", "name_en", "level", "population"]
    list_filter = ["level"]
    search_fields = ["^code", "name_zh", "name_en"]
    fields = [
        "code",
        "level",
        "parent",
        "path",
        *EDITABLE,
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
    ]
    readonly_fields = [
        "code",
        "level",
        "parent",
        "path",
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
    ]
    list_per_page = 100
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        services.area_update(
            actor=actor_of(request),
            area_id=obj.pk,
            **{name: form.cleaned_data.get(name) for name in EDITABLE},
        )
