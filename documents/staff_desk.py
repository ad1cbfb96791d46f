"""The documents section of the staff family page (families.staff_desk): the family's last documents."""
from families.staff_desk import register_section

from .models import FamilyDocument

ROWS = 15


@register_section
def documents_section(family, today):
    documents = list(
        FamilyDocument.objects.for_family(family).select_related("document_type").order_by("-uploaded_at")[:ROWS]
    )
    return {"order": 50, "title": "Documents", "template": "documents/_staff_family.html", "documents": documents, "rows": ROWS}
