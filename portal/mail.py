"""The one way to send an e-mail: ``email_queue`` records it in the outbox in the
caller's transaction and queues the sending task after commit."""
import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from .models import Organisation, OutboundEmail

logger = logging.getLogger(__name__)


def email_queue(*, to, template, context=None, related=None):
    """Render ``emails/<template>.{subject.txt,txt,html}`` and record the e-mail.

    Returns the ``OutboundEmail`` row, or None when ``to`` is empty.
    """
    if not to:
        return None
    org = Organisation.current()
    ctx = {"organisation": org, "portal_url": settings.PORTAL_BASE_URL, **(context or {})}
    subject = render_to_string(f"emails/{template}.subject.txt", ctx).strip().replace("\n", " ")
    body_text = render_to_string(f"emails/{template}.txt", ctx)
    body_html = render_to_string(f"emails/{template}.html", ctx)
    return email_record(
        to=to, subject=f"[{org.short_name or org.name}] {subject}", body_text=body_text, body_html=body_html,
        template=template, related=related,
    )


def email_record(*, to, subject, body_text, body_html="", template="", related=None):
    """Record an already rendered e-mail in the outbox and send it after commit."""
    email = OutboundEmail.objects.create(
        to=to,
        subject=subject[:250],
        body_text=body_text,
        body_html=body_html,
        template=template[:80],
        related_label=str(related)[:200] if related is not None else "",
        related_type=related._meta.label if related is not None else "",
        related_id=str(related.pk) if related is not None else "",
    )
    from .tasks import email_send

    transaction.on_commit(lambda: email_send.delay(email.pk))
    return email
