"""django-allauth adapter (parents only, e-mails through the outbox, the client address behind the trusted
proxies) and the login form with « Rester connecté ». Core opens no sign-up: the identity app's adapter
(``ACCOUNT_ADAPTER``) extends this one and opens it when the organisation lets families sign up themselves."""
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .mail import email_record
from .session import session_renew
from .models import Organisation


class PortalAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Core alone: accounts are created by staff, who send an invitation (identity.adapters opens sign-up).
        return False

    def send_mail(self, template_prefix, email, context):
        # allauth's own e-mails (password reset…) go through the outbox like every other one,
        # in the same layout (organisation name, portal link) as ours.
        context = {"organisation": Organisation.current(), "portal_url": settings.PORTAL_BASE_URL, **context}
        message = self.render_mail(template_prefix, email, context)
        html = next((body for body, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
        email_record(
            to=email, subject=message.subject, body_text=message.body, body_html=html,
            template=template_prefix.rsplit("/", 1)[-1],
        )

    def get_client_ip(self, request):
        # allauth raises ImproperlyConfigured (a 500) when X-Forwarded-For holds fewer addresses than
        # TRUSTED_PROXY_COUNT: the request did not come through every trusted proxy, so no address in the
        # header can be trusted. The limits then count the connecting address, never a forged one.
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            return request.META.get("REMOTE_ADDR", "")

    def get_logout_redirect_url(self, request):
        # The organisation may send parents back to the town's site once logged out (seed 002).
        return Organisation.current().logout_redirect_url or super().get_logout_redirect_url(request)

    def get_login_redirect_url(self, request):
        if request.user.is_staff and not hasattr(request.user, "guardian"):
            return "/admin/"
        return super().get_login_redirect_url(request)


class PortalLoginForm(LoginForm):
    """allauth's login form (``ACCOUNT_FORMS["login"]``) whose « remember » box keeps the parent logged in on
    that device for ``LOGIN_REMEMBER_DAYS`` days (30), so that nobody has to log in at 8:30 on an opening
    morning. Unticked, allauth ends the session when the browser closes (and the server forgets it after
    ``SESSION_COOKIE_AGE``, 8 hours)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = f"Rester connecté sur cet appareil ({settings.LOGIN_REMEMBER_DAYS} jours)"
            self.fields["remember"].help_text = "À ne pas cocher sur un ordinateur partagé."

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url)
        if self.cleaned_data.get("remember"):
            request.session.set_expiry(settings.LOGIN_REMEMBER_DAYS * 24 * 60 * 60)
            session_renew(request.session)  # the page's warning announces the 30 days, not the default 8 hours
        return response
