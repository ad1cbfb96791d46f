"""Every e-mail of the project has a French subject, a text and an HTML body in the common layout
(organisation name and portal link come from templates/emails/base.*)."""
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.template import engines


def email_template_dirs():
    dirs = [Path(d) / "emails" for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [Path(app.path) / "templates" / "emails" for app in apps.get_app_configs()]
    return [d for d in dirs if d.is_dir()]


def email_names():
    names = set()
    for directory in email_template_dirs():
        names |= {p.name.removesuffix(".subject.txt") for p in directory.glob("*.subject.txt")}
    return sorted(names)


def test_there_are_email_templates():
    assert "invitation" in email_names()


@pytest.mark.parametrize("name", email_names())
def test_email_has_subject_text_and_html_in_the_common_layout(name):
    engine = engines["django"]
    text = engine.get_template(f"emails/{name}.txt").template.source
    html = engine.get_template(f"emails/{name}.html").template.source
    assert text.lstrip().startswith('{% extends "emails/base.txt" %}'), f"emails/{name}.txt must extend emails/base.txt"
    assert html.lstrip().startswith('{% extends "emails/base.html" %}'), f"emails/{name}.html must extend emails/base.html"
    assert engine.get_template(f"emails/{name}.subject.txt").template.source.strip()


def test_password_reset_email_uses_the_common_layout():
    engine = engines["django"]
    for suffix, base in (("txt", "emails/base.txt"), ("html", "emails/base.html")):
        source = engine.get_template(f"account/email/password_reset_key_message.{suffix}").template.source
        assert source.startswith(f'{{% extends "{base}" %}}')
