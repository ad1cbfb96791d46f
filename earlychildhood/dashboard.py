"""What « Petite enfance » adds to other apps' pages: the section of the Inscriptions page (pending
pre-enrolments, marked « ! », offers waiting for an answer, contracts)."""
from enrolment.index_sections import register_section

from .models import ChildcareContract, PreEnrolment


@register_section
def inscriptions_section(request):
    family = getattr(request, "family", None)
    if family is None:
        return None
    pres = list(PreEnrolment.objects.for_family(family).filter(status__in=PreEnrolment.OPEN_STATUSES)
                .select_related("child", "nursery_1__structure").order_by("-created_at"))
    contracts = list(ChildcareContract.objects.for_family(family).filter(status=ChildcareContract.Status.ACTIVE)
                     .select_related("nursery__structure"))
    return {"order": 10, "template": "earlychildhood/_inscriptions_section.html", "pres": pres, "contracts": contracts}
