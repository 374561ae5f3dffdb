from django.apps import AppConfig


class KernelConfig(AppConfig):
    name = "crisisgov.kernel"
    label = "kernel"
    verbose_name = "Kernel"

    def ready(self) -> None:
        from crisisgov.kernel import scoping

        scoping.register_lookups()
