"""Serving a private upload (attachment, document, image) to whoever the calling view has already scoped it to."""
from django.http import FileResponse, Http404

# Shown in the browser; anything else is downloaded.
INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def private_file_response(file_field, filename, content_type):
    """Stream ``file_field`` (404 when the file is gone), never cached by the browser or a proxy."""
    try:
        handle = file_field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline = content_type in INLINE_TYPES
    response = FileResponse(handle, content_type=content_type or "application/octet-stream",
                            as_attachment=not inline, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
