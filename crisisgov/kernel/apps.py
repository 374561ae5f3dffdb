from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class KernelConfig(AppConfig):
    name = "crisisgov.kernel"
    label = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from crisisgov.kernel import scoping

        scoping.register_lookups()
        # Every process must know every event subscriber: the publisher creates one delivery
        # per handler registered when it publishes.
        autodiscover_modules("handlers")
