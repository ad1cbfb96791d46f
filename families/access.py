"""The one way every app fetches a family's object from an id in a URL.

Each function scopes by the logged-in parent's family, so another family's id
answers 404 (Http404), never 403, and never leaks that the object exists.
"""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from .models import Child, Family, Guardian


def family_for_user(user):
    """The family of a logged-in parent (cached on the user object), or Http404."""
    if not user.is_authenticated:
        raise Http404
    cached = getattr(user, "_portal_family", None)
    if cached is not None:
        return cached
    try:
        # Loaded with the session's user (families.auth): no query of its own.
        guardian = user.guardian
    except Guardian.DoesNotExist:
        raise Http404 from None
    user._portal_family = guardian.family
    user._portal_guardian = guardian
    return guardian.family


def guardian_for_user(user):
    family_for_user(user)
    return user._portal_guardian


def child_get_for_user(*, child_id, user, for_update=False):
    children = Child.objects.for_family(family_for_user(user)).filter(is_active=True)
    if for_update:
        children = children.select_for_update()
    try:
        return children.get(pk=int(child_id))
    except (Child.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def guardian_get_for_user(*, guardian_id, user):
    try:
        return Guardian.objects.for_family(family_for_user(user)).get(pk=guardian_id)
    except (Guardian.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def family_scoped(queryset, *, user):
    """The rows of ``queryset`` that belong to the user's family (a list's scope).

    Through the model's ``for_family`` (families.models.FamilyOwnedQuerySet), where the path to the family is
    written once; a model without it must have a ``family`` foreign key (else FieldError, never a leak)."""
    family = family_for_user(user)
    if hasattr(queryset, "for_family"):
        return queryset.for_family(family)
    return queryset.filter(family=family)


def scoped_get(queryset, *, user, **lookup):
    """Fetch one object of ``queryset`` that belongs to the user's family (``for_family``), else 404."""
    try:
        return family_scoped(queryset, user=user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def parent_required(view):
    """Only a logged-in parent (a user linked to a guardian) reaches the view.

    Anonymous users go to the login page; staff without a family get 404: staff use the admin.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.family = family_for_user(request.user)
        request.guardian = request.user._portal_guardian
        return view(request, *args, **kwargs)

    return wrapper


__all__ = [
    "Family",
    "family_for_user",
    "guardian_for_user",
    "child_get_for_user",
    "guardian_get_for_user",
    "family_scoped",
    "scoped_get",
    "parent_required",
]
