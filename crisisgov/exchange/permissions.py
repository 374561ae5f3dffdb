from crisisgov.kernel.permissions import Permission


class ExchangePermission(Permission):
    VIEW_DATASET = "exchange.view_dataset"  # the catalogue entry and the owner's records
    MANAGE_DATASET = "exchange.manage_dataset"  # create datasets, import, publish schemas
    REQUEST_ACCESS = "exchange.request_access"  # ask another department for a sharing agreement
    READ_SHARED = "exchange.read_shared"  # read what an approved agreement releases
    REVIEW_LINKS = "exchange.review_links"  # run the person index, merge or separate its pairs
    SUBMIT_RECORDS = "exchange.submit_records"  # enter records through an entry form, own area only
