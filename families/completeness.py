"""Is a family file complete? Some activities require it before an enrolment (``requires_complete_file``).

What makes a file complete is asked for by apps above families (the documents app: required documents and
consents), so they register their check here from their ``AppConfig.ready``; families knows none of them.
With no check registered, every file is complete.
"""
_checks = []


def register_check(check):
    """Register ``check(family=, now=) -> bool``: True when the family has provided what the app asks for."""
    if check not in _checks:
        _checks.append(check)
    return check


def family_file_complete(*, family, now=None):
    return all(check(family=family, now=now) for check in _checks)
