"""Every admin list, add form and first change form on the demo data speaks French: no « X object (1) », no English
column headers left over, no « Ajout de actualité », amounts with a decimal comma."""
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.text import camel_case_to_spaces, capfirst

from families.demo import STAFF_EMAIL

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("admin-crawl")]

# Words seen in the admin before it was put in French (column headers from property names, choice values).
ENGLISH = ["IBAN MASKED", "INVOICE", "MANDATE", 'alt="True"', " object (", "SEQUENCE TYPE", "Sequence type",
           ">Batch<", ">Kind<", ">Year<", ">Last number<", ">Created at<", ">Updated at<", ">User<", ">Provider<"]
# Django's « Ajout de {verbose_name} » / « Modification de … » before a vowel.
ELISION = re.compile(r"(Ajout|Modification|Sélectionnez) de [aeiouéèêhAEIOUÉ]")
DOT_AMOUNT = re.compile(r"\b\d+\.\d\d\s?€")


def _pages(staff, rf):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        try:
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            continue
        request = rf.get(changelist)
        request.user = staff
        yield changelist
        if model_admin.has_add_permission(request):
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            yield reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])


def test_every_admin_page_is_in_french(client, rf):
    call_command("demo_data", verbosity=0)
    staff = get_user_model().objects.get(email=STAFF_EMAIL)
    client.force_login(staff)
    problems = []
    for url in _pages(staff, rf):
        response = client.get(url)
        if response.status_code != 200:
            continue
        page = response.content.decode()
        problems += [(url, word) for word in ENGLISH if word in page]
        problems += [(url, match.group(0)) for match in ELISION.finditer(page)]
        problems += [(url, match.group(0)) for match in DOT_AMOUNT.finditer(page)]
    assert not problems, "\n".join(sorted({f"{url}: {what}" for url, what in problems}))


# Field names that read the same in French (Django's default label is then right).
SAME_IN_FRENCH = {"date", "code", "type", "note", "message", "question", "description", "position", "reference", "version",
                  "total", "bic", "iban", "transaction", "section", "source", "allergies", "allocataire", "service", "action",
                  "id", "invitation", "menu", "organisation"}


def test_every_admin_column_and_object_has_a_french_name():
    """No column labelled from a Python name (« Iban masked », « Sequence type »), no model without its own
    ``__str__`` (« DirectDebitItem object (1) »), no verbose name left to Django's default."""
    problems = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        if model.__str__ is models.Model.__str__:
            problems.append(f"{opts.label}: no __str__")
        english_default = {opts.model_name, re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()}
        if opts.model_name not in SAME_IN_FRENCH and opts.verbose_name in english_default:
            problems.append(f"{opts.label}: no verbose_name")
        names = [n for n in (list(model_admin.list_display) + list(model_admin.readonly_fields)) if isinstance(n, str)]
        for inline in model_admin.inlines:
            names_inline = [n for n in (list(inline.fields or []) + list(inline.readonly_fields)) if isinstance(n, str)]
            problems += _english_labels(inline.model, inline, names_inline, label_for_field, capfirst)
        problems += _english_labels(model, model_admin, names, label_for_field, capfirst)
    assert not problems, "\n".join(sorted(set(problems)))


def _english_labels(model, model_admin, names, label_for_field, capfirst):
    problems = []
    for name in names:
        if name in ("__str__", "action_checkbox") or name in SAME_IN_FRENCH:
            continue
        label = str(label_for_field(name, model, model_admin))
        default = name.replace("_", " ")
        if label.lower() in (default.lower(), camel_case_to_spaces(name)) and name not in SAME_IN_FRENCH:
            problems.append(f"{model._meta.label}.{name}: « {capfirst(label)} »")
    return problems
