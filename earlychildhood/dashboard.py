"""What « Petite enfance » adds to other apps' pages: the section of the Inscriptions page (pending
pre-enrolments, marked « ! », and offers waiting for an answer)."""
from enrolment.index_sections import register_section

from .models import PreEnrolment


@register_section
def inscriptions_section(request):
    family = getattr(request, "family", None)
    if family is None:
        return None
    pres = list(PreEnrolment.objects.for_family(family).filter(status__in=PreEnrolment.OPEN_STATUSES)
                .select_related("child", "nursery_1__structure").order_by("-created_at"))
    # One query: the page's budget is shared with enrolment (contracts are listed in « Petite enfance »).
    return {"order": 10, "template": "earlychildhood/_inscriptions_section.html", "pres": pres}
