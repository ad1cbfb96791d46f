"""Checks of uploaded files (message attachments, family documents): size and real content.

The type is read from the file's bytes (``filetype``), never from its name, and a PDF or an
image must also open: a renamed executable or a fake PDF is refused with a French message.
"""
import io

import filetype
from django.template.defaultfilters import filesizeformat

from portal.errors import UploadError

MAX_UPLOAD_SIZE = 6 * 1024 * 1024
MAX_ATTACHMENTS = 3
ALLOWED_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def upload_check(uploaded):
    """Validate one uploaded file; return its content type. Raise UploadError otherwise."""
    name = getattr(uploaded, "name", "") or "fichier"
    if uploaded.size > MAX_UPLOAD_SIZE:
        raise UploadError(
            f"« {name} » pèse {filesizeformat(uploaded.size)} : la taille maximale est de 6 Mo par fichier."
        )
    if uploaded.size == 0:
        raise UploadError(f"« {name} » est vide.")
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise UploadError(
            f"« {name} » n'est pas un document accepté : seuls les fichiers PDF, JPEG et PNG sont acceptés."
        )
    if not _opens(uploaded, kind.mime):
        raise UploadError(
            f"« {name} » est endommagé ou n'est pas un vrai fichier {ALLOWED_TYPES[kind.mime]} : il ne peut pas être ouvert."
        )
    uploaded.seek(0)
    return kind.mime


def _opens(uploaded, mime):
    data = uploaded.read()
    uploaded.seek(0)
    try:
        if mime == "application/pdf":
            from pypdf import PdfReader

            return len(PdfReader(io.BytesIO(data)).pages) > 0
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        return True
    except Exception:  # any parser error means the file cannot be used
        return False


def safe_filename(name):
    """The name shown and offered on download: no path, bounded length."""
    base = (name or "fichier").replace("\\", "/").rsplit("/", 1)[-1].strip() or "fichier"
    return base[-150:]


UPLOAD_HELP = "PDF, JPEG ou PNG – taille maximale : 6 Mo."
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def validate_upload(uploaded):
    """Form-field validator around ``upload_check``: the French message lands on the field."""
    from django.core.exceptions import ValidationError

    try:
        upload_check(uploaded)
    except UploadError as exc:
        raise ValidationError(exc.message, code="invalid_upload") from None


def private_file_field(label, *, required=False, help_text=UPLOAD_HELP, **kwargs):
    """A form field for a private upload (PDF, JPEG or PNG of at most 6 MB, checked by content)."""
    from django import forms

    return forms.FileField(
        label=label, required=required, help_text=help_text, validators=[validate_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}), **kwargs,
    )
