"""Navigation badge and home-page block of the messaging."""
from django.urls import reverse

from portal.dashboard import register_block, register_counter
from portal.staff_home import WaitingWork, register_waiting
from portal.navigation import register_badge

from .models import SmsMessage, Thread
from .selectors import family_unread_messages, staff_threads_unanswered


@register_counter("unread_messages", stored=True)
def _unread_messages(family, today):
    return family_unread_messages(family=family)


@register_badge
def unread_badge(request):
    """The family's counter row (``Family.unread_messages``, kept by ``services.unread_recount``): the family
    comes with the request's user, so the badge on every page costs no query."""
    return {"unread_messages": request.family.unread_messages}


@register_block
def unread_block(request):
    if not hasattr(request, "family"):
        return None
    return {"order": 30, "template": "messaging/_home_block.html", "unread": request.family.unread_messages}


@register_waiting
def _messages_waiting(now):
    inbox = reverse("messaging_staff:inbox")
    yield WaitingWork(
        label="Messages sans personne pour les suivre", order=50,
        count=Thread.objects.filter(staff_deleted_at__isnull=True, assigned_to__isnull=True).count(),
        url=inbox + "?assigned=none",
    )
    yield WaitingWork(
        label="Messages sans réponse depuis plus de 2 jours", order=55,
        count=staff_threads_unanswered(now=now).count(), url=inbox + "?waiting=on",
    )
    yield WaitingWork(
        label="SMS en échec", order=95,
        count=SmsMessage.objects.filter(status=SmsMessage.Status.FAILED).count(),
        url=reverse("admin:messaging_smsmessage_changelist") + f"?status__exact={SmsMessage.Status.FAILED}",
    )
