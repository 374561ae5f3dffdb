from crisisgov.kernel.permissions import Permission


class ExchangePermission(Permission):
    VIEW_DATASET = "exchange.view_dataset"  # the catalogue entry and the owner's records
    MANAGE_DATASET = "exchange.manage_dataset"  # create datasets, import, publish schemas
