"""Client, team and people names for the synthetic portfolio.

Deliberately awkward: Unicode, quotes, ampersands and angle brackets, as real CRM exports
have, so that every report and file path is tested against them.
"""

from __future__ import annotations

import numpy as np

_STEMS = (
    "Müller & Söhne",
    'O\'Brien "Data" Partners',
    "<Acme> Logistics",
    "Zürich Analytics",
    "Nordlys Energi",
    "Café Olé Retail",
    "Østergaard Shipping",
    "São Paulo Têxtil",
    "Łódź Machinery",
    "Kraków Fintech",
    "Smith & Wesson-Jones",
    "東京 Systems",
    "Ελληνικά Foods",
    "Société Générale de Conseil",
    "Daniels' Health",
    "Río Verde Agro",
    "Björk Biotech",
    "A&B <Holdings>",
    "Tata-Singh Motors",
    "Čapek Robotics",
    "Fjällräven Outdoor",
    "Noor Al-Hayat",
    "Ångström Optics",
    "Peña & Peña Legal",
)
_SUFFIXES = ("GmbH", "Ltd", "Inc.", "S.A.", "AG", "plc", "LLC", "Group", "SAS", "Co.")
INDUSTRIES = (
    "manufacturing",
    "financial services",
    "healthcare",
    "retail",
    "energy",
    "public sector",
)
REGIONS = ("EMEA North", "EMEA South", "Americas", "APAC")
_TEAM_WORDS = (
    "Aurora",
    "Boreal",
    "Cobalt",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Indigo",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Onyx",
    "Pioneer",
    "Quartz",
    "Redwood",
)
_FIRST = (
    "Ana",
    "Bo",
    "Chen",
    "Dana",
    "Emeka",
    "Fatima",
    "Gustav",
    "Hana",
    "Ivan",
    "Jules",
    "Kofi",
    "Lena",
    "Mateo",
    "Noor",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
)
_LAST = (
    "Almeida",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Horvat",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lund",
    "Moreau",
    "Nakamura",
    "O'Neil",
    "Popescu",
)
BUSINESS_UNITS = (
    "Cloud Services",
    "Data & AI",
    "ERP Solutions",
    "Managed Security",
    "Digital Experience",
    "Industry Consulting",
    "Infrastructure",
    "Advisory",
)


def client_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` client names; a number breaks ties so most names are distinct."""
    stems = rng.choice(len(_STEMS), n)
    sufs = rng.choice(len(_SUFFIXES), n)
    names = [f"{_STEMS[s]} {_SUFFIXES[x]}" for s, x in zip(stems, sufs, strict=True)]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name} {k + 1}")
    return np.array(out, dtype=object)


def team_names(n_per_unit: int, units: list[str]) -> list[list[str]]:
    """Delivery team names per business unit."""
    out, i = [], 0
    for unit in units:
        teams = []
        for _ in range(n_per_unit):
            teams.append(f"{unit.split()[0]} {_TEAM_WORDS[i % len(_TEAM_WORDS)]}")
            i += 1
        out.append(teams)
    return out


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct people's names."""
    pairs = [(f, la) for f in _FIRST for la in _LAST]
    idx = rng.choice(len(pairs), n, replace=False)
    return [f"{pairs[i][0]} {pairs[i][1]}" for i in idx]
