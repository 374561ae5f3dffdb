"""`crisisgov account`: accounts for people and department systems, from the shell."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crisisgov.directory.roles import Role
from crisisgov.directory.services import role_assign
from crisisgov.directory.tokens import api_token_create
from crisisgov.geo.facade import area_id_for_code
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError


class Command(BaseCommand):
    help = "Create accounts with a role at an area, and API tokens for service accounts."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="an account with one role at an area")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=[r.value for r in Role])
        create.add_argument("--area", required=True, help="area code, e.g. 990101000000")
        create.add_argument("--organisation", type=int, help="organisation id")
        create.add_argument("--staff", action="store_true", help="may use the admin pages")
        token = sub.add_parser("token", help="issue an API token (shown once)")
        token.add_argument("username")
        token.add_argument("name", help="what system uses it, e.g. 'district lab system'")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "create":
                self._create(**options)
            else:
                self._token(options["username"], options["name"])
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}") from exc

    def _create(
        self,
        *,
        username: str,
        role: str,
        area: str,
        organisation: int | None,
        staff: bool,
        **_: Any,
    ) -> None:
        area_id = area_id_for_code(area)
        if area_id is None:
            raise CommandError(f"area: no area with code {area}")
        users = get_user_model().objects
        if users.filter(username=username).exists():
            raise CommandError(f"username: {username} is taken")
        password = secrets.token_urlsafe(12)
        with transaction.atomic():  # no account without its role
            user = users.create_user(username=username, password=password, is_staff=staff)
            role_assign(
                actor=SYSTEM,
                user_id=user.pk,
                role=role,
                area_id=area_id,
                organisation_id=organisation,
            )
        self.stdout.write(f"{username} ({role} at {area}) password: {password}")

    def _token(self, username: str, name: str) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"username: no active account {username}")
        _, secret = api_token_create(actor=SYSTEM, user=user, name=name)
        self.stdout.write(f"API token for {username} ({name}), shown only now:\n{secret}")
