"""portal.staff.staff_only: every view of an included URLconf, nested includes too, behind the staff check."""
from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path

from portal.staff import is_staff_only, staff_only

pytestmark = pytest.mark.django_db


def _view(request, **kwargs):
    return HttpResponse("secret")


def _urlconf():
    nested = SimpleNamespace(app_name="inner", urlpatterns=[path("<int:pk>/", _view, name="detail")])
    return SimpleNamespace(app_name="outer", urlpatterns=[
        path("", _view, name="index"),
        path("sous/", include(nested)),
    ])


def _views(patterns):
    for entry in patterns:
        if hasattr(entry, "url_patterns"):
            yield from _views(entry.url_patterns)
        else:
            yield entry.callback


def test_every_view_is_guarded_and_the_namespace_kept(staff_user):
    patterns, app_name, namespace = staff_only(_urlconf())
    assert (app_name, namespace) == ("outer", "outer")
    views = list(_views(patterns))
    assert len(views) == 2 and all(is_staff_only(v) for v in views)
    request = RequestFactory().get("/personnel/x/")
    request.user = staff_user
    assert all(v(request, pk=1).content == b"secret" for v in views)


def test_non_staff_are_sent_to_the_admin_login(parent):
    user, _ = parent
    request = RequestFactory().get("/personnel/x/")
    request.user = user
    for view in _views(staff_only(_urlconf())[0]):
        response = view(request, pk=1)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
