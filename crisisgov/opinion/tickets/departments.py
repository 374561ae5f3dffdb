"""The one mapping between the dataset's department codes (dataset/departments.json) and the
directory's department types (directory.Organisation.department_type).

The dispatch catalogue reads it to find (or create) a department desk's organisation; the
alarm inbox reads it backwards to know which department an officer's organisation is. No
Django import: the core's selectors may import it without pulling in the tickets sub-app.
"""

from __future__ import annotations

# Codes without a type of their own in the directory would use the code itself; today every
# code has its type (housing, water, power, education and environment are spelt the same).
DEPARTMENT_TYPES: dict[str, str] = {
    "health": "health_commission",
    "police": "public_security",
    "transport": "transport",
    "market": "market_regulation",
    "civil_affairs": "civil_affairs",
    "emergency": "emergency_management",
    "propaganda": "publicity",
    "housing": "housing",
    "water": "water",
    "power": "power",
    "education": "education",
    "environment": "environment",
}
DEPARTMENT_OF_TYPE: dict[str, str] = {kind: code for code, kind in DEPARTMENT_TYPES.items()}
# The command centre is no department: it sees every department's alarms and escalations.
COMMAND_CENTRE_TYPE = "command_centre"


def department_type(code: str) -> str:
    """The directory's department type for a dataset department code."""
    return DEPARTMENT_TYPES.get(code, code)


def department_of_type(kind: str) -> str | None:
    """The dataset department code of a directory department type; None when it has none
    (the command centre, an organisation that is not a department, a type added later)."""
    return DEPARTMENT_OF_TYPE.get(kind or "")
