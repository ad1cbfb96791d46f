"""Input shape and field validation only."""
import datetime

from django import forms

from portal.uploads import private_file_field

from . import rules

WEEKDAY_CHOICES = [(i, rules.WEEKDAYS_FR[i].capitalize()) for i in range(7)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class RequestStepForm(forms.Form):
    """Enrolment request, first of two steps: the children and the activity, one select of every activity
    grouped by « équipement – type » (the second step chooses each child's group and sends). A ``structure``
    and ``activity_type`` sent along (older links) only narrow the list."""

    children = forms.MultipleChoiceField(label="Enfant(s) à inscrire", widget=forms.CheckboxSelectMultiple)
    structure = forms.ChoiceField(label="Équipement", required=False)
    activity_type = forms.ChoiceField(label="Type d'activité", required=False)
    activity = forms.ChoiceField(label="Activité", required=False)

    def __init__(self, *args, children, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].choices = [(str(c.id), c.first_name) for c in children]
        self.structures = {str(s.id): s for s in structures}
        self.fields["structure"].choices = [("", "— Choisir —")] + [(k, s.name) for k, s in self.structures.items()]
        data = self.data if self.is_bound else {}
        structure = self.structures.get(data.get("structure", ""))
        types = {str(t.id): t for s in ([structure] if structure else self.structures.values())
                 for t in s.activity_types.all()}
        self.fields["activity_type"].choices = [("", "— Choisir —")] + [(k, t.name) for k, t in types.items()]
        activity_type = types.get(data.get("activity_type", ""))
        found, groups = {}, []
        for t in ([activity_type] if activity_type else types.values()):
            activities = list(t.activities.all())
            if activities:
                groups.append((f"{t.structure.name} – {t.name}", [(str(a.id), a.parent_name) for a in activities]))
                found.update({str(a.id): (t, a) for a in activities})
        self.fields["activity"].choices = [("", "— Choisir —")] + groups
        chosen_type, activity = found.get(data.get("activity", ""), (None, None))
        self.selected = {"structure": chosen_type.structure if chosen_type else structure,
                         "activity_type": chosen_type or activity_type, "activity": activity}


class GroupChoiceForm(forms.Form):
    """The last step of a request: one group per chosen child, among the groups that child may join
    (``groups_by_child``: [(child, eligible groups)]). A child with a single eligible group gets it without
    choosing; a child with none is left out (the page says why)."""

    def __init__(self, data, *, groups_by_child):
        super().__init__(data)
        self.groups_by_child = [(child, eligible) for child, eligible in groups_by_child if eligible]
        for child, eligible in self.groups_by_child:
            self.fields[f"group_{child.id}"] = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        requests, missing = [], []
        for child, eligible in self.groups_by_child:
            gid = data.get(f"group_{child.id}") or (str(eligible[0].id) if len(eligible) == 1 else "")
            group = next((g for g in eligible if str(g.id) == gid), None)
            if group is None:
                missing.append(child.first_name)
            else:
                requests.append((child, group))
        if missing:
            raise forms.ValidationError("Choisissez un groupe pour : " + ", ".join(missing) + ".")
        if not requests:
            raise forms.ValidationError("Aucun des enfants choisis ne peut être inscrit à cette activité.")
        data["requests"] = requests
        return data


class PatternForm(forms.Form):
    """"Sélection en masse" (weekdays × units) or "Semaine type" (a grid) over a period, for one or more siblings."""

    start = forms.DateField(label="Du", widget=DateInput())
    end = forms.DateField(label="Au", widget=DateInput())
    action = forms.ChoiceField(label="Action", choices=[("book", "Réserver"), ("cancel", "Annuler les réservations")],
                               widget=forms.RadioSelect, initial="book")
    children = forms.MultipleChoiceField(label="Enfants concernés", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, mode, units, siblings, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = mode
        self.units = units
        self.fields["children"].choices = [(str(e.child_id), e.child.first_name) for e in siblings]
        if mode == "masse":
            self.fields["weekdays"] = forms.MultipleChoiceField(
                label="Jours de la semaine", choices=WEEKDAY_CHOICES[:6], widget=forms.CheckboxSelectMultiple)
            self.fields["units"] = forms.MultipleChoiceField(
                label="Unités", choices=[(str(u.id), u.name) for u in units], widget=forms.CheckboxSelectMultiple)
        else:
            for wd in range(6):
                for u in units:
                    self.fields[f"wd{wd}_u{u.id}"] = forms.BooleanField(
                        label=f"{rules.WEEKDAYS_FR[wd].capitalize()} – {u.name}", required=False)

    def grid(self):
        """Rows of (weekday label, [bound fields]) for the typical-week template."""
        return [(rules.WEEKDAYS_FR[wd].capitalize(), [self[f"wd{wd}_u{u.id}"] for u in self.units])
                for wd in range(6)]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "La date de fin doit suivre la date de début.")
            elif (end - start).days > 366:
                self.add_error("end", "La période ne peut pas dépasser un an.")
        if self.mode == "semaine" and not any(data.get(n) for n in self.fields if n.startswith("wd")):
            raise forms.ValidationError("Cochez au moins un jour et une unité de la semaine type.")
        return data

    def pattern(self):
        data = self.cleaned_data
        if self.mode == "masse":
            return rules.mass_selection_pattern({int(w) for w in data["weekdays"]}, {int(u) for u in data["units"]})
        pattern = {}
        for wd in range(6):
            ids = {u.id for u in self.units if data.get(f"wd{wd}_u{u.id}")}
            if ids:
                pattern[wd] = ids
        return pattern


class AbsenceForm(forms.Form):
    reason = forms.CharField(label="Motif (facultatif)", max_length=250, required=False)
    certificate = private_file_field(
        "Certificat médical (PDF, JPEG ou PNG, 6 Mo maximum)",
        help_text="Joindre un certificat demande au service d'excuser l'absence.",
    )


class WaitingListForm(forms.Form):
    unit = forms.IntegerField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.HiddenInput)
    auto_book = forms.BooleanField(label="Réserver automatiquement si une place se libère", required=False)


class AttendanceDayForm(forms.Form):
    date = forms.DateField(label="Jour", widget=DateInput(), initial=datetime.date.today)


class CheckInWalkInForm(forms.Form):
    """A child come without a booking, as the check-in page sends it."""

    enrolment = forms.IntegerField(min_value=1)
    unit = forms.IntegerField(min_value=1)
    date = forms.DateField(input_formats=["%Y-%m-%d"])
