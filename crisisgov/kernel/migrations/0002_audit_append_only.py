"""The audit log is append-only: the database itself refuses UPDATE and DELETE.

TRUNCATE stays possible for the database owner (test harnesses empty tables with it); wiping the
whole log is caught by `audit verify` against the chain head and by the witnessed daily roots.
"""

from django.db import migrations

SQLITE = [
    "CREATE TRIGGER kernel_audit_no_update BEFORE UPDATE ON kernel_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER kernel_audit_no_delete BEFORE DELETE ON kernel_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
POSTGRES = [
    "CREATE OR REPLACE FUNCTION kernel_audit_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER kernel_audit_no_change BEFORE UPDATE OR DELETE "
    "ON kernel_auditentry FOR EACH STATEMENT EXECUTE FUNCTION kernel_audit_append_only()",
]
DROP = {
    "sqlite": ["DROP TRIGGER kernel_audit_no_update", "DROP TRIGGER kernel_audit_no_delete"],
    "postgresql": [
        "DROP TRIGGER kernel_audit_no_change ON kernel_auditentry",
        "DROP FUNCTION kernel_audit_append_only()",
    ],
}


def create(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("kernel", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
