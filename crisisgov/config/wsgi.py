"""WSGI entry point: Django is served over WSGI (ASGI costs 6-7x more CPU per request here)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisgov.config.settings")
application = get_wsgi_application()
