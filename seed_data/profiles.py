"""Faker-backed profile labels: names, handles, cities, employers, schools and interests.

Faker costs 5-65 microseconds a call, far too slow for 100,000 people one by one. So each
locale is asked only for small pools (first names, last names, cities, companies), and people
are labelled by drawing indices into those pools with a numpy Generator. Pools keep Faker's
repeats on purpose: drawing uniformly from 800 raw draws reproduces Faker's name frequencies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from faker import Faker
from faker.config import AVAILABLE_LOCALES
from faker.decode import unidecode

from graphmatch.errors import InvalidInput

__all__ = ["INTERESTS", "LocalePools", "make_handles", "make_pools", "normalise_locales"]

#: Interests are English words for every locale (Faker has no hobby provider).
INTERESTS: tuple[str, ...] = (
    "running", "cycling", "hiking", "climbing", "swimming", "yoga", "football", "basketball",
    "tennis", "chess", "board games", "video games", "photography", "painting", "drawing",
    "pottery", "knitting", "gardening", "cooking", "baking", "coffee", "wine", "craft beer",
    "jazz", "classical music", "indie rock", "hip hop", "electronic music", "karaoke", "guitar",
    "piano", "theatre", "film", "anime", "comics", "poetry", "science fiction", "history",
    "philosophy", "astronomy", "birdwatching", "travel", "languages", "volunteering", "startups",
    "open source", "machine learning", "data science", "design", "architecture", "fashion",
    "podcasts", "meditation", "dogs", "cats", "sailing", "skiing", "surfing", "dancing", "trivia",
)  # fmt: skip

# School names: a few languages get their own templates, the rest fall back to English.
_SCHOOL_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": (
        "{city} High School",
        "University of {city}",
        "{city} Community College",
        "{last} Academy",
        "{city} State University",
    ),
    "de": ("Gymnasium {city}", "Universität {city}", "{last}-Schule", "Hochschule {city}"),
    "fr": ("Lycée {last}", "Université de {city}", "École {last}"),
    "es": ("Universidad de {city}", "Instituto {last}", "Colegio {last}"),
    "it": ("Liceo {last}", "Università di {city}"),
    "pt": ("Universidade de {city}", "Escola {last}"),
    "nl": ("Universiteit {city}", "{last} College"),
}

_TWO_PART = re.compile(r"^\{\{(\w+)\}\}(\s*)\{\{(\w+)\}\}$")
_NOT_ALNUM = re.compile(r"[^a-z]+")


def normalise_locales(locales: Sequence[str] | str) -> tuple[str, ...]:
    """Validate Faker locales; accept ``en-US`` spelling; drop repeats, keep order.

    Raises
    ------
    InvalidInput
        If no locale is given or one is unknown to Faker.
    """
    if isinstance(locales, str):
        locales = (locales,)
    out: list[str] = []
    for loc in locales:
        if not isinstance(loc, str):
            raise InvalidInput(f"locale must be a string, got {loc!r}")
        norm = loc.strip().replace("-", "_")
        if norm not in AVAILABLE_LOCALES:
            raise InvalidInput(f"unknown locale {loc!r} (Faker knows e.g. en_US, de_DE, ja_JP)")
        if norm not in out:
            out.append(norm)
    if not out:
        raise InvalidInput("at least one locale is required")
    return tuple(out)


@dataclass
class LocalePools:
    """Raw Faker draws for one locale, plus how that locale writes a full name."""

    locale: str
    first: tuple[list[str], list[str]]  # (female, male)
    last: tuple[list[str], list[str]]  # (female, male): some locales (ru_RU) inflect by gender
    family_first: bool
    separator: str
    cities: list[str]
    companies: list[str]

    def school_templates(self) -> tuple[str, ...]:
        """School name templates for this locale's language (English if none)."""
        return _SCHOOL_TEMPLATES.get(self.locale.split("_")[0], _SCHOOL_TEMPLATES["en"])

    def full_name(self, first: str, last: str) -> str:
        """Join names the way the locale does (``Tanaka Hiroshi``, ``王伟``, ``Ada Lovelace``)."""
        if self.family_first:
            return f"{last}{self.separator}{first}"
        return f"{first}{self.separator}{last}"


def _name_style(fake: Faker) -> tuple[bool, str]:
    """Read the locale's name order and separator off its first two-part name format."""
    provider = fake.provider("faker.providers.person")
    formats = getattr(provider, "formats", None) or getattr(provider, "formats_male", None) or ()
    for fmt in list(formats):
        m = _TWO_PART.match(str(fmt).strip())
        if m and "name" in m.group(1) and "name" in m.group(3):
            return m.group(1).startswith("last_name"), m.group(2)
    return False, " "


def _draw(fake: Faker, method: str, fallback: str, count: int) -> list[str]:
    fn = getattr(fake, method, None) or getattr(fake, fallback)
    return [str(fn()) for _ in range(count)]


def _distinct(fake: Faker, method: str, count: int) -> list[str]:
    """Up to count distinct Faker values; numbered repeats once the locale runs dry."""
    fn = getattr(fake, method)
    seen: dict[str, None] = {}
    for _ in range(count * 30):
        if len(seen) >= count:
            break
        seen.setdefault(str(fn()), None)
    out = list(seen)
    base = out[:] if out else [method]
    while len(out) < count:
        out.append(f"{base[len(out) % len(base)]} {len(out) // len(base) + 1}")
    return out


def make_pools(
    locale: str, seed: int, *, n_cities: int, n_companies: int, name_pool: int = 800
) -> LocalePools:
    """Draw the Faker pools for one locale with a locale-private seeded Faker.

    ``seed_instance`` keeps Faker's RNG private, so nothing else in the process (or the global
    ``random`` module) can shift these draws.
    """
    fake = Faker(locale)
    fake.seed_instance(seed)
    family_first, separator = _name_style(fake)
    first = (
        _draw(fake, "first_name_female", "first_name", name_pool),
        _draw(fake, "first_name_male", "first_name", name_pool),
    )
    last = (
        _draw(fake, "last_name_female", "last_name", name_pool),
        _draw(fake, "last_name_male", "last_name", name_pool),
    )
    cities = _distinct(fake, "city", n_cities)
    companies = [str(fake.company()) for _ in range(n_companies)]
    return LocalePools(locale, first, last, family_first, separator, cities, companies)


def _ascii_slug(text: str, cache: dict[str, str]) -> str:
    slug = cache.get(text)
    if slug is None:
        slug = _NOT_ALNUM.sub("", unidecode(text).lower())
        cache[text] = slug
    return slug


def make_handles(
    firsts: Sequence[str], lasts: Sequence[str], styles: npt.NDArray[np.int64]
) -> list[str]:
    """Build unique ASCII handles such as ``ada.lovelace``, ``ada_lovelace``, ``alovelace``.

    Bases hold letters and separators only, so appending the occurrence number (``ada.smith2``)
    can never collide with another base: handles are unique by construction, in input order.
    """
    cache: dict[str, str] = {}
    seen: dict[str, int] = {}
    out: list[str] = []
    for first, last, style in zip(firsts, lasts, styles.tolist(), strict=True):
        f = _ascii_slug(first, cache)
        la = _ascii_slug(last, cache)
        if f and la:
            base = (f"{f}.{la}", f"{f}_{la}", f"{f}{la}", f"{f[0]}{la}")[style]
        else:
            base = f or la or "user"
        count = seen.get(base, 0) + 1
        seen[base] = count
        out.append(base if count == 1 else f"{base}{count}")
    return out
