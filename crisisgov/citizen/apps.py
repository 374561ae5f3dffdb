from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CitizenConfig(AppConfig):
    name = "crisisgov.citizen"
    label = "citizen"
    verbose_name = "Citizen services"

    def ready(self) -> None:
        if getattr(settings, "PRODUCTION", False):
            # A malformed health-token key should stop the deployment, not the first scan.
            from crisisgov.citizen import token_keys, tokens

            try:
                token_keys.signing_keys()
            except tokens.TokenKeyError as exc:
                raise ImproperlyConfigured(f"Refusing to start in production mode: {exc}") from None
