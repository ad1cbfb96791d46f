"""The history line of a request and the e-mail to its family, written in the caller's transaction."""
from documents.selectors import family_emails
from portal.mail import email_queue

from ..models import PreEnrolmentEvent


def event_add(pre, label, *, by=None, now):
    PreEnrolmentEvent.objects.create(pre_enrolment=pre, at=now, label=label[:300], by=by)


def family_email(pre, template, context):
    for address in family_emails(pre.family):
        email_queue(to=address, template=template, context={"pre": pre, **context}, related=pre)
