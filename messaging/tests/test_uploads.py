import pytest

from messaging.tests.factories import pdf_bytes, png_bytes, upload
from portal.uploads import upload_check
from portal.errors import UploadError


def test_real_pdf_and_png_are_accepted():
    assert upload_check(upload("a.pdf", pdf_bytes())) == "application/pdf"
    assert upload_check(upload("photo.PNG", png_bytes(), "image/png")) == "image/png"


def test_type_comes_from_content_not_name():
    # A PNG named .pdf is accepted as what it really is.
    assert upload_check(upload("scan.pdf", png_bytes())) == "image/png"


def test_renamed_executable_is_refused():
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
    with pytest.raises(UploadError, match="seuls les fichiers PDF, JPEG et PNG"):
        upload_check(upload("facture.pdf", exe))


def test_fake_pdf_is_refused():
    with pytest.raises(UploadError, match="endommagé ou n'est pas un vrai fichier PDF"):
        upload_check(upload("faux.pdf", b"%PDF-1.4\nceci n'est pas un PDF\n%%EOF"))


def test_text_file_named_pdf_is_refused():
    with pytest.raises(UploadError, match="PDF, JPEG et PNG"):
        upload_check(upload("texte.pdf", b"Bonjour, voici mon justificatif."))


def test_seven_megabytes_is_refused():
    big = pdf_bytes() + b"\n%" + b"0" * (7 * 1024 * 1024)
    with pytest.raises(UploadError, match="taille maximale est de 6 Mo"):
        upload_check(upload("gros.pdf", big))
