"""« Mes demandes »: every request a family made, whatever the app that keeps it, in one list.

families keeps the change requests of the family file; the apps above it (enrolment: booking requests,
absences with a certificate, enrolments) register a source here from their ``AppConfig.ready``, so families
imports none of them. A source is ``func(*, family, since, kind)`` and returns ``RequestItem`` rows: the
requests asked or decided since ``since`` plus every one still waiting for the service, read in one query
(or a small fixed number), whatever the family's history.

Each source belongs to a section of the page: « Mon dossier » (the family file) or « Mes enfants » (what is
asked for a child: bookings, absences, enrolments), and offers the filter values it answers (``kinds``).
"""
import datetime
from dataclasses import dataclass
from typing import Callable

DOSSIER = "dossier"
CHILDREN = "children"
SECTIONS = {DOSSIER: "Mon dossier", CHILDREN: "Mes enfants"}

PENDING, ACCEPTED, REFUSED = "pending", "accepted", "refused"
# The status in a parent's words.
STATUS_WORDS = {PENDING: "en attente de réponse du service", ACCEPTED: "acceptée", REFUSED: "refusée"}


@dataclass(frozen=True)
class RequestItem:
    """One request as the parent sees it, read only."""

    key: str  # unique in the page (HTML ids): "<source>-<pk>"
    kind_label: str  # « Réservation », « Absence », « Responsable légal »…
    title: str  # what is asked: the activity, the person or the part of the file
    asked_at: datetime.datetime
    status: str  # PENDING, ACCEPTED or REFUSED
    child_name: str = ""
    days: tuple = ()  # the day(s) concerned, dates in order
    decided_at: datetime.datetime | None = None
    refusal_reason: str = ""
    note: str = ""  # a line of detail (« appliquée immédiatement », the reason the parent gave)
    url: str = ""  # where to see or act on it
    link_text: str = ""
    changes: tuple = ()  # (label, old value, new value) rows of a change of the family file

    @property
    def status_words(self):
        return STATUS_WORDS[self.status]


@dataclass(frozen=True)
class RequestSource:
    key: str
    label: str
    section: str
    func: Callable
    kinds: tuple  # ((filter value, label), …) this source answers


_sources = {}


def register_request_source(key, label, func=None, *, section=CHILDREN, kinds=None):
    """Register ``func(*, family, since, kind) -> [RequestItem]`` under ``key``. ``kinds`` are the filter values
    the source answers (by default its key alone, labelled ``label``); ``kind`` is one of them or None.
    Usable as a decorator."""
    if section not in SECTIONS:
        raise ValueError(f"Unknown section {section!r}")

    def register(f):
        _sources[key] = RequestSource(key, label, section, f, tuple(kinds or ((key, label),)))
        return f

    return register(func) if func else register


def filter_choices():
    """The filter's choices grouped by section, for a ChoiceField: all, then « Mon dossier », « Mes enfants »."""
    choices = [("", "Toutes les demandes")]
    for section, section_label in SECTIONS.items():
        group = [kind for source in _sources.values() if source.section == section for kind in source.kinds]
        if group:
            choices.append((section_label, group))
    return choices


def family_request_list(*, family, kind=None, since):
    """{section: [RequestItem, newest asked first]} for each section with a source that answers ``kind`` (every
    source when it is empty), in the order of SECTIONS: one query per source."""
    answering = [source for source in _sources.values()
                 if not kind or kind in {value for value, _ in source.kinds}]
    sections = {section: [] for section in SECTIONS if any(source.section == section for source in answering)}
    for source in answering:
        sections[source.section].extend(source.func(family=family, since=since, kind=kind or None))
    for items in sections.values():
        items.sort(key=lambda item: item.asked_at, reverse=True)
    return sections
