"""Whom an account may act for: its own resident, and every resident it has an active,
grid-worker-confirmed delegation for (a family member acting for an elderly person).

Reservations, approvals and the surge edge call `acting_for` / `may_act_for`; nothing else
decides who may act for whom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Imported lazily below: directory's roles import the citizen facade, which imports this.


@dataclass(frozen=True)
class ActingFor:
    """One resident an account may act for. `id_index` is the blind index of the resident's
    ID number (quotas key on it); `label` is a masked name, for display only."""

    person_id: int
    id_index: str
    label: str
    own: bool


def _user_id(user: Any) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def acting_for(user: Any) -> list[ActingFor]:
    """The account's own resident first, then the residents it acts for, in delegation order."""
    from crisisgov.citizen.models import Delegation, DelegationState
    from crisisgov.directory.facade import resident_of_account, resident_refs

    user_id = _user_id(user)
    if user_id is None:
        return []
    people: list[ActingFor] = []
    own = resident_of_account(user_id)
    if own is not None:
        people.append(ActingFor(own.id, own.id_index, own.masked_name, True))
    delegated = list(
        Delegation.objects.filter(carer_id=user_id, state=DelegationState.ACTIVE)
        .order_by("confirmed_at", "id")
        .values_list("person_id", flat=True)
    )
    refs = resident_refs(delegated)
    for person_id in delegated:
        ref = refs.get(person_id)
        if ref is not None and (own is None or ref.id != own.id):
            people.append(ActingFor(ref.id, ref.id_index, ref.masked_name, False))
    return people


def may_act_for(user: Any, person_id: int) -> bool:
    """Whether the account is the resident's own or holds an active delegation for them."""
    from crisisgov.citizen.models import Delegation, DelegationState
    from crisisgov.directory.facade import resident_of_account

    user_id = _user_id(user)
    if user_id is None:
        return False
    own = resident_of_account(user_id)
    if own is not None and own.id == person_id:
        return True
    return Delegation.objects.filter(
        carer_id=user_id, person_id=person_id, state=DelegationState.ACTIVE
    ).exists()
