from .models import Organisation
from .navigation import nav_badges


def portal(request):
    org = getattr(request, "_organisation", None)
    if org is None:
        org = request._organisation = Organisation.current()
    return {"organisation": org, "nav_badges": nav_badges(request)}
