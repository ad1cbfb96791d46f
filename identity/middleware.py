"""Accounts created by families see only their request until the service validates it.

A logged-in parent with no family file yet (no guardian) but a registration request may open their request page,
its messages, « Mon compte » pages (allauth's, under /compte/) and public pages; any other page redirects to the
request with a French explanation. Staff and parents with a family are not concerned (no query for them: the
session's user is loaded with its guardian, ``families.auth``).
"""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from families.models import Guardian

from .models import RegistrationRequest

ALLOWED_PREFIXES = ("/compte/", "/identite/", "/static/", "/media/", "/actualites/", "/admin/", "/personnel/")


class PendingRegistrationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not user.is_staff
                and not request.path.startswith(ALLOWED_PREFIXES) and not _has_guardian(user)):
            status = RegistrationRequest.objects.filter(user=user).values_list("status", flat=True).first()
            if status is not None:
                if request.path != "/":
                    messages.info(request, "Votre dossier n'est pas encore validé par le service : en attendant, vous "
                                           "pouvez consulter votre demande et écrire au service.")
                return redirect(reverse("identity:registration"))
        return self.get_response(request)


def _has_guardian(user):
    try:
        user.guardian
    except Guardian.DoesNotExist:
        return False
    return True
