"""Parent URLs of the quotient familial, included at /famille/quotient/ by portal/urls.py."""
from django.urls import path

from . import quotient_views

app_name = "quotient"

urlpatterns = [
    path("", quotient_views.quotient_fetch, name="fetch"),
    path("<int:pk>/", quotient_views.quotient_result, name="result"),
    path("attestation/", quotient_views.quotient_proof, name="proof"),
]
