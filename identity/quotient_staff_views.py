"""Staff page of the quotient history: the certificate a family sent (linked from the admin)."""
from django.shortcuts import get_object_or_404

from families.models import QuotientRecord
from portal.files import private_file_response


def quotient_proof_file(request, pk):
    record = get_object_or_404(QuotientRecord.objects.exclude(proof=""), pk=pk)
    return private_file_response(record.proof, record.proof_name or "attestation", record.proof_type)
