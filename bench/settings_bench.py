"""Production settings (portal.settings, DEBUG off) with one difference, used by run_load.sh only when
``collectstatic`` fails under the production storage: static files hashed by WhiteNoise's compressed
storage without the manifest (the load test requests pages, not static files)."""
from portal.settings import *  # noqa: F401,F403
from portal.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}}
