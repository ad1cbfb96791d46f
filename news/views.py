import filetype
from django.http import Http404
from django.shortcuts import render

from portal.files import private_file_response

from . import selectors
from .rendering import render_markdown


def index(request):
    posts = selectors.posts_for_request(request, limit=50)
    return render(request, "news/index.html", {"posts": posts})


def detail(request, pk):
    post = selectors.post_for_request(request, pk)
    return render(request, "news/detail.html", {"post": post, "body_html": render_markdown(post.body)})


def image(request, pk):
    post = selectors.post_for_request(request, pk)
    if not post.image:
        raise Http404
    return private_file_response(post.image, f"actualite-{post.pk}", _image_type(post.image))


def documents(request):
    docs = selectors.documents_for_request(request)
    return render(request, "news/documents.html", {"groups": selectors.documents_by_category(docs)})


def document_download(request, pk):
    doc = selectors.document_for_request(request, pk)
    return private_file_response(doc.file, doc.original_name or f"document-{doc.pk}", doc.content_type)


def _image_type(field):
    try:
        with field.open("rb") as handle:
            head = handle.read(262)
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    mime = getattr(filetype.guess(head), "mime", None)
    return mime if mime in ("image/jpeg", "image/png") else "application/octet-stream"
