"""The portal's URLs plus the benchmark's reference page (bench/reference.py)."""
from django.urls import path

from portal.urls import handler404, handler500, urlpatterns as portal_urlpatterns  # noqa: F401

from .reference import reference

urlpatterns = [
    path("bench/reference/<int:child_id>/<int:year>/<int:month>/", reference, name="bench_reference"),
    *portal_urlpatterns,
]
