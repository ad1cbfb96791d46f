"""A mass message in a browser: written by staff, previewed, sent; it reaches the right families' inboxes,
the outbox and the fake SMS provider. Both sizes, axe on every page."""
import datetime

import pytest

from enrolment.tests.factories import ActivityFactory, GroupFactory, enrol
from families.tests.factories import PASSWORD, ChildFactory, StaffFactory, parent_with_family
from messaging.models import Service, SmsMessage
from portal.models import OutboundEmail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_mass_message_reaches_inboxes_outbox_and_sms(page, browser, live_server, browser_login, staff_browser_login,
                                                      axe_check, browser_context_args, screen):
    Service.objects.get_or_create(name="Accueil de loisirs")
    next_year = datetime.date.today().replace(month=1, day=1) + datetime.timedelta(days=500)
    activity = ActivityFactory(name="Mercredis Bourg", season_end=next_year)
    sun, moon = GroupFactory(activity=activity, name="Soleil"), GroupFactory(activity=activity, name="Lune")
    reached, _ = parent_with_family(children=0)
    reached.guardian.family.allow_sms = True
    reached.guardian.family.save()
    enrol(ChildFactory(family=reached.guardian.family), activity, sun)
    no_sms, _ = parent_with_family(children=0)
    enrol(ChildFactory(family=no_sms.guardian.family), activity, sun)
    elsewhere, _ = parent_with_family(children=0)
    enrol(ChildFactory(family=elsewhere.guardian.family), activity, moon)
    staff = StaffFactory()

    staff_browser_login(page, staff)
    page.locator("#pages-du-service").get_by_role("link", name="Messages groupés").click()
    page.wait_for_load_state()
    axe_check(page)
    page.get_by_role("link", name="Écrire à plusieurs familles").click()
    page.wait_for_load_state()
    axe_check(page)
    page.get_by_label("Les familles d'un groupe").check()
    page.get_by_label("Groupe", exact=True).select_option(label="Mercredis Bourg – Soleil")
    page.get_by_label("Objet").fill("Sortie à la ferme")
    page.get_by_label("Message (Messagerie et e-mail)").fill("Sortie à la ferme mercredi : bottes obligatoires.")
    page.get_by_label("Envoyer aussi un SMS").check()
    page.get_by_label("Texte du SMS").fill("Sortie ferme mercredi : bottes obligatoires.")
    page.get_by_role("button", name="Voir les destinataires").click()
    page.wait_for_load_state()
    status = page.get_by_role("status")
    assert "2 famille(s)" in status.inner_text() and "2 e-mail(s)" in status.inner_text()
    assert "1 SMS" in status.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page)
    page.get_by_role("button", name="Envoyer à 2 famille(s)").click()
    page.wait_for_load_state()
    assert page.get_by_text("Message « Sortie à la ferme » envoyé.").is_visible()
    assert page.get_by_role("row", name="Sortie à la ferme").get_by_role("cell").nth(2).inner_text() == "2"
    axe_check(page)
    page.get_by_role("link", name="SMS envoyés").click()
    page.wait_for_load_state()
    assert page.get_by_role("row", name="+33612345678").is_visible()
    assert page.get_by_text("Démonstration (non envoyé)").is_visible()
    axe_check(page)

    assert sorted(OutboundEmail.objects.filter(template="message_to_family").values_list("to", flat=True)) == sorted(
        [reached.email, no_sms.email])
    assert list(SmsMessage.objects.values_list("to", "status", "provider")) == [("+33612345678", "sent", "fake")]

    # The families of the group find it in their Messagerie; the other group's family does not.
    for user, sees in ((reached, True), (no_sms, True), (elsewhere, False)):
        context = browser.new_context(**browser_context_args)
        parent_page = context.new_page()
        browser_login(parent_page, user, PASSWORD)
        parent_page.goto(f"{live_server.url}/messagerie/")
        assert parent_page.get_by_role("link", name="Sortie à la ferme").count() == (1 if sees else 0)
        if sees:
            axe_check(parent_page)
        context.close()
