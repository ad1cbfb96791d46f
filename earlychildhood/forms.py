"""Input shape and field validation only; the rules live in services and pricing."""
import datetime

from django import forms

from families.models import Child

from .models import WEEKDAYS, Criterion, Decision, Nursery, SessionPlaces

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class StyledForm(forms.Form):
    """Bootstrap classes on every widget (the templates render ``{{ field }}``)."""

    def style(self):
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css


class PreEnrolmentForm(StyledForm):
    child = forms.ModelChoiceField(
        label="Enfant", queryset=Child.objects.none(), required=False,
        empty_label="Un enfant à naître", help_text="Choisissez « Un enfant à naître » pour une demande avant la naissance.",
    )
    expected_birth_date = forms.DateField(label="Naissance prévue le", required=False, widget=DATE)
    expected_first_name = forms.CharField(label="Prénom envisagé (facultatif)", required=False, max_length=100)
    wished_start = forms.DateField(label="Date d'entrée souhaitée", widget=DATE)
    nursery_1 = forms.ModelChoiceField(label="Crèche – 1er choix", queryset=Nursery.objects.none(),
                                       empty_label="— Choisir une crèche —")
    nursery_2 = forms.ModelChoiceField(label="Crèche – 2e choix (facultatif)", queryset=Nursery.objects.none(),
                                       required=False, empty_label="— Aucune —")
    nursery_3 = forms.ModelChoiceField(label="Crèche – 3e choix (facultatif)", queryset=Nursery.objects.none(),
                                       required=False, empty_label="— Aucune —")
    criteria = forms.ModelMultipleChoiceField(
        label="Votre situation", queryset=Criterion.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
    )
    monthly_resources = forms.DecimalField(
        label="Ressources mensuelles du foyer (€, facultatif)", required=False, min_value=0, max_digits=10,
        decimal_places=2, help_text="Revenus de l'année N-2 divisés par 12 ; sans cette information le tarif plafond s'applique.",
    )
    dependent_children = forms.IntegerField(label="Enfants à charge (y compris celui-ci)", min_value=1, max_value=20, initial=1)
    disabled_children = forms.IntegerField(label="Dont enfants bénéficiaires de l'AEEH", min_value=0, max_value=20, initial=0)

    def __init__(self, *args, family, nurseries, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = Child.objects.for_family(family).filter(is_active=True)
        for name in ("nursery_1", "nursery_2", "nursery_3"):
            self.fields[name].queryset = nurseries
        self.fields["criteria"].queryset = criteria
        self.fields["criteria"].label_from_instance = lambda c: f"{c.label} ({c.weight} points)"
        for i, day in enumerate(WEEKDAYS):
            self.fields[f"day_{i}"] = forms.BooleanField(label=day, required=False)
            self.fields[f"start_{i}"] = forms.TimeField(label=f"{day} : arrivée", required=False, widget=TIME)
            self.fields[f"end_{i}"] = forms.TimeField(label=f"{day} : départ", required=False, widget=TIME)
        self.style()

    def days(self):
        return [(self[f"day_{i}"], self[f"start_{i}"], self[f"end_{i}"]) for i in range(len(WEEKDAYS))]

    def clean(self):
        data = super().clean()
        schedule = {}
        for i, day in enumerate(WEEKDAYS):
            if not data.get(f"day_{i}"):
                continue
            start, end = data.get(f"start_{i}"), data.get(f"end_{i}")
            if start is None or end is None:
                self.add_error(f"start_{i}", f"{day} : indiquez l'heure d'arrivée et l'heure de départ.")
            elif end <= start:
                self.add_error(f"end_{i}", f"{day} : le départ doit suivre l'arrivée.")
            else:
                schedule[str(i)] = [start.strftime("%H:%M"), end.strftime("%H:%M")]
        data["schedule"] = schedule
        if (data.get("disabled_children") or 0) > (data.get("dependent_children") or 0):
            self.add_error("disabled_children", "Ce nombre ne peut pas dépasser celui des enfants à charge.")
        return data

    @staticmethod
    def initial_from(pre):
        initial = {f: getattr(pre, f) for f in ("child", "expected_birth_date", "expected_first_name", "wished_start",
                                                  "nursery_1", "nursery_2", "nursery_3", "monthly_resources",
                                                  "dependent_children", "disabled_children")}
        initial["criteria"] = list(pre.criteria.all())
        for key, (start, end) in pre.schedule.items():
            initial[f"day_{key}"] = True
            initial[f"start_{key}"], initial[f"end_{key}"] = start, end
        return initial


class BirthForm(StyledForm):
    first_name = forms.CharField(label="Prénom", max_length=100)
    last_name = forms.CharField(label="Nom", max_length=100)
    birth_date = forms.DateField(label="Date de naissance", widget=DATE)
    sex = forms.ChoiceField(label="Sexe", choices=Child.Sex.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class DecisionForm(StyledForm):
    kind = forms.ChoiceField(label="Décision", choices=Decision.Kind.choices)
    places = forms.ModelChoiceField(label="Place proposée", queryset=SessionPlaces.objects.none(), required=False,
                                    empty_label="—")
    reason = forms.CharField(label="Motif (refus)", required=False, max_length=300)

    def __init__(self, *args, session, prefix=None, places=None, **kwargs):
        """``places``: the session's places, read once for a page of many forms (no query per form)."""
        super().__init__(*args, prefix=prefix, **kwargs)
        field = self.fields["places"]
        field.queryset = SessionPlaces.objects.filter(session=session).select_related("section__nursery__structure")
        field.label_from_instance = lambda p: f"{p.section} – dès le {p.start_date:%d/%m/%Y}"
        if places is not None:
            field.choices = [("", "—")] + [(p.pk, field.label_from_instance(p)) for p in places]
        self.style()


class AttendanceForm(StyledForm):
    contract = forms.IntegerField(widget=forms.HiddenInput)
    arrival = forms.TimeField(label="Arrivée", widget=TIME)
    departure = forms.TimeField(label="Départ", required=False, widget=TIME)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class DayForm(StyledForm):
    nursery = forms.ModelChoiceField(label="Crèche", queryset=Nursery.objects.select_related("structure"), required=False)
    date = forms.DateField(label="Jour", required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()


class MonthForm(StyledForm):
    nursery = forms.ModelChoiceField(label="Crèche", queryset=Nursery.objects.select_related("structure"))
    month = forms.DateField(label="Mois (n'importe quel jour du mois)", widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style()

    def clean_month(self):
        month = self.cleaned_data["month"]
        if not datetime.date(2000, 1, 1) <= month <= datetime.date(2100, 1, 1):
            raise forms.ValidationError("Date hors limites.")
        return month.replace(day=1)
