"""Reads of news posts and published documents for a visitor (anonymous or a family)."""
from django.db.models import Q
from django.http import Http404


from .models import NewsPost, PublishedDocument


def family_structure_ids(family):
    """Structures where the family has a child enrolled (pending or validated), as a subquery (no query
    of its own: it runs inside the posts' query)."""
    if family is None:
        return None
    try:
        from enrolment.models import Enrolment
    except ImportError:  # enrolment not installed
        return None
    return (
        Enrolment.objects.filter(child__family=family, status__in=("pending", "validated"))
        .order_by().values("activity__activity_type__structure_id")
    )


def visible_posts(*, family=None, logged_in=False, now=None):
    qs = NewsPost.objects.published(now=now)
    audience = Q(audience=NewsPost.Audience.EVERYONE)
    if logged_in:
        audience |= Q(audience=NewsPost.Audience.FAMILIES)
    if family is not None:
        structures = family_structure_ids(family)
        if structures is not None:
            audience |= Q(audience=NewsPost.Audience.STRUCTURE, structure_id__in=structures)
    return qs.filter(audience)


def visitor_family(request):
    """The family of a logged-in parent, else None (anonymous visitors, staff)."""
    user = request.user
    if not user.is_authenticated:
        return None
    from families.access import family_for_user

    try:
        return family_for_user(user)
    except Http404:
        return None


def posts_for_request(request, *, limit=None, now=None):
    family = visitor_family(request)
    qs = visible_posts(family=family, logged_in=request.user.is_authenticated, now=now)
    return list(qs[:limit] if limit else qs)


def post_for_request(request, pk, now=None):
    family = visitor_family(request)
    try:
        return visible_posts(family=family, logged_in=request.user.is_authenticated, now=now).get(pk=pk)
    except (NewsPost.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def documents_for_request(request):
    qs = PublishedDocument.objects.filter(is_published=True)
    if not request.user.is_authenticated:
        qs = qs.filter(visibility=PublishedDocument.Visibility.PUBLIC)
    return list(qs.order_by("category", "order", "title"))


def document_for_request(request, pk):
    qs = PublishedDocument.objects.filter(is_published=True)
    if not request.user.is_authenticated:
        qs = qs.filter(visibility=PublishedDocument.Visibility.PUBLIC)
    try:
        return qs.get(pk=pk)
    except (PublishedDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def documents_by_category(documents):
    labels = dict(PublishedDocument.Category.choices)
    groups = {}
    for doc in documents:
        groups.setdefault(doc.category, []).append(doc)
    return [(key, labels[key], groups[key]) for key in labels if key in groups]


