"""The staff family page (« fiche famille ») and the sections other apps contribute to it.

families sits low in the layers, so it cannot read invoices, bookings or messages itself: each app registers
``func(family, today) -> dict | None`` returning ``{"order": int, "title": str, "template": "app/_staff_family.html",
...context}`` from its ``AppConfig.ready`` (like ``portal.dashboard``'s home blocks). Each section reads a bounded
number of rows in a fixed number of queries, so the page's query count does not grow with the family's history.
"""
_sections = []


def register_section(func):
    _sections.append(func)
    return func


def family_sections(family, today):
    sections = [section for func in _sections if (section := func(family, today)) is not None]
    return sorted(sections, key=lambda section: section["order"])
