"""Production settings plus the reference page of the load test (bench/urls.py). Used by bench/run_load.sh only."""
from portal.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
