from crisisgov.kernel.permissions import Permission


class GeoPermission(Permission):
    VIEW_AREA = "geo.view_area"
    EDIT_AREA = "geo.edit_area"
