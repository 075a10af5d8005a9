"""Places known to the product: counties, streets and communities with their codes.

Read from templates/gazetteer/*.toml; used to generate sample rosters, to parse free-text
addresses, to fill the optional 12-digit 统计用区划代码 of a destination and, with the
communities an admin confirmed (handover.communities), to say which communities may receive retirees.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from .config import GAZETTEER_DIR


@dataclass(frozen=True)
class Place:
    province: str
    city: str
    county: str
    county_code: str
    street: str
    street_code: str
    community: str
    community_index: int

    @property
    def code(self) -> str:
        return f"{self.county_code}{self.street_code}{self.community_index:03d}"


@lru_cache(maxsize=None)
def places(region: str) -> tuple[Place, ...]:
    path = GAZETTEER_DIR / f"{region}.toml"
    if not path.is_file():
        return ()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for county in data.get("counties", []):
        for street in county.get("streets", []):
            for i, community in enumerate(street["communities"], 1):
                out.append(Place(data["province"], data["city"], county["name"], county["code"],
                                 street["name"], street["code"], community, i))
    return tuple(out)


@lru_cache(maxsize=None)
def all_places() -> tuple[Place, ...]:
    return tuple(p for path in sorted(GAZETTEER_DIR.glob("*.toml")) for p in places(path.stem))


@lru_cache(maxsize=None)
def _by_names() -> dict[tuple[str, str, str], Place]:
    return {(p.county, p.street, p.community): p for p in all_places()}


def community_code(county: str, street: str, community: str) -> str | None:
    place = find(county, street, community)
    return place.code if place else None


def find(county: str, street: str, community: str) -> Place | None:
    return _by_names().get((county, street, community))


@lru_cache(maxsize=None)
def streets() -> dict[str, tuple[str, ...]]:
    """County -> its streets, as listed."""
    out: dict[str, list[str]] = {}
    for p in all_places():
        names = out.setdefault(p.county, [])
        if p.street not in names:
            names.append(p.street)
    return {county: tuple(names) for county, names in out.items()}


@lru_cache(maxsize=None)
def communities() -> dict[tuple[str, str], tuple[str, ...]]:
    """(county, street) -> its communities, as listed."""
    out: dict[tuple[str, str], list[str]] = {}
    for p in all_places():
        out.setdefault((p.county, p.street), []).append(p.community)
    return {key: tuple(names) for key, names in out.items()}


@lru_cache(maxsize=None)
def county_province() -> dict[str, str]:
    return {p.county: p.province for p in all_places()}
