import datetime

import pytest
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from enrolment.models import Structure
from enrolment.tests.factories import enrol, wednesdays_activity
from messaging.tests.factories import pdf_bytes, png_bytes
from news.models import NewsPost, PublishedDocument
from news.rendering import excerpt, render_markdown

pytestmark = pytest.mark.django_db


def _post(**kwargs):
    defaults = {"title": "Inscriptions ouvertes", "body": "Les **inscriptions** sont ouvertes.",
                "publish_from": timezone.now() - datetime.timedelta(days=1)}
    return NewsPost.objects.create(**{**defaults, **kwargs})


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown("# Titre\n\n**gras** <script>alert(1)</script> [lien](javascript:alert(1)) "
                           "[ok](https://example.org)\n\n<img src=x onerror=alert(1)>")
    assert "<h2>Titre</h2>" in html and "<strong>gras</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert 'href="https://example.org"' in html


def test_publication_window(client):
    now = timezone.now()
    current = _post(title="En ligne")
    future = _post(title="Pas encore", publish_from=now + datetime.timedelta(days=2))
    past = _post(title="Expirée", publish_from=now - datetime.timedelta(days=10),
                 publish_until=now - datetime.timedelta(days=1))
    body = client.get(reverse("news:index")).content.decode()
    assert "En ligne" in body and "Pas encore" not in body and "Expirée" not in body
    assert client.get(reverse("news:detail", args=[current.pk])).status_code == 200
    assert client.get(reverse("news:detail", args=[future.pk])).status_code == 404
    assert client.get(reverse("news:detail", args=[past.pk])).status_code == 404


def test_audience_everyone_families_and_structure(client, parent, other_family):
    public = _post(title="Pour tous")
    families_only = _post(title="Pour les familles", audience=NewsPost.Audience.FAMILIES)
    structure = Structure.objects.create(name="Accueil de loisirs Les Pitchouns")
    structure_post = _post(title="Pour le centre", audience=NewsPost.Audience.STRUCTURE, structure=structure)
    anonymous = client.get(reverse("news:index")).content.decode()
    assert "Pour tous" in anonymous and "Pour les familles" not in anonymous and "Pour le centre" not in anonymous
    assert client.get(reverse("news:detail", args=[families_only.pk])).status_code == 404
    client.force_login(other_family[0])
    logged = client.get(reverse("news:index")).content.decode()
    assert "Pour les familles" in logged and "Pour le centre" not in logged
    assert client.get(reverse("news:detail", args=[structure_post.pk])).status_code == 404
    assert public.pk


def test_structure_audience_reaches_enrolled_families(client, parent):
    user, family = parent
    activity, group, _units = wednesdays_activity()
    enrol(family.children.get(), activity, group)
    post = _post(title="Sortie du centre", audience=NewsPost.Audience.STRUCTURE,
                 structure=activity.activity_type.structure)
    client.force_login(user)
    assert "Sortie du centre" in client.get(reverse("news:index")).content.decode()
    assert client.get(reverse("news:detail", args=[post.pk])).status_code == 200


def test_home_block_audiences_window_and_edits(client, parent, other_family):
    """The home block reads posts from a cache: audiences, publication window and staff edits still hold."""
    user, family = parent
    activity, group, _units = wednesdays_activity()
    enrol(family.children.get(), activity, group)
    now = timezone.now()
    _post(title="Pour tous")
    _post(title="Pour le centre", audience=NewsPost.Audience.STRUCTURE, structure=activity.activity_type.structure,
          publish_from=now - datetime.timedelta(hours=1))
    soon = _post(title="Bientôt", publish_from=now + datetime.timedelta(days=1))
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "Pour tous" in body and "Pour le centre" in body and "Bientôt" not in body
    client.force_login(other_family[0])
    assert "Pour le centre" not in client.get("/").content.decode()
    soon.publish_from = now - datetime.timedelta(minutes=1)
    soon.title = "Publiée maintenant"
    soon.save()  # a staff edit drops the cached posts
    assert "Publiée maintenant" in client.get("/").content.decode()
    soon.delete()
    assert "Publiée maintenant" not in client.get("/").content.decode()


def test_latest_news_on_public_welcome_page(client):
    _post(title="Fête de l'école")
    body = client.get("/").content.decode()
    assert "Retrouvez les dernières nouveautés" in body and "Fête de l&#x27;école" in body


def test_published_documents_public_and_private(client, parent):
    menu = PublishedDocument.objects.create(
        title="Menus de novembre", category="menus", visibility="public", content_type="application/pdf",
        original_name="menus.pdf", size=10, file=ContentFile(pdf_bytes(), name="menus.pdf"),
    )
    rules = PublishedDocument.objects.create(
        title="Règlement intérieur 2025/2026", category="rules", visibility="families",
        content_type="application/pdf", original_name="reglement.pdf", size=10,
        file=ContentFile(pdf_bytes(), name="reglement.pdf"),
    )
    page = client.get(reverse("news:documents")).content.decode()
    assert "Menus de novembre" in page and "Règlement intérieur 2025/2026" not in page
    response = client.get(reverse("news:document", args=[menu.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("news:document", args=[rules.pk])).status_code == 404
    client.force_login(parent[0])
    page = client.get(reverse("news:documents")).content.decode()
    assert "Règlement intérieur 2025/2026" in page and "Ramassage" not in page
    assert client.get(reverse("news:document", args=[rules.pk])).status_code == 200


def test_news_index_query_count_is_bounded(client, parent, django_assert_max_num_queries):
    client.force_login(parent[0])
    client.get(reverse("news:index"))
    for i in range(3):
        _post(title=f"Actu {i}")
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("news:index"))
    for i in range(30):
        _post(title=f"Autre {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("news:index"))


def test_news_image_served_through_the_view(client):
    post = _post(title="Avec image", image_alt="Des enfants au parc")
    post.image.save("parc.png", ContentFile(png_bytes()))
    hidden = _post(title="Familles", audience=NewsPost.Audience.FAMILIES)
    hidden.image.save("x.png", ContentFile(png_bytes()))
    response = client.get(reverse("news:image", args=[post.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert 'alt="Des enfants au parc"' in client.get(reverse("news:detail", args=[post.pk])).content.decode()
    assert client.get(reverse("news:image", args=[hidden.pk])).status_code == 404


def test_excerpt_is_plain_text_escaped_once():
    """« Tarifs > 2025 » reads as typed: no literal « &gt; » once the page escapes the excerpt."""
    text = excerpt("Tarifs **> 2025** & <b>repas</b>")
    assert text == "Tarifs > 2025 & repas"
    assert Template("{{ t }}").render(Context({"t": text})) == "Tarifs &gt; 2025 &amp; repas"
