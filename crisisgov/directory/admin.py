"""Back-office views of the directory, scoped to the staff member's jurisdiction.

Residents are shown masked and read-only here: a full read goes through the audited API.
"""

from __future__ import annotations

from django.contrib import admin

from crisisgov.directory.models import Organisation, Person, RoleAssignment
from crisisgov.directory.permissions import DirectoryPermission
from crisisgov.kernel.admin_scoping import ScopedModelAdmin


@admin.register(Person)
class PersonAdmin(ScopedModelAdmin):
    view_permission = DirectoryPermission.VIEW_PERSON
    list_display = ["id", "masked_name", "masked_national_id", "masked_phone", "area_path", "sex"]
    fields = [
        "masked_name",
        "masked_national_id",
        "masked_phone",
        "birth_year",
        "sex",
        "area_path",
        "household",
    ]
    readonly_fields = fields
    list_per_page = 50
    show_full_result_count = False  # a count over a million rows on every page is wasted work

    @admin.display(description="birth year")
    def birth_year(self, person: Person) -> int:
        # The year only: a full birth date next to a masked ID number gives most of it back.
        return person.date_of_birth.year

    @admin.display(description="name")
    def masked_name(self, person: Person) -> str:
        return Person._meta.get_field("name").masked(person.name)  # type: ignore[union-attr]

    @admin.display(description="national ID")
    def masked_national_id(self, person: Person) -> str:
        return Person._meta.get_field("national_id").masked(person.national_id)  # type: ignore[union-attr]

    @admin.display(description="phone")
    def masked_phone(self, person: Person) -> str:
        return Person._meta.get_field("phone").masked(person.phone)  # type: ignore[union-attr]


@admin.register(Organisation)
class OrganisationAdmin(ScopedModelAdmin):
    # Read-only here: changes go through services, which validate, audit and publish them.
    view_permission = DirectoryPermission.VIEW_ORGANISATION
    list_display = ["name_zh", "name_en", "kind", "department_type", "area_path", "active"]
    list_filter = ["kind", "department_type", "active"]
    search_fields = ["name_zh", "name_en"]
    fields = ["name_zh", "name_en", "address", "public_phone", "active"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedModelAdmin):
    view_permission = DirectoryPermission.MANAGE_ACCOUNTS
    list_display = ["user", "role", "area_path", "organisation", "expires_at"]
    list_filter = ["role"]
