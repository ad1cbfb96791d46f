"""Pure rules of the commission (no ORM)."""


def age_in_months(birth, day):
    """Completed months of a child born (or expected) on ``birth`` at ``day``; negative before birth."""
    months = (day.year - birth.year) * 12 + (day.month - birth.month)
    if day.day < birth.day:
        months -= 1
    return months


def section_fits(months, min_months, max_months):
    return min_months <= months < max_months
