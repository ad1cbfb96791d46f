import datetime

from identity import rules


def test_names_are_compared_without_accents_case_or_hyphens():
    assert rules.normalise_name("  Hélène-Marie d'ARC ") == "helene marie d arc"


def test_the_first_given_name_or_all_of_them_match():
    common = {"family_name": "Martin", "birthdate": "1986-04-12", "guardian_last_name": "MARTIN",
              "guardian_birth_date": datetime.date(1986, 4, 12)}
    assert rules.identity_differences(given_name="Claire Hélène", guardian_first_name="claire", **common) == []
    assert rules.identity_differences(given_name="Claire Hélène", guardian_first_name="Claire-Hélène", **common) == []
    assert rules.identity_differences(given_name="Hélène Claire", guardian_first_name="Claire", **common)


def test_each_difference_is_told():
    differences = rules.identity_differences(
        given_name="Julie", family_name="Durand", birthdate="1990-01-01", guardian_first_name="Claire",
        guardian_last_name="Martin", guardian_birth_date=datetime.date(1986, 4, 12))
    assert len(differences) == 3
    assert rules.identity_differences(
        given_name="Claire", family_name="Martin", birthdate="1986-04-12", guardian_first_name="Claire",
        guardian_last_name="Martin", guardian_birth_date=None) == [
        "votre date de naissance n'est pas renseignée dans votre dossier"]


def test_an_incomplete_birthdate_matches_nothing():
    assert rules.parse_birthdate("1986-04-00") is None
    assert rules.parse_birthdate("1986-04-12") == datetime.date(1986, 4, 12)
