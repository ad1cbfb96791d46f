"""Generate the benchmark city (bench/city/): N families, their children, two seasons of catalogue,
bookings, invoices, payments, messages and documents, reproducibly from a seed.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city .venv/bin/python bench/city_data.py \
           --families 10000 --seed 42 [--today AAAA-MM-JJ] [--force]

The database must be migrated (manage.py migrate) and hold no city yet; it must hold no real family
unless --force.
"""
import argparse
import datetime
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup():
    """The project's settings as manage.py uses them, on a local PostgreSQL database only."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    url = os.environ.get("DATABASE_URL", "")
    if "127.0.0.1" not in url and "localhost" not in url:
        raise SystemExit("DATABASE_URL must point to a local PostgreSQL database (127.0.0.1), e.g. "
                         "postgres://postgres@127.0.0.1:5432/portal_city")
    import django  # only once the environment (DATABASE_URL, settings) is checked and set

    django.setup()


def main():
    parser = argparse.ArgumentParser(
        description="Génère une ville (familles, catalogue, réservations, factures…) pour les mesures de charge.")
    parser.add_argument("--families", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=datetime.date.fromisoformat, default=None,
                        help="Jour de référence (AAAA-MM-JJ) ; par défaut aujourd'hui.")
    parser.add_argument("--force", action="store_true", help="Accepter une base contenant déjà des familles réelles.")
    args = parser.parse_args()
    django_setup()
    from city import CityError, build  # needs Django set up: the city's modules import the models

    try:
        build(families=args.families, seed=args.seed, today=args.today, out=sys.stdout, force=args.force)
    except CityError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main()
