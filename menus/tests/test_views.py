import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from enrolment.models import Enrolment
from enrolment.tests.factories import StructureFactory
from families.tests.factories import ChildFactory
from menus.models import Dish, Menu
from messaging.tests.factories import pdf_bytes
from news.models import PublishedDocument
from portal.tests.pdfua import assert_pdf_ua

from .factories import MONDAY, declare, site_with_child, week_menu

pytestmark = pytest.mark.django_db


def _page(client, structure=None, week=MONDAY):
    url = reverse("menus:site", args=[structure.pk]) if structure else reverse("menus:index")
    return client.get(url, {"semaine": week.isoformat()} if week else {})


def test_parent_sees_the_week_with_allergens_written_out_and_labels(parent_client, parent):
    child = parent[1].children.first()
    site = site_with_child(child)
    week_menu(site)
    response = _page(parent_client)
    html = response.content.decode()
    assert response.status_code == 200
    assert site.name in html and "Semaine du lundi 9 mars au vendredi 13 mars 2026" in html
    assert "Lundi 9 mars" in html and "Mercredi 11 mars" not in html  # no lunch that day
    assert "Poisson pané 0" in html and "Allergènes : œufs, poissons, gluten" not in html
    assert "Allergènes : gluten, œufs, poissons" in html  # in the annex's order
    assert "Sans allergène réglementaire" in html
    assert "Bio" in html and "Fait maison" in html and "Végétarien" in html and "Local" in html
    assert "Attention" not in html  # no allergy declared
    assert "Aucun plat de la semaine ne contient un allergène déclaré" in html


def test_dishes_with_a_declared_allergen_are_pointed_out_in_words(parent_client, parent):
    child = parent[1].children.first()
    declare(child, allergies="Fruits à coque (PAI)", codes="nuts")
    site = site_with_child(child)
    week_menu(site)
    html = _page(parent_client).content.decode()
    assert html.count(f"Attention {child.first_name} : contient fruits à coque") == 4  # the cake, four days
    assert html.count("menu-dish-alert") == 4
    assert "Cette semaine, 4 plats contiennent un allergène déclaré pour vos enfants" in html
    assert f"<strong>{child.first_name}</strong> :\n      fruits à coque" in html


def test_two_children_each_named_on_the_dishes_they_cannot_eat(parent_client, parent):
    family = parent[1]
    first = family.children.first()
    second = ChildFactory(family=family, first_name="Zoé")
    declare(first, codes="fish")
    declare(second, codes="eggs,milk")
    site = site_with_child(first)

    enrolment = Enrolment.objects.get(child=first)
    Enrolment.objects.create(child=second, activity=enrolment.activity, group=enrolment.group, status="validated",
                             requested_at=enrolment.requested_at)
    week_menu(site, days=(0,))
    html = _page(parent_client).content.decode()
    assert f"Attention {first.first_name} : contient poissons" in html
    assert "Attention Zoé : contient œufs" in html  # the fish
    assert "Attention Zoé : contient œufs, lait" in html  # the cake


def test_free_text_allergies_outside_the_list_are_said_not_to_be_checked(parent_client, parent):
    child = parent[1].children.first()
    declare(child, allergies="Kiwi")
    site = site_with_child(child)
    week_menu(site)
    html = _page(parent_client).content.decode()
    assert "aucun des 14 allergènes réglementaires" in html
    assert "« Kiwi »" in html and "ne sont pas repérées sur les menus" in html


def test_unpublished_menus_and_other_weeks_do_not_show(parent_client, parent):
    child = parent[1].children.first()
    site = site_with_child(child)
    week_menu(site, published=False)
    week_menu(site, monday=MONDAY + datetime.timedelta(days=7))
    html = _page(parent_client, site).content.decode()
    assert "Pas de menu publié pour cette semaine" in html and "Poisson pané" not in html
    html = _page(parent_client, site, MONDAY + datetime.timedelta(days=9)).content.decode()
    assert "Poisson pané 0" in html and "Semaine du lundi 16 mars" in html


def test_family_without_a_site_with_menus(parent_client, parent):
    child = parent[1].children.first()
    site_with_child(child)  # enrolled, but the site has published nothing
    html = _page(parent_client).content.decode()
    assert "Aucun menu n'est publié pour les équipements où vos enfants sont inscrits" in html


def test_another_site_answers_404_and_a_bad_week_a_message(parent_client, parent, other_family):
    child = parent[1].children.first()
    site = site_with_child(child)
    week_menu(site)
    other_site = site_with_child(other_family[1].children.first(), name="Autre école")
    week_menu(other_site)
    assert _page(parent_client, other_site).status_code == 404
    assert parent_client.get(reverse("menus:month_pdf", args=[other_site.pk, 2026, 3])).status_code == 404
    response = parent_client.get(reverse("menus:site", args=[site.pk]), {"semaine": "pas-une-date"})
    assert response.status_code == 200
    assert "Cette date n&#x27;a pas été comprise" in response.content.decode()
    for year, month in ((2026, 13), (10**19, 1), (0, 5)):
        assert parent_client.get(reverse("menus:month_pdf", args=[site.pk, year, month])).status_code == 404


def test_site_selector_when_children_go_to_several_sites(parent_client, parent):
    family = parent[1]
    first = family.children.first()
    school = site_with_child(first, name="École Jules Ferry")
    centre = site_with_child(first, name="Centre Les Castors")
    week_menu(school)
    week_menu(centre, days=(2,))
    html = _page(parent_client).content.decode()
    assert 'aria-label="Équipements"' in html and "École Jules Ferry" in html and "Centre Les Castors" in html
    html = _page(parent_client, centre).content.decode()
    assert "Mercredi 11 mars" in html


def test_staff_and_anonymous_do_not_reach_the_parent_page(client, staff_user):
    response = client.get(reverse("menus:index"))
    assert response.status_code == 302 and "/compte/login/" in response.url
    client.force_login(staff_user)
    assert client.get(reverse("menus:index")).status_code == 404


def test_month_pdf_is_a4_tagged_with_the_warnings(parent_client, parent):
    child = parent[1].children.first()
    declare(child, codes="nuts")
    site = site_with_child(child)
    week_menu(site)
    week_menu(site, monday=MONDAY + datetime.timedelta(days=7))
    response = parent_client.get(reverse("menus:month_pdf", args=[site.pk, 2026, 3]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    reader = assert_pdf_ua(response.content, title=f"Menus de mars 2026 – {site.name}")
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Semaine du 9 mars" in text and "Semaine du 16 mars" in text
    assert "Gâteau aux amandes 0" in text and f"ATTENTION {child.first_name} : contient fruits à coque" in text


def _many(parent, other_family, n_weeks):
    family = parent[1]
    for i in range(3):
        ChildFactory(family=family)
    sites = []
    for i, child in enumerate(family.children.all()):
        declare(child, codes="nuts,milk")
        sites.append(site_with_child(child, name=f"Site {i}"))
    for site in sites:
        for week in range(n_weeks):
            week_menu(site, monday=MONDAY + datetime.timedelta(days=7 * week))
    other_site = site_with_child(other_family[1].children.first(), name="Autre")
    week_menu(other_site)
    return sites


@pytest.mark.parametrize("n_weeks", [1, 8])
def test_menus_page_and_pdf_run_a_bounded_number_of_queries(parent_client, parent, other_family, n_weeks,
                                                             django_assert_max_num_queries):
    sites = _many(parent, other_family, n_weeks)
    assert Dish.objects.count() >= 16 * len(sites) * n_weeks
    _page(parent_client, sites[0])  # the organisation row is created on the first page ever
    # session, user, sites, children with their health sheets, dishes, notes, configuration version,
    # organisation, the navigation's badge
    with django_assert_max_num_queries(9):
        response = _page(parent_client, sites[0])
    assert response.status_code == 200 and "Attention" in response.content.decode()
    with django_assert_max_num_queries(8):
        response = parent_client.get(reverse("menus:month_pdf", args=[sites[0].pk, 2026, 3]))
    assert response.status_code == 200


def test_admin_enters_a_menu_with_dishes_and_copies_it(client, staff_user):
    site = StructureFactory(name="Cantine", kind="catering")
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    add = client.get(reverse("admin:menus_menu_add"))
    assert add.status_code == 200 and "Arachides" in add.content.decode()
    prefix = "dishes"
    data = {
        "structure": site.pk, "title": "Menus de mars", "starts_on": "09/03/2026", "ends_on": "13/03/2026",
        "is_published": "on", "notes": "",
        f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-day": "09/03/2026", f"{prefix}-0-course": "main", f"{prefix}-0-name": "Omelette",
        f"{prefix}-0-allergens": ["eggs", "milk"], f"{prefix}-0-is_vegetarian": "on",
        f"{prefix}-1-day": "20/03/2026", f"{prefix}-1-course": "dessert", f"{prefix}-1-name": "Pomme",
    }
    response = client.post(reverse("admin:menus_menu_add"), data)
    assert response.status_code == 200  # the second dish is outside the period
    assert "Ce jour n&#x27;est pas dans la période du menu" in response.content.decode()
    data[f"{prefix}-1-day"] = "10/03/2026"
    response = client.post(reverse("admin:menus_menu_add"), data)
    assert response.status_code == 302
    menu = Menu.objects.get()
    omelette = menu.dishes.get(name="Omelette")
    assert omelette.allergens == "eggs,milk" and omelette.is_vegetarian and omelette.allergen_names == "Œufs, lait"
    response = client.post(reverse("admin:menus_menu_changelist"),
                           {"action": "copy_to_next_week", "_selected_action": [menu.pk]})
    assert response.status_code == 302
    copy = Menu.objects.exclude(pk=menu.pk).get()
    assert copy.starts_on == datetime.date(2026, 3, 16) and not copy.is_published
    assert sorted(copy.dishes.values_list("day", "name", "allergens")) == [
        (datetime.date(2026, 3, 16), "Omelette", "eggs,milk"), (datetime.date(2026, 3, 17), "Pomme", ""),
    ]
    assert client.get(reverse("admin:menus_menu_changelist")).status_code == 200


def test_documents_page_points_from_the_menu_pdfs_to_the_menus_page(parent_client):
    PublishedDocument.objects.create(
        title="Menus de novembre", category="menus", visibility="public", content_type="application/pdf",
        original_name="menus.pdf", size=10, file=ContentFile(pdf_bytes(), name="menus.pdf"),
    )
    html = parent_client.get(reverse("news:documents")).content.decode()
    assert "Menus de novembre" in html  # the PDF stays
    assert f'href="{reverse("menus:index")}"' in html
