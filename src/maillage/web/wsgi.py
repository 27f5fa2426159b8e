"""WSGI entry point (``maillage.web.wsgi:application``) for waitress, gunicorn or mod_wsgi."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maillage.web.settings")
application = get_wsgi_application()
