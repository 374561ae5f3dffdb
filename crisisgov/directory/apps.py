from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "crisisgov.directory"
    label = "directory"
    verbose_name = "Organisations, people and accounts"
