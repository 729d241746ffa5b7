"""The normaliser's tables: names, acronyms, abbreviations, units and currencies, as data.

The packaged tables are TOML files in ``audio/prepare/tables/``, read once. A show extends
them from its pronunciation lexicon, whose ``[acronyms]``, ``[spelled]``,
``[abbreviations]``, ``[units]`` and ``[currencies]`` tables (README "Pronunciation
lexicon") go through the ``ShowTables`` schema and win over the packaged entries.
``Tables`` is the merged, read-only result with the regular expressions built from it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from types import MappingProxyType
from typing import Annotated

from pydantic import AfterValidator, Field

from audio.config import Regex, Settings, validate


def _words(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Said = Annotated[str, AfterValidator(_words)]
# [singular, plural]: "GB" = ["gigabyte", "gigabytes"]
Forms = Annotated[tuple[Said, Said], Field(strict=False)]


class Rule(Settings):
    """A written form found by a regular expression and what is said for it."""

    match: Regex  # a regular expression
    say: str  # its replacement (\1 names a group)
    when: tuple[str, ...] = Field((), strict=False)  # substrings, one of which must occur for the rule to run


class ShowTables(Settings):
    """What a show's lexicon may add to the normaliser's tables."""

    acronyms: dict[str, Said] = Field(default_factory=dict)  # "OLMo" = "Olmo": a name read as a word, as written here
    spelled: dict[str, Said] = Field(default_factory=dict)  # "llm" = "L L M": a lower-case name spelled out wherever it appears
    abbreviations: dict[str, Said] = Field(default_factory=dict)  # "w.r.t." = "with respect to": a written form, whole words only
    units: dict[str, Forms] = Field(default_factory=dict)  # "tok/s" = ["token per second", "tokens per second"], after a number
    currencies: dict[str, Forms] = Field(default_factory=dict)  # "CHF" = ["Swiss franc", "Swiss francs"]: a symbol or code by an amount


class PackagedTables(ShowTables):
    """The packaged tables: a show's, plus magnitudes and the rules, which only ship."""

    magnitudes: dict[str, Said] = Field(default_factory=dict)  # "k" = "thousand", glued to a number
    rule: tuple[Rule, ...] = Field((), strict=False)  # in order


@dataclass(frozen=True, eq=False)
class Tables:
    """The merged tables one normalisation uses, and the patterns built from them."""

    acronyms: MappingProxyType[str, str]
    spelled: MappingProxyType[str, str]
    abbreviations: MappingProxyType[str, str]
    units: MappingProxyType[str, tuple[str, str]]
    currencies: MappingProxyType[str, tuple[str, str]]
    magnitudes: MappingProxyType[str, str]
    rules: tuple[Rule, ...]

    def extended(self, extra: ShowTables) -> Tables:
        """These tables with a show's entries added (the show's win)."""
        if extra == ShowTables():
            return self
        return Tables(
            acronyms=_merged(self.acronyms, extra.acronyms),
            spelled=_merged(self.spelled, {k.lower(): v for k, v in extra.spelled.items()}),
            abbreviations=_merged(self.abbreviations, extra.abbreviations),
            units=_merged(self.units, extra.units),
            currencies=_merged(self.currencies, extra.currencies),
            magnitudes=self.magnitudes,
            rules=self.rules,
        )

    @cached_property
    def compiled_rules(self) -> tuple[tuple[tuple[str, ...], re.Pattern[str], object], ...]:
        """The abbreviations (one pattern, longest first, whole words; one ending the
        paragraph with a full stop keeps it as the sentence's), then the rules, as
        (triggers, pattern, replacement)."""
        rules = tuple((r.when or ("",), re.compile(r.match), r.say) for r in self.rules)
        if not self.abbreviations:
            return rules
        written = sorted(self.abbreviations, key=len, reverse=True)
        ending = "|".join(re.escape(w) for w in written if w.endswith("."))
        anywhere = "|".join(re.escape(w) for w in written)
        pattern = re.compile(rf"(?<![\w.])(?:(?P<end>{ending or '(?!)'})(?=\s*$)|(?:{anywhere})(?!\w))")

        def said(m: re.Match[str]) -> str:
            return self.abbreviations[m.group(0)] + ("." if m.group("end") else "")

        return ((tuple(written), pattern, said), *rules)

    @cached_property
    def unit_pattern(self) -> str:
        return "|".join(re.escape(u) for u in sorted(self.units, key=len, reverse=True))

    @cached_property
    def symbols(self) -> str:
        """The currency symbols (one character each), as a character class's inside."""
        return "".join(re.escape(c) for c in self.currencies if len(c) == 1)

    @cached_property
    def codes(self) -> str:
        """The currency codes ("EUR", "GBP") as an alternation."""
        codes = [re.escape(c) for c in sorted(self.currencies, key=len, reverse=True) if len(c) > 1]
        return "|".join(codes) or "(?!)"

    @cached_property
    def magnitude_pattern(self) -> str:
        return "|".join(re.escape(m) for m in sorted(self.magnitudes, key=len, reverse=True))

    @cached_property
    def acronym_pattern(self) -> re.Pattern[str]:
        """Words the acronym pass looks at: capitals ("RLHF", "OpenAI", "MLOps"), the
        lower-case spelled names, the acronyms that are not all capitals ("OLMo")."""
        alternatives = [r"\b(?:[A-Za-z][a-z]*)?[A-Z]{2,}s?\b", r"\b[A-Z]{2,}[A-Z][a-z]{2,}\b"]
        if self.spelled:
            spelled = "|".join(re.escape(w) for w in sorted(self.spelled, key=len, reverse=True))
            alternatives.append(rf"\b(?:{spelled})\b")
        alternatives += [rf"\b{re.escape(w)}\b" for w in self.acronyms if not w.isupper()]
        return re.compile("|".join(alternatives))


def _merged(base: MappingProxyType, extra: dict) -> MappingProxyType:
    return MappingProxyType({**base, **extra})


TABLE_FILES = ("names.toml", "units.toml", "abbreviations.toml")


@cache
def packaged_tables() -> Tables:
    """The tables shipped with the package (read once)."""
    merged: dict[str, object] = {}
    folder = resources.files("audio.prepare") / "tables"
    for name in TABLE_FILES:
        resource = folder / name
        data = tomllib.loads(resource.read_text(encoding="utf-8"))
        validate(PackagedTables, data, f"audio/prepare/tables/{name}")  # each file alone, naming it
        for key, value in data.items():
            merged[key] = {**merged[key], **value} if isinstance(value, dict) and key in merged else value
    tables = validate(PackagedTables, merged, "audio/prepare/tables")
    frozen = {key: MappingProxyType(dict(getattr(tables, key))) for key in ShowTables.model_fields}
    return Tables(**frozen, magnitudes=MappingProxyType(dict(tables.magnitudes)), rules=tables.rule)
