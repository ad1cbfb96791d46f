import datetime

from django import forms

MAX_DAYS = 400  # a year and a little: every read of a report stays bounded


class DateInput(forms.DateInput):
    input_type = "date"

    def format_value(self, value):
        return value.isoformat() if isinstance(value, datetime.date) else value


class ReportPeriodForm(forms.Form):
    """An activity (from the list given) and a period of at most about a year."""

    activite = forms.TypedChoiceField(label="Activité", coerce=int, required=False)
    du = forms.DateField(label="Du", widget=DateInput())
    au = forms.DateField(label="Au", widget=DateInput())

    def __init__(self, *args, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activite"].choices = [("", "— Choisir —")] + [(a.pk, a.name) for a in activities]
        self.activities = {a.pk: a for a in activities}

    def clean(self):
        data = super().clean()
        start, end = data.get("du"), data.get("au")
        if start and end:
            if end < start:
                raise forms.ValidationError("La fin de la période est avant son début.")
            if (end - start).days > MAX_DAYS:
                raise forms.ValidationError("Choisissez une période d'un an au plus.")
        data["activity"] = self.activities.get(data.get("activite"))
        return data
