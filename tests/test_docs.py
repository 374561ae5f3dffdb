"""Docs are kept honest: every setting, permission, role and audit event type is documented."""

import re
from pathlib import Path

from crisisgov.directory.roles import ROLE_PERMISSIONS
from crisisgov.kernel.permissions import Permission

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(p.read_text() for p in (ROOT / "docs").rglob("*.md"))


def _all_permissions() -> set[str]:
    values: set[str] = set()
    pending = list(Permission.__subclasses__())
    while pending:
        enum = pending.pop()
        values |= {member.value for member in enum}
        pending += enum.__subclasses__()
    return values


def test_every_environment_variable_is_documented():
    source = (ROOT / "crisisgov/config/env.py").read_text()
    names = set(re.findall(r'environ\.get\("([A-Z_]+)"', source))
    assert names, "env.py reads no variable?"
    missing = {n for n in names if f"`{n}`" not in DOCS}
    assert missing == set()


def test_every_permission_and_role_is_documented():
    import crisisgov.directory.permissions  # noqa: F401  (registers the enums)
    import crisisgov.geo.permissions  # noqa: F401

    missing = {p for p in _all_permissions() if f"`{p}`" not in DOCS}
    assert missing == set()
    permissions_doc = (ROOT / "docs/permissions.md").read_text()
    for role, permissions in ROLE_PERMISSIONS.items():
        row = next(line for line in permissions_doc.splitlines() if line.startswith(f"| {role} |"))
        assert set(row.split("|")[2].strip().split(", ")) == set(permissions), role


def test_every_audit_event_type_is_documented():
    actions = set()
    for path in (ROOT / "crisisgov").rglob("*.py"):
        if "/tests/" in str(path):
            continue
        actions |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    assert len(actions) >= 8
    missing = {a for a in actions if f"`{a}`" not in DOCS}
    assert missing == set()
