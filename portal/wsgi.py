"""
WSGI config for portal project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings')

application = get_wsgi_application()

# gunicorn runs no system check: with DEBUG off, a server whose settings fail one (a cache local to the
# process, a test payment provider, …) refuses to start instead of serving (portal/checks.py).
from portal.checks import refuse_to_serve_with_errors  # noqa: E402  (needs the application set up)

refuse_to_serve_with_errors()
