"""Checks that a PDF the portal produced is tagged for assistive technologies (PDF/UA-1)."""
from io import BytesIO

from pypdf import PdfReader


def assert_pdf_ua(content, *, title):
    """The PDF is marked as tagged, has a structure tree, says it is French, names its title (and asks
    readers to show it) and declares PDF/UA-1 in its XMP metadata."""
    reader = PdfReader(BytesIO(content))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    tree = root["/StructTreeRoot"].get_object()
    assert tree["/Type"] == "/StructTreeRoot" and tree["/K"]
    assert root["/Lang"] == "fr"
    assert title in reader.metadata.title
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"]) is True
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp
    return reader
