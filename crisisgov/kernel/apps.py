from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules


class KernelConfig(AppConfig):
    name = "crisisgov.kernel"
    label = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from crisisgov.kernel import pii, scoping

        scoping.register_lookups()
        # Every process must know every event subscriber: the publisher creates one delivery
        # per handler registered when it publishes.
        autodiscover_modules("handlers")
        if getattr(settings, "PRODUCTION", False):
            # A bad key should stop the deployment, not the first request that reads a
            # person's record hours later.
            try:
                pii.key_ring()
            except pii.PIIKeyError as exc:
                variable = exc.variable or pii.KEYS_VARIABLE
                raise ImproperlyConfigured(
                    f"Refusing to start in production mode: {variable}: {exc}"
                ) from None
