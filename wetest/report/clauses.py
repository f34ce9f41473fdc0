"""The clause catalogue of the WE contract: parse it from DOMAIN.md, load the shipped copy.

The report must work on an installed wheel, where ``../shared/DOMAIN.md`` does not exist, so the
catalogue is generated once (``scripts/gen_catalogue.py``) into ``catalogue.json`` beside this
module and read from there at run time. The parser follows DOMAIN §0.4: a bullet
``- WE-PR-001 [Core] ...`` carries its own profile tag; a table row ``| WE-COND-010 | ...`` takes
the profile of its section (§3 Cond, §4.1 Audit, §5.2 DS); ``ENV`` clauses are facts, tagged
``Env``. This module may be replaced by ``wetest.domain.clauses`` once that exists.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

TAGS = ("Core", "Cond", "Audit", "Ext", "DS", "Env")
"""The profile tags of DOMAIN §0.4, plus ``Env`` for the environment facts."""

PROFILE_NAMES = {
    "Core": "Core",
    "Cond": "Conditions",
    "Audit": "Audit",
    "Ext": "Extended",
    "DS": "DataStorage",
    "Env": "Environment",
}
"""The names of DOMAIN §0.5 that a conformance report shows for each tag."""

_ALIASES = {
    "core": "Core",
    "cond": "Cond",
    "conditions": "Cond",
    "audit": "Audit",
    "ext": "Ext",
    "extended": "Ext",
    "ds": "DS",
    "datastorage": "DS",
    "env": "Env",
    "environment": "Env",
}

_ID = r"(?:WE|DS|ENV)(?:-[A-Z]+)?-\d{3}"
_BULLET = re.compile(rf"^-\s+({_ID})\s*(?:\[([^\]]*)\])?\s*(.*)$")
_ROW = re.compile(rf"^\|\s*({_ID})\s*(?:\[([^\]]*)\])?\s*\|(.*)$")
_SECTION = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)?)")
_SECTION_TAGS = {"3": "Cond", "4.1": "Audit", "5.2": "DS"}
TITLE_LENGTH = 80


@dataclass(frozen=True)
class Clause:
    """One normative statement: its stable ID, profile tag and the start of its text."""

    id: str
    profile: str
    title: str


def tag_of(name: str) -> str | None:
    """The DOMAIN tag for any spelling of a profile (``core``, ``Conditions``, ``DS``, ...)."""
    return _ALIASES.get(name.strip().lower())


def parse(text: str) -> dict[str, Clause]:
    """Every clause defined in a DOMAIN.md text, first definition wins, in document order."""
    found: dict[str, Clause] = {}
    section = ""
    for line in text.splitlines():
        heading = _SECTION.match(line)
        if heading:
            section = heading.group(1)
            continue
        clause = _parse_line(line.strip(), section)
        if clause is not None and clause.id not in found:
            found[clause.id] = clause
    return found


def _parse_line(line: str, section: str) -> Clause | None:
    bullet = _BULLET.match(line)
    row = None if bullet else _ROW.match(line)
    match = bullet or row
    if match is None:
        return None
    clause_id, tag_text, rest = match.groups()
    if row is not None:
        rest = rest.replace("|", " ").strip()
    profile = _profile(clause_id, tag_text, section)
    return Clause(clause_id, profile, _title(rest))


def _profile(clause_id: str, tag_text: str | None, section: str) -> str:
    """Own tag first (``[DS, OPTIONAL]`` → DS), then ENV, then the section's profile."""
    for word in re.split(r"[,\s]+", tag_text or ""):
        tag = tag_of(word)
        if tag is not None:
            return tag
    if clause_id.startswith("ENV-"):
        return "Env"
    major = section.split(".")[0]
    return _SECTION_TAGS.get(section) or _SECTION_TAGS.get(major) or "Core"


def _title(rest: str) -> str:
    words = " ".join(rest.split())
    if len(words) <= TITLE_LENGTH:
        return words
    return words[: TITLE_LENGTH - 1].rstrip() + "…"


def clause_set_hash(ids: Iterable[str]) -> str:
    """sha256 of the sorted clause IDs joined by newlines: equal hashes, equal clause sets."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def to_json(catalogue: dict[str, Clause]) -> str:
    """The shipped file's text: stable key order so regenerating it gives a clean diff."""
    data = {c.id: {"profile": c.profile, "title": c.title} for c in catalogue.values()}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load() -> dict[str, Clause]:
    """The catalogue shipped with the package (generated from DOMAIN.md)."""
    text = resources.files("wetest.report").joinpath("catalogue.json").read_text("utf-8")
    raw: dict[str, dict[str, str]] = json.loads(text)
    return {cid: Clause(cid, v["profile"], v["title"]) for cid, v in sorted(raw.items())}
