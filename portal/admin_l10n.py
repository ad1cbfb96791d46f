"""French touches Django's admin does not make by itself, applied to every admin page in one place.

- Elision in the titles Django builds from a model's name: « Ajout de activité » → « Ajout d’activité »,
  « Modification de unité » → « Modification d’unité » (Django's French catalogue formats « de %s »).
- The alt text of the yes/no icons of boolean columns, which Django writes from Python's ``True`` / ``False``
  / ``None``: « Oui », « Non », « Inconnu ».
"""
import re

from django.db import models

# ``formfield_overrides`` of an admin whose amounts staff type: « 25,00 » accepted and shown with a comma.
LOCALIZED_DECIMALS = {models.DecimalField: {"localize": True}}

_ELISION = re.compile(r"\b([Dd]e) (?=[aeiouyàâéèêëîïôûAEIOUYÀÂÉÈÊÎÔÛ])")
_BOOLEAN_ALT = {b'alt="True"': b'alt="Oui"', b'alt="False"': b'alt="Non"', b'alt="None"': b'alt="Inconnu"'}


def elide(text):
    """« de » before a vowel becomes « d’ » (« Ajout de actualité » → « Ajout d’actualité »)."""
    return _ELISION.sub(lambda match: match.group(1)[0] + "’", text)


def _boolean_alts(response):
    content = response.content
    for old, new in _BOOLEAN_ALT.items():
        content = content.replace(old, new)
    response.content = content
    return response


class AdminFrenchMiddleware:
    """On the admin's template responses: elided titles, and French alt texts on the yes/no icons."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        if getattr(request.resolver_match, "namespace", "") != "admin" or response.context_data is None:
            return response
        for key in ("title", "subtitle"):
            if isinstance(response.context_data.get(key), str):
                response.context_data[key] = elide(response.context_data[key])
        response.add_post_render_callback(_boolean_alts)
        return response
