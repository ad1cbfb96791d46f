import pytest

from families.tests.factories import StaffFactory, parent_with_family
from messaging import services
from messaging.models import Service, Thread
from messaging.tests.factories import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_send_a_message_with_attachment_then_read_the_reply(page, live_server, browser_login, axe_check):
    for name in ("Données du dossier famille", "Scolarité"):
        Service.objects.get_or_create(name=name)  # transactional tests flush the migration's rows
    user, family = parent_with_family(children=1)
    browser_login(page, user)
    page.goto(f"{live_server.url}/messagerie/")
    axe_check(page)
    page.get_by_role("link", name="Nous envoyer un message").click()
    page.wait_for_load_state()
    axe_check(page)
    page.get_by_label("Service").select_option(label="Données du dossier famille")
    page.get_by_label("Thème").select_option(label="Modifications")
    page.get_by_label("Objet").fill("Actualisation")
    page.get_by_label("Message").fill("Bonjour,\nVeuillez trouver ci-joint le justificatif de domicile.")
    page.get_by_label("1re pièce jointe").set_input_files(
        files=[{"name": "domicile.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_load_state()
    assert page.get_by_text("Votre message a bien été envoyé au service.").is_visible()
    assert page.get_by_role("link", name="domicile.pdf").is_visible()
    axe_check(page)

    thread = Thread.objects.get(family=family)
    services.message_reply_by_staff(thread=thread, staff_user=StaffFactory(), body="Merci, c'est enregistré.")
    page.goto(f"{live_server.url}/")
    assert page.get_by_text("Vous avez 1 message non lu").first.is_visible()
    page.goto(f"{live_server.url}/messagerie/")
    axe_check(page)
    page.get_by_role("link", name="Actualisation").click()
    page.wait_for_load_state()
    assert page.get_by_text("Merci, c'est enregistré.").is_visible()
    axe_check(page)


def test_staff_answers_from_the_staff_inbox(page, live_server, browser_login, staff_browser_login, axe_check):
    user, family = parent_with_family(children=1)
    services.thread_start_by_family(family=family, guardian=user.guardian, user=user,
                                    service=Service.objects.get_or_create(name="Scolarité")[0], theme="information",
                                    subject="Rentrée en CP", body="Quelle école ?")
    staff = StaffFactory()
    staff_browser_login(page, staff)
    page.goto(f"{live_server.url}/personnel/messagerie/")
    axe_check(page)
    page.get_by_role("link", name="Rentrée en CP").click()
    page.wait_for_load_state()
    axe_check(page)
    page.get_by_label("Votre réponse").fill("L'école Jules Ferry.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    page.wait_for_load_state()
    assert page.get_by_text("Réponse envoyée").is_visible()
