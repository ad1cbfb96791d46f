"""The printable minute of a commission session (WeasyPrint, as billing/pdf.py): decisions and the
criteria behind each score — never a health detail (criteria marked « relève de la santé » are
counted in the score but not named)."""
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import Organisation

from .models import Criterion, Decision


def session_minute_context(session):
    health = set(Criterion.objects.filter(is_health=True).values_list("label", flat=True))
    decisions = list(Decision.objects.filter(session=session).select_related(
        "pre_enrolment__family", "pre_enrolment__child", "places__section__nursery__structure").order_by("-score", "pk"))
    for d in decisions:
        d.lines = [(label if label not in health else "Critère confidentiel", weight) for label, weight in d.score_lines]
    return {"session": session, "decisions": decisions, "organisation": Organisation.current(),
            "printed": timezone.localtime()}


def session_minute_pdf(session):
    from weasyprint import HTML  # imported lazily: ~0.7 s, only when a PDF is asked for

    html = render_to_string("earlychildhood/pdf/minute.html", session_minute_context(session))
    return HTML(string=html).write_pdf()
