"""Staff pages of the documents area, under /personnel/documents/ (namespace "documents_staff"): the files
families sent, opened from the admin (document list, renewal review). Any document, any family: staff only.

Each view carries ``staff_member_required`` until the staff check is applied once at the include
(``portal.staff.staff_only``)."""
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404

from portal.files import private_file_response

from .models import FamilyDocument, RenewalSubmission


@staff_member_required
def document_file(request, pk):
    doc = get_object_or_404(FamilyDocument, pk=pk)
    return private_file_response(doc.file, doc.original_name, doc.content_type)


@staff_member_required
def renewal_proof(request, pk):
    submission = get_object_or_404(RenewalSubmission.objects.exclude(quotient_proof=""), pk=pk)
    return private_file_response(submission.quotient_proof, submission.quotient_proof_name or "attestation-quotient",
                                 submission.quotient_proof_type)
