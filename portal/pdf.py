"""How the portal writes its PDF documents (invoices, certificates, menus): PDF/UA-1 (ISO 14289-1), the
accessible PDF a screen reader can follow. WeasyPrint tags the structure (headings, paragraphs, tables,
lists) from the HTML, writes the document's language from ``<html lang="fr">`` and its title from
``<title>``, shown by PDF readers instead of the file name. Each template must have both."""

# Options of ``weasyprint.HTML.write_pdf`` for every document the portal produces.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def html_to_pdf(html, **options):
    """The PDF (bytes) of an HTML document, tagged (PDF/UA-1); ``options`` go to ``write_pdf``
    (stylesheets, font_config)."""
    from weasyprint import HTML  # imported lazily: ~0.7 s, paid only by the processes that make a PDF

    return HTML(string=html).write_pdf(**PDF_OPTIONS, **options)
