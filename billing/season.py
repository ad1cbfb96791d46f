"""Billing's part of « Dupliquer pour la saison suivante »: the tariffs of each unit, with their quotient
brackets, valid one calendar year later. Registered into ``enrolment.season`` by ``BillingConfig.ready()``."""
from collections import defaultdict

from .models import Tariff, TariffBracket


def _money(value):
    return f"{value:.2f}".replace(".", ",") + " €"


class TariffSeasonCopy:
    label = "Tarifs"

    def _tariffs(self, unit_ids):
        return list(Tariff.objects.filter(unit_id__in=unit_ids).prefetch_related("brackets").order_by("unit_id",
                                                                                                      "valid_from"))

    def describe(self, *, shifts):
        out = defaultdict(list)
        for t in self._tariffs(list(shifts)):
            shift = shifts[t.unit_id]
            until = shift.date(t.valid_until)
            dates = f"du {shift.date(t.valid_from):%d/%m/%Y}" + (f" au {until:%d/%m/%Y}" if until else "")
            if t.mode == Tariff.Mode.FLAT:
                price = _money(t.flat_price)
            else:
                price = " ; ".join(
                    (f"QF ≤ {b.quotient_up_to:.0f}" if b.quotient_up_to is not None else "QF au-delà")
                    + f" : {_money(b.price)}" for b in t.brackets.all())
            out[t.unit_id].append(f"{shift.text(t.label)} – {price} – {dates}")
        return dict(out)

    def copy(self, *, unit_map, shift):
        tariffs = self._tariffs(list(unit_map))
        news = Tariff.objects.bulk_create([
            Tariff(unit=unit_map[t.unit_id], label=shift.text(t.label), mode=t.mode, flat_price=t.flat_price,
                   valid_from=shift.date(t.valid_from), valid_until=shift.date(t.valid_until)) for t in tariffs])
        TariffBracket.objects.bulk_create([
            TariffBracket(tariff=new, quotient_up_to=b.quotient_up_to, price=b.price)
            for old, new in zip(tariffs, news) for b in old.brackets.all()])
        return len(news)
