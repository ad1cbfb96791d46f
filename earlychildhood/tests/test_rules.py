import datetime

from earlychildhood.rules import age_in_months, section_fits


def test_age_in_months():
    born = datetime.date(2026, 1, 31)
    assert age_in_months(born, datetime.date(2026, 2, 28)) == 0
    assert age_in_months(born, datetime.date(2026, 3, 31)) == 2
    assert age_in_months(born, datetime.date(2025, 12, 31)) == -1  # not born yet
    assert section_fits(2, 0, 15) and not section_fits(15, 0, 15)
