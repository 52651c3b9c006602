"""WSGI entry point for gunicorn (see `verbund serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbund.settings.base")

application = get_wsgi_application()
