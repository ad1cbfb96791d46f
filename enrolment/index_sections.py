"""Sections other apps add to the parent's « Inscriptions » page (the crèche's pre-enrolments, …).

An app above enrolment registers ``func(request) -> dict | None`` from its ``AppConfig.ready`` with
``register_section``; the dict carries ``template`` (included at the top of the page, with the dict as
``section``) and ``order``. Enrolment never imports the apps that fill it.
"""
_sections = []


def register_section(func):
    if func not in _sections:
        _sections.append(func)
    return func


def index_sections(request):
    sections = [s for s in (func(request) for func in _sections) if s]
    return sorted(sections, key=lambda s: s.get("order", 100))
