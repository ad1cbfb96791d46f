"""Checks of uploaded files (message attachments, family documents): size and real content.

The type is read from the file's bytes (``filetype``), never from its name, and a PDF or an
image must also open: a renamed executable or a fake PDF is refused with a French message.
"""
import io
import unicodedata

import filetype
from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image

from portal.errors import UploadError

MAX_UPLOAD_SIZE = 6 * 1024 * 1024
MAX_ATTACHMENTS = 4
ALLOWED_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def upload_check(uploaded):
    """Validate one uploaded file; return its content type. Raise UploadError otherwise."""
    name = safe_filename(getattr(uploaded, "name", "") or "fichier")
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
    data = uploaded.read()
    uploaded.seek(0)
    if kind.mime == "application/pdf":
        _pdf_check(data, name)
    elif not _image_opens(data):
        raise UploadError(
            f"« {name} » est endommagé ou n'est pas un vrai fichier {ALLOWED_TYPES[kind.mime]} : il ne peut pas être ouvert."
        )
    return kind.mime


def _image_opens(data):
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        return True
    except Exception:  # any parser error means the file cannot be used
        return False


# PDF actions that run something when staff open or click the document; a link (/URI), a jump inside the
# document (/GoTo) and the like are harmless.
DANGEROUS_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE", "/RichMediaExecute", "/Rendition"}
MAX_PDF_OBJECTS = 50_000


def _pdf_check(data, name):
    """A PDF must open, end at its last ``%%EOF`` (nothing hidden after it) and hold no script, no
    automatic or launching action and no embedded file: these reach staff's desktop PDF readers."""
    # Imported here: pypdf costs ~0.2 s to import, paid only by the processes that check a PDF upload.
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    end = data.rfind(b"%%EOF")
    if end < 0 or data[end + 5:].strip(b"\r\n\t\x0c \x00"):
        raise UploadError(
            f"« {name} » contient des données après la fin du document PDF : il est refusé. "
            "Enregistrez-le à nouveau en PDF (« Imprimer » puis « Enregistrer au format PDF ») et réessayez."
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        if not len(reader.pages):
            raise ValueError("no page")
        problem = None
        seen, stack = set(), [reader.trailer]
        while stack and problem is None:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                if obj.idnum in seen:
                    continue
                seen.add(obj.idnum)
                if len(seen) > MAX_PDF_OBJECTS:
                    raise ValueError("too many objects")
                obj = obj.get_object()
            if isinstance(obj, DictionaryObject):
                keys = set(obj.keys())
                if keys & {"/JS", "/JavaScript"} or obj.get("/S") in DANGEROUS_ACTIONS:
                    problem = "du code JavaScript ou une action qui lance un programme"
                elif keys & {"/EmbeddedFiles", "/EmbeddedFile"} or obj.get("/Subtype") == "/FileAttachment" \
                        or obj.get("/Type") in ("/EmbeddedFile", "/Filespec") and "/EF" in keys:
                    problem = "un fichier joint caché à l'intérieur du document"
                elif "/OpenAction" in keys and isinstance(obj["/OpenAction"], DictionaryObject) \
                        and obj["/OpenAction"].get("/S") not in (None, "/GoTo"):
                    problem = "une action exécutée à l'ouverture"
                stack.extend(value for key, value in obj.items() if key not in ("/Parent", "/P"))
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)
    except UploadError:
        raise
    except Exception:  # any parser error means the file cannot be used
        raise UploadError(
            f"« {name} » est endommagé ou n'est pas un vrai fichier PDF : il ne peut pas être ouvert."
        ) from None
    if problem:
        raise UploadError(
            f"« {name} » contient {problem} : pour la sécurité des agents qui l'ouvriront, il est refusé. "
            "Enregistrez-le à nouveau en PDF (« Imprimer » puis « Enregistrer au format PDF ») et réessayez."
        )


MAX_FILENAME_LENGTH = 150


def safe_filename(name):
    """The name shown and offered on download: no path, no control or invisible formatting character (a
    right-to-left override makes « facture\u202egpj.exe » read « factureexe.jpg »), at most
    ``MAX_FILENAME_LENGTH`` characters with its extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".") or "fichier"
    if len(base) > MAX_FILENAME_LENGTH:
        stem, dot, ext = base.rpartition(".")
        ext = ext if dot and stem and len(ext) <= 10 else ""
        base = base[: MAX_FILENAME_LENGTH - len(ext) - (1 if ext else 0)].rstrip() + (f".{ext}" if ext else "")
    return base


UPLOAD_HELP = "PDF, JPEG ou PNG – taille maximale : 6 Mo."
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def validate_upload(uploaded):
    """Form-field validator around ``upload_check``: the French message lands on the field."""
    try:
        upload_check(uploaded)
    except UploadError as exc:
        raise ValidationError(exc.message, code="invalid_upload") from None


def private_file_field(label, *, required=False, help_text=UPLOAD_HELP, **kwargs):
    """A form field for a private upload (PDF, JPEG or PNG of at most 6 MB, checked by content)."""
    return forms.FileField(
        label=label, required=required, help_text=help_text, validators=[validate_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}), **kwargs,
    )
