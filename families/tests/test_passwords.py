"""The password policy (seed 002): 8 characters, upper, lower, digit, not common, not like the name/e-mail."""
import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError


@pytest.fixture
def user():
    return User(username="claire.martinez@example.org", email="claire.martinez@example.org",
                first_name="Claire", last_name="Martinez")


def messages_for(password, user):
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.parametrize("password, expected", [
    ("Ab1cd", "Ce mot de passe est trop court. Il doit contenir au minimum 8 caractères."),
    ("abcdefgh12", "Le mot de passe doit contenir au moins une lettre majuscule."),
    ("ABCDEFGH12", "Le mot de passe doit contenir au moins une lettre minuscule."),
    ("Abcdefghijk", "Le mot de passe doit contenir au moins un chiffre."),
    ("Password1", "Ce mot de passe est trop courant."),
    ("12345678901", "Ce mot de passe est entièrement numérique."),
])
def test_each_rule_refuses_with_a_french_message(user, password, expected):
    assert expected in messages_for(password, user)


def test_password_too_similar_to_the_name_is_refused(user):
    msgs = messages_for("Martinez2025", user)
    assert any("trop semblable" in m for m in msgs), msgs


def test_password_too_similar_to_the_email_is_refused(user):
    msgs = messages_for("Claire.Martinez@exa1", user)
    assert any("trop semblable" in m for m in msgs), msgs


def test_a_good_password_passes(user):
    assert messages_for("Vxz-Plouf-93", user) == []


def test_help_texts_are_french():
    texts = " ".join(password_validators_help_texts())
    assert "au moins une majuscule, une minuscule et un chiffre" in texts
    assert "8 caractères" in texts
