from crisisgov.kernel.permissions import Permission


class DirectoryPermission(Permission):
    VIEW_ORGANISATION = "directory.view_organisation"
    EDIT_ORGANISATION = "directory.edit_organisation"
    VIEW_PERSON = "directory.view_person"  # the list, with masked personal fields
    VIEW_PERSON_PII = "directory.view_person_pii"  # the whole record; every read is audited
    EDIT_PERSON = "directory.edit_person"
    VIEW_OWN_RECORD = "directory.view_own_record"  # a citizen: their own record and its readers
    MANAGE_ACCOUNTS = "directory.manage_accounts"
