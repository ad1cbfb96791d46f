"""Reads of news posts and published documents for a visitor (anonymous or a family)."""
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from enrolment.models import Enrolment
from families.access import family_for_user
from portal.caching import cached_config

from .models import NewsPost, PublishedDocument
from .rendering import excerpt

HOME_CANDIDATES = 50  # the latest posts kept for the home blocks (published or scheduled)


def family_structure_ids(family):
    """Structures where the family has a child enrolled (pending or validated), as a subquery (no query
    of its own: it runs inside the posts' query)."""
    if family is None:
        return None
    return (
        Enrolment.objects.for_family(family).filter(status__in=("pending", "validated"))
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




def _home_candidates():
    """The latest posts not yet expired, with their excerpt, as plain dicts: cached until a post is
    saved or deleted (rendering Markdown for every home page would cost more than the page)."""
    def build():
        posts = (NewsPost.objects.filter(Q(publish_until__isnull=True) | Q(publish_until__gt=timezone.now()))
                 .order_by("-publish_from", "-pk")[:HOME_CANDIDATES])
        return [
            {"pk": p.pk, "title": p.title, "publish_from": p.publish_from, "publish_until": p.publish_until,
             "audience": p.audience, "structure_id": p.structure_id, "excerpt": excerpt(p.body, 160)}
            for p in posts
        ]

    return cached_config("news-home-candidates", build, models=[NewsPost])


def home_posts(request, *, limit=3, now=None):
    """The latest posts this visitor may read, for the home blocks: from the cache, plus one query for the
    family's structures when a structure-only post is among the published ones."""
    now = now or timezone.now()
    published = [c for c in _home_candidates()
                 if c["publish_from"] <= now and (c["publish_until"] is None or c["publish_until"] > now)]
    logged_in = request.user.is_authenticated
    structures = set()
    if any(c["audience"] == NewsPost.Audience.STRUCTURE for c in published):
        family = visitor_family(request)
        ids = family_structure_ids(family)
        if ids is not None:
            structures = set(ids.values_list("activity__activity_type__structure_id", flat=True))
    visible = [
        c for c in published
        if c["audience"] == NewsPost.Audience.EVERYONE
        or (logged_in and c["audience"] == NewsPost.Audience.FAMILIES)
        or (c["audience"] == NewsPost.Audience.STRUCTURE and c["structure_id"] in structures)
    ]
    return visible[:limit]
