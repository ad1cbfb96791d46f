"""School holidays imported per school year from vacances-scolaires-france (its data ships with the package:
these tests run offline), with nothing to tick in the admin."""
import datetime

import pytest
from django.urls import reverse

from enrolment.models import SchoolHoliday
from enrolment.services.calendar import school_holidays_import, school_year_holidays
from portal.errors import EnrolmentError
from portal.models import AuditLog, Organisation

D = datetime.date
pytestmark = pytest.mark.django_db

# The official calendar of 2027/2028, zone A (Bulletin officiel, as shipped by the package).
ZONE_A_2027 = [
    ("Vacances de la Toussaint", D(2027, 10, 23), D(2027, 11, 7)),
    ("Vacances de Noël", D(2027, 12, 18), D(2028, 1, 2)),
    ("Vacances d'hiver", D(2028, 2, 19), D(2028, 3, 5)),
    ("Vacances de printemps", D(2028, 4, 22), D(2028, 5, 8)),
    ("Pont de l'Ascension", D(2028, 5, 26), D(2028, 5, 27)),
    ("Vacances d'été", D(2028, 7, 4), D(2028, 8, 31)),
]


def _rows():
    return list(SchoolHoliday.objects.order_by("start_date").values_list("name", "start_date", "end_date"))


def test_a_school_year_runs_from_toussaint_to_summer_with_christmas_whole():
    assert school_year_holidays(zone="A", school_year=2027) == ZONE_A_2027


def test_the_zone_of_the_organisation_decides_winter_and_spring():
    zone_c = dict((n, (s, e)) for n, s, e in school_year_holidays(zone="C", school_year=2027))
    assert zone_c["Vacances d'hiver"] == (D(2028, 2, 12), D(2028, 2, 27))
    org = Organisation.current()
    org.school_zone = "C"
    org.save()
    school_holidays_import(school_year=2027)
    assert SchoolHoliday.objects.get(name="Vacances d'hiver").start_date == D(2028, 2, 12)


def test_import_on_an_empty_table_then_again(staff_user):
    assert school_holidays_import(school_year=2027, by=staff_user) == (6, 0)
    assert _rows() == ZONE_A_2027
    assert school_holidays_import(school_year=2027, by=staff_user) == (0, 0)
    assert _rows() == ZONE_A_2027
    entry = AuditLog.objects.filter(action="enrolment.school_holidays_import").first()
    assert entry.actor == staff_user and entry.new_values["school_year"] == 2027


def test_a_christmas_cut_at_new_year_is_put_right():
    SchoolHoliday.objects.create(name="Noël", start_date=D(2027, 12, 18), end_date=D(2027, 12, 31))
    SchoolHoliday.objects.create(name="Été", start_date=D(2027, 7, 3), end_date=D(2027, 8, 31))  # last year's
    assert school_holidays_import(school_year=2027) == (5, 1)
    assert SchoolHoliday.objects.get(name="Vacances de Noël").end_date == D(2028, 1, 2)
    assert SchoolHoliday.objects.filter(name="Été").exists()


def test_a_school_year_the_package_does_not_have_is_refused():
    with pytest.raises(EnrolmentError, match="2099/2100"):
        school_holidays_import(school_year=2099)
    assert not SchoolHoliday.objects.exists()


class TestAdmin:
    @pytest.fixture
    def staff_client(self, client, admin_user):
        client.force_login(admin_user)
        return client

    def test_the_list_offers_the_import_with_nothing_selected(self, staff_client, time_machine):
        time_machine.move_to(datetime.datetime(2026, 12, 3, 10, tzinfo=datetime.timezone.utc))
        page = staff_client.get(reverse("admin:enrolment_schoolholiday_changelist")).content.decode()
        assert reverse("admin:enrolment_schoolholiday_import") in page
        form = staff_client.get(reverse("admin:enrolment_schoolholiday_import")).content.decode()
        assert "2027/2028" in form and "zone A" in form
        response = staff_client.post(reverse("admin:enrolment_schoolholiday_import"), {"school_year": "2027"},
                                     follow=True)
        assert "Vacances scolaires 2027/2028 : 6 période(s) ajoutée(s), 0 corrigée(s)." in response.content.decode()
        assert _rows() == ZONE_A_2027

    def test_a_bad_year_is_a_form_error(self, staff_client):
        response = staff_client.post(reverse("admin:enrolment_schoolholiday_import"), {"school_year": "1800"})
        assert response.status_code == 200 and not SchoolHoliday.objects.exists()
