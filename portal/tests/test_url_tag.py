"""The project's {% url %} (portal/templatetags/portal_urls.py): the same URLs as Django's, remembered."""
from unittest import mock

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from portal.templatetags import portal_urls


def _render(source, **context):
    return Template(source).render(Context(context))


def test_same_urls_as_django_and_reversed_once_per_arguments():
    portal_urls._reversed.clear()
    with mock.patch.object(portal_urls, "reverse", wraps=reverse) as spy:
        for _ in range(3):
            assert _render("{% url 'billing:index' %}") == reverse("billing:index")
            assert _render("{% url 'billing:invoice_pdf' pk %}", pk=12) == reverse("billing:invoice_pdf", args=[12])
            assert _render("{% url 'billing:invoice_pdf' pk=pk %}", pk=13) == reverse("billing:invoice_pdf", kwargs={"pk": 13})
    assert spy.call_count == 3


def test_a_missing_url_is_empty_with_as_and_an_error_without():
    portal_urls._reversed.clear()
    for _ in range(2):  # the failure is remembered and still behaves the same
        assert _render("{% url 'no_such:view' as u %}[{{ u }}]") == "[]"
        with pytest.raises(NoReverseMatch):
            _render("{% url 'no_such:view' %}")


def test_the_script_prefix_is_part_of_the_key():
    portal_urls._reversed.clear()
    plain = _render("{% url 'billing:index' %}")
    set_script_prefix("/portail/")
    try:
        assert _render("{% url 'billing:index' %}") == "/portail" + plain
    finally:
        clear_script_prefix()
    assert _render("{% url 'billing:index' %}") == plain


def test_other_arguments_go_through_django_unchanged():
    class Pk:  # not a plain value: its text could change, so it is never remembered
        def __str__(self):
            return "7"

    portal_urls._reversed.clear()
    assert _render("{% url 'billing:invoice_pdf' pk %}", pk=Pk()) == reverse("billing:invoice_pdf", args=[7])
    assert portal_urls._reversed == {}

