"""The demo data registry: each app registers how it loads its part (``manage.py demo_data``).

An app's ``demo.py`` calls ``register(populate, order=...)``, ``populate(stdout=, rng=)`` loading its rows
(apps run by ``order``: an app's data after the data it builds on). The app that owns the families also
tells whether the database already holds real or demo data (``presence``) and prints the demo logins
(``logins``): core knows no app.
"""

_steps = []  # [(order, name, populate)]
_presence = []  # [func() -> "real" | "demo" | None]
_logins = []  # [func(stdout)]


def register(populate, *, order, name=None, presence=None, logins=None):
    """Register ``populate(stdout=, rng=)``; ``presence()`` answers "real" when the database holds real
    data (the command then refuses to run), "demo" when the demo is already loaded, None when neither;
    ``logins(stdout)`` prints the accounts to log in with."""
    name = name or populate.__module__
    _steps[:] = [step for step in _steps if step[1] != name]  # registered again (a reload): replaced
    _steps.append((order, name, populate))
    _steps.sort(key=lambda step: (step[0], step[1]))
    if presence is not None and presence not in _presence:
        _presence.append(presence)
    if logins is not None and logins not in _logins:
        _logins.append(logins)


def steps():
    """[(name, populate)] in loading order."""
    return [(name, populate) for _order, name, populate in _steps]


def presence():
    """"real" if any app holds real data, else "demo" if any holds demo data, else None."""
    answers = {check() for check in _presence}
    return "real" if "real" in answers else "demo" if "demo" in answers else None


def print_logins(stdout):
    for logins in _logins:
        logins(stdout)
