"""Pure rules: does an identity returned by FranceConnect match a guardian's file? No ORM here."""
import datetime
import re
import unicodedata


def normalise_name(text):
    """« Hélène-Marie  d'Arc » → "helene marie d arc": no accents, no case, hyphens and apostrophes as spaces."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z]+", " ", text).split())


def parse_birthdate(value):
    """FranceConnect's birthdate (YYYY-MM-DD; YYYY-MM-00 or YYYY-00-00 when the day or month is unknown)."""
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return None


def identity_differences(*, given_name, family_name, birthdate, guardian_first_name, guardian_last_name,
                         guardian_birth_date):
    """The list of differences (French, for the parent) between the identity and the file; empty when they match.

    The first name matches if it is FranceConnect's first given name or all of them; the surname is the birth
    name FranceConnect returns, so a guardian file under a married name differs (staff can confirm it)."""
    differences = []
    given = normalise_name(given_name)
    first = normalise_name(guardian_first_name)
    if not first or first not in (given, given.split(" ")[0] if given else ""):
        differences.append(f"le prénom diffère (FranceConnect : « {given_name} », dossier : « {guardian_first_name} »)")
    if normalise_name(family_name) != normalise_name(guardian_last_name):
        differences.append(f"le nom diffère (FranceConnect : « {family_name} », dossier : « {guardian_last_name} »)")
    born = parse_birthdate(birthdate)
    if guardian_birth_date is None:
        differences.append("votre date de naissance n'est pas renseignée dans votre dossier")
    elif born != guardian_birth_date:
        differences.append("la date de naissance diffère de celle de votre dossier")
    return differences
