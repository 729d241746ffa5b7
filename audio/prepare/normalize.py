"""Speech normalisation: one paragraph of plain text -> what a careful narrator says.

TTS voices read digits, symbols and acronyms badly or not at all, so everything that is
not a plain word is rewritten here, deterministically, before sentence splitting and the
pronunciation lexicon. Numbers go through num2words. The passes run in a fixed order:
the more specific patterns (URLs, currency, dates, model names) before the general ones
(plain numbers, acronyms), so a later pass never sees half of an earlier one's input.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from num2words import num2words

from audio.prepare.tables import Tables, packaged_tables

# --- number words -----------------------------------------------------------------------


def _clean(words: str) -> str:
    """num2words speaks British ("one hundred and five", "one million, two ..."): drop the
    "and" and the commas, which a TTS voice would read as pauses."""
    words = words.replace(",", "").replace(" and ", " ").replace("oh-", "oh ")
    return re.sub(r"\s+", " ", words).strip()


def cardinal(number: str) -> str:
    """"1,000" -> "one thousand", "3.14" -> "three point one four", "007" -> "zero zero seven"."""
    number = number.replace(",", "")
    negative = number.startswith("-")
    number = number.lstrip("-")
    whole, _, fraction = number.partition(".")
    if not whole:
        whole = "0"
    if len(whole) > 1 and whole.startswith("0") or len(whole) > 15:
        spoken = " ".join(_DIGITS[d] for d in whole)
    else:
        spoken = _clean(num2words(int(whole)))
    if fraction:
        spoken += " point " + " ".join(_DIGITS[d] for d in fraction)
    return ("minus " if negative else "") + spoken


def ordinal(number: str) -> str:
    return _clean(num2words(int(number.replace(",", "")), to="ordinal"))


def year(number: str) -> str:
    """"2025" -> "twenty twenty-five", "2009" -> "two thousand nine", "1905" -> "nineteen oh five"."""
    return _clean(num2words(int(number), to="year"))


_DIGITS = dict(zip("0123456789", "zero one two three four five six seven eight nine".split(), strict=True))


def _plural(words: str) -> str:
    """"nineteen ninety" -> "nineteen nineties", "two thousand" -> "two thousands"."""
    head, _, last = words.rpartition(" ")
    last_word = last.rsplit("-", 1)
    tail = last_word[-1]
    tail = tail[:-1] + "ies" if tail.endswith("y") else tail + "s"
    last = "-".join([*last_word[:-1], tail])
    return f"{head} {last}".strip()


Replacement = str | Callable[[re.Match[str]], str]

# --- tables -------------------------------------------------------------------------------
# Names, acronyms, abbreviations, units and currencies are data (``tables.py``); the
# calendar and the count nouns below are part of the rules.

_MONTHS = {
    m[:3].lower(): m
    for m in "January February March April May June July August September October November December".split()
}
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_MONTH_NAMES = list(_MONTHS.values())

_FRACTIONS = {2: ("half", "halves"), 4: ("quarter", "quarters")}
_SIZES = {"B": "billion", "T": "trillion", "M": "million"}  # a model's parameters: "8x7B"

# Nouns after which a four-digit number is a count, not a year ("1500 tokens").
_COUNT_WORD = re.compile(
    r"\s+(?:[a-z]+-)?(?:tokens?|GPUs?|TPUs?|chips|parameters|params|people|users|examples|samples|steps|words|"
    r"pages|papers|models|rows|images|documents|employees|researchers|dollars|hours|days|times|"
    r"questions|prompts|tasks|problems|votes|stars|citations|lines|files|calories|miles|units|of)\b"
)
# Words before a four-digit number outside 1900-2039 that make it a year ("in 1850").
_YEAR_CONTEXT = re.compile(
    r"\b(?:in|since|by|from|until|till|during|year|early|late|mid|circa|before|after|around|"
    + "|".join(m for m in "January February March April May June July August September October November December".split())
    + r")\s+$",
    re.IGNORECASE,
)

# --- URLs and e-mail ----------------------------------------------------------------------

_TLDS = (
    "com|org|net|edu|gov|ai|io|co|dev|app|me|so|xyz|info|blog|tech|news|us|uk|ca|de|fr|"
    "jp|cn|in|eu|ly|gg|tv|fm|sh|to|page|site|substack|pub"
)
_URL = re.compile(r"(?:https?://|ftp://|www\.)(?:\([^\s()]*\)|[^\s<>\"'()\[\]])+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})\b")
_BARE_DOMAIN = re.compile(
    rf"(?<![\w@/.-])((?:[A-Za-z0-9-]+\.)+(?:{_TLDS}))(?:/[^\s<>\"'()\[\]]*)?(?![\w.-]*\w)",
)


def _domain(host: str) -> str:
    host = re.sub(r"^(?:https?://|ftp://)", "", host, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    host = re.sub(r"^www\.", "", host, flags=re.IGNORECASE).lower().strip(".")
    return " dot ".join(part for part in host.split(".") if part)


# --- the passes ---------------------------------------------------------------------------


class _Protect:
    """Holds finished phrases out of later passes: each becomes a private-use placeholder
    with no letters or digits for any pattern to match, restored at the end."""

    def __init__(self) -> None:
        self.saved: list[str] = []

    def __call__(self, spoken: str) -> str:
        self.saved.append(spoken)
        return f"\ue000{chr(0xE100 + len(self.saved) - 1)}\ue001"

    def restore(self, text: str) -> str:
        return re.sub("\ue000(.)\ue001", lambda m: self.saved[ord(m.group(1)) - 0xE100], text)


_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"


Rule = tuple[tuple[str, ...], re.Pattern[str], Replacement]


def _rules(*rules: tuple[str | tuple[str, ...], str, Replacement]) -> list[Rule]:
    """(triggers, pattern, replacement): a rule runs only when one of its triggers (a
    string of single characters, or a tuple of substrings) occurs in the text. Python
    regexes are slow to scan; substring tests are not, so many small passes stay cheap."""
    return [(tuple(trigger), re.compile(pattern), repl) for trigger, pattern, repl in rules]


def _apply(rules: Iterable[Rule], text: str) -> str:
    for trigger, pattern, repl in rules:
        if any(map(text.__contains__, trigger)):
            text = pattern.sub(repl, text)
    return text


_UNICODE_RULES = _rules(
    ("\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0e\ufe0f\u20e3", "[\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0e\ufe0f\u20e3]", ""),
    # Ranges: an en or em dash between numbers is "to"; anywhere else a pause.
    ("\u2013\u2014", r"(?:(?<=\d)|(?<=\d[xX%KMBT]))\s*[\u2013\u2014]\s*(?=[$€£]?\d)", " to "),
    ("\u2014\u2015-", r"\s*(?:\u2014|\u2015|\s---?\s|---)\s*", ", "),
    ("\u2013", r"\s+\u2013\s+|\u2013", ", "),
)
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
     "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"', "\u2026": "...", "\u2212": "-", "\u2010": "-",
     "\u2011": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2192": " -> ", "\u00d7": "x"}
)


# A thin or no-break space between digit groups is a thousands separator: "1 000 000".
_GROUPED = re.compile(r"(?<=\d)[\u00a0\u2009\u202f](?=\d{3}(?!\d))")

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
# A superscript after a number or letter is a power ("10²⁵", "x²"): NFKC would glue its
# digits to the number ("1025"), so it becomes "^25" first.
_SUPERSCRIPT = re.compile(r"(?<=[\w)])[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


# A vulgar fraction "½", "1½": a fraction the number passes read ("1/2", "1 and 1/2").
_VULGAR = re.compile(r"(\d?)([\u00bc-\u00be\u2150-\u215e])")


def _vulgar(m: re.Match[str]) -> str:
    fraction = unicodedata.normalize("NFKC", m.group(2)).replace("\u2044", "/")
    return f"{m.group(1)} and {fraction}" if m.group(1) else f" {fraction}"


def _unicode(text: str) -> str:
    if not text.isascii():
        text = _SUPERSCRIPT.sub(lambda m: "^" + m.group(0).translate(_SUPERSCRIPTS), text)
        text = _VULGAR.sub(_vulgar, text)
        text = _GROUPED.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    if not text.isascii():  # emoji and pictographs (not the degree sign): a voice cannot say them
        text = "".join(
            c
            for c in text
            if c == "°" or unicodedata.category(c) not in ("So", "Cf", "Cc") and not "\U0001f3fb" <= c <= "\U0001f3ff"
        )
    return _apply(_UNICODE_RULES, text)


def _urls(text: str, keep: _Protect) -> str:
    if "." not in text:
        return text
    # URLs first: an address glued to a URL ("a@b.aihttps://...") must not swallow it.
    text = _URL.sub(lambda m: keep(_domain(m.group(0).rstrip(".,;:!?"))) + _trailing(m.group(0)), text)
    if "@" in text:
        text = _EMAIL.sub(lambda m: keep(_domain(m.group(1))), text)
    return _BARE_DOMAIN.sub(lambda m: keep(_domain(m.group(1))), text)


def _trailing(url: str) -> str:
    return url[len(url.rstrip(".,;:!?")):]


_MARKUP_RULES = _rules(
    ("\\", r"\\(.)", r"\1"),  # backslash escapes: keep the escaped character
    ("\\", r"\\", " "),
    ("[({<", r"\[\s*\]|\(\s*\)|\{\s*\}|<\s*>", " "),  # brackets around nothing
    ("[", r"\[\^?\d+\]", " "),  # footnote markers that escaped the AST
    ("_", r"(?<=\w)_(?=\w)", " "),  # snake_case
    ("*_|`", r"[*_|`]+", " "),
    ("#", r"#(?!\d)", " "),
    (":", r":[a-z_]+:", " "),  # emoji short codes ":nervousface:"
)

_SYMBOL_RULES = _rules(
    (">", r"\s*(?:->|=>|-->)\s*", " to "),
    ("<", r"\s*<-+\s*", " from "),
    ("&", r"\s*&\s*", " and "),
    ("~", r"~\s*(?=[$€£]?\.?\d)", "about "),
    ("~", r"~", " "),
    ("#", r"#(\d)", r"number \1"),
    ("+", r"(?<=\w)\s*\+\s*(?=[\w$])", " plus "),
    ("+", r"(?<=\d)\+", " plus"),
    ("+", r"\s*\+\s*", " plus "),
    ("=", r"\s*(?<![=!<>])==?(?!=)\s*", " equals "),
    ("≈", r"\s*≈\s*", " approximately "),
    ("±", r"\s*±\s*", " plus or minus "),
    ("/", r"(?<=[a-z])/(?=(?:second|minute|hour|day|week|month|year|person|user|GPU|token)\b)", " per "),
    ("≥>", r"\s*≥\s*|\s*>=\s*", " at least "),
    ("≤<", r"\s*≤\s*|\s*<=\s*", " at most "),
    # "p<0.05", "n>100": a comparison glued to a variable too.
    (">", r"(?<=\d)\s*>\s*(?=\d)|\s>\s(?=[$€£]?\d)|(?<=\b[A-Za-z])\s*>\s*(?=[$€£]?\.?\d)", " greater than "),
    ("<", r"(?<=\d)\s*<\s*(?=\d)|\s<\s(?=[$€£]?\d)|(?<=\b[A-Za-z])\s*<\s*(?=[$€£]?\.?\d)", " less than "),
    ("@", r"\s*@\s*(?=\w)", " at "),
    ("<>", r"[<>]+", " "),  # "<|im_end|>" and other leftovers
    ("/", r"(?<!\w)\$\s?/\s?(?=[A-Za-z])", "dollars per "),  # "$/token"
    ("/", r"(?<!\w)€\s?/\s?(?=[A-Za-z])", "euros per "),
    ("$€£¥", r"[$€£¥]", " "),  # a currency sign with no amount: "SemiAnalysis ($)"
    ("^", r"(?<=[A-Za-z)])\^2(?!\d)", " squared"),  # "R²"
    ("^", r"\^", " "),
    ("°", r"\s*°", " degrees "),
    ("/", r"\btok/s(?:ec)?\b", "tokens per second"),
    ("/", r"(?<=[a-z])/s(?:ec)?\b", " per second"),  # "tokens/s" after a spoken number
)
# Words with a slash between them offer alternatives: "newsletters/blogs", "input/output",
# "Tülu 2/2.5" (once its numbers are words) -> "or"; "and/or" is "and or"; "A/B testing" "A B",
# "I/O" "I O", "N/A" "not applicable". A path ("audio/prepare/normalize.py") is not words.
_SLASH_RULES = _rules(
    ("/", r"\b([AI])/([BO])\b", r"\1 \2"),  # "A/B testing", "I/O"
    ("/", r"\bN/A\b", "not applicable"),
    ("/", r"\b(and)/(or)\b", r"\1 \2"),
    ("/", r"(?<![\w/.])[^\W\d_][^\W\d_'-]*[^\W\d_](?:/[^\W\d_][^\W\d_'-]*[^\W\d_])+(?![\w/]|\.\w)",
     lambda m: m.group(0).replace("/", " or ")),
)


_PER_UNIT = (
    r"(?:\s?/\s?(?P<per>month|mo|year|yr|hour|hr|day|week|person|user|GPU|"
    r"(?:1\s?)?(?:M|[Mm]tok|MTok|[Mm]illion)(?:\s?tokens?)?|(?:1\s?)?(?:[kK]|thousand)(?:\s?tokens?)?|token)\b)?"
)


@lru_cache(maxsize=16)
def _money_patterns(symbols: str, codes: str, magnitudes: str) -> tuple[re.Pattern[str], ...]:
    """Amounts with a currency symbol or code before them ("$5-10M", "EUR 100"), with a
    code after them ("100 EUR", "5M GBP"), and rough ones: "$10s million", "$100s of
    billions" (tens or hundreds of some magnitude)."""
    amount = (
        rf"(?P<low>{_NUM}|\.\d+)(?:(?:\s?(?P<lowmag>{magnitudes})\b)?\s?(?:-|to)\s?[{symbols}]?(?P<high>{_NUM}))?"
        rf"(?:\s?(?P<mag>{magnitudes})\b|\s?(?P<magword>thousand|million|billion|trillion)\b)?"
    )
    before = re.compile(rf"(?:(?P<cur>[{symbols}])\s?|(?<![\w.])(?P<code>{codes})\s?(?=\d)){amount}{_PER_UNIT}(?P<possessive>'s\b)?")
    after = re.compile(rf"(?<![\w.]){amount}\s?(?:(?P<after>{codes})\b|(?P<aftersymbol>[{symbols}])){_PER_UNIT}")
    rough = re.compile(
        rf"(?P<cur>[{symbols}])(?P<power>10{{1,3}})s\b(?:\s+of)?(?:\s+(?P<mag>thousand|million|billion|trillion)s?\b)?"
    )
    return before, after, rough


_PER = {"mo": "month", "yr": "year", "hr": "hour"}


def _per(unit: str) -> str:
    """"/mo" -> "month", "/1M tokens" -> "million tokens"."""
    tokens = " tokens" if "tok" in unit.lower() else ""  # "$0.15/1M input tokens": said after
    if re.fullmatch(r"(?:1\s?)?(?:M|[Mm]tok|MTok|[Mm]illion)(?:\s?tokens?)?", unit):
        return "million" + tokens
    if re.fullmatch(r"(?:1\s?)?(?:[kK]|thousand)(?:\s?tokens?)?", unit):
        return "thousand" + tokens
    return _PER.get(unit, unit)
# "a $2,000 tip": after an article and before a noun, the currency is an adjective (singular).
_ARTICLE_BEFORE = re.compile(r"\b(?:a|an|the|this|that|[Tt]he)\s+(?:minus\s+)?$")
_NOUN_AFTER = re.compile(
    r"\s+(?!(?:in|of|for|to|from|on|at|with|and|or|is|was|are|were|that|which|per|a|an|the|"
    r"raised|spent|paid|invested|deal|each|total|annually|more|less|or)\b)[a-z]+\b"
)


def _money(m: re.Match[str], text: str, t: Tables) -> str:
    """"$1.5B" -> "one point five billion dollars", "£3.50" -> "three pounds fifty pence"."""
    groups = m.groupdict()
    low, high = m.group("low"), m.group("high")
    one, many = t.currencies[groups.get("cur") or groups.get("code") or groups.get("after") or groups["aftersymbol"]]
    magnitude = t.magnitudes.get(m.group("mag") or "", "") or m.group("magword") or ""
    low_magnitude = t.magnitudes.get(m.group("lowmag") or "", "")  # "$500M-$1B"
    if low_magnitude and low_magnitude != magnitude:
        low = f"{low} {low_magnitude}"
    amount = " ".join(cardinal(w) if w[0].isdigit() or w[0] == "." else w for w in low.split(" "))
    amount += f" to {cardinal(high)}" if high else ""
    if magnitude:
        spoken = f"{amount} {magnitude} {many}"
    elif not high and "." in low and len(low.split(".")[1]) <= 2 and one != many:  # no cents in yen
        whole, cents = low.replace(",", "").split(".")
        cents = cents.ljust(2, "0")
        small = "pence" if one == "pound" else "cent" if cents == "01" else "cents"
        spoken = f"{cardinal(whole or '0')} {one if whole == '1' else many}"
        if int(cents):
            change = f"{cardinal(cents.lstrip('0'))} {small}"
            spoken = change if int(whole or 0) == 0 else f"{spoken} {change}"
    else:
        spoken = f"{amount} {one if low == '1' and not high else many}"
    if m.group("per"):
        spoken += f" per {_per(m.group('per'))}"
    elif _ARTICLE_BEFORE.search(text, 0, m.start()) and _NOUN_AFTER.match(text, m.end()) and spoken.endswith(many):
        spoken = spoken[: -len(many)] + one
    return spoken


# "$10s million", "$100s of billions": tens or hundreds of some magnitude, in some currency.
_POWERS = {"10": "tens", "100": "hundreds", "1000": "thousands"}


def _rough_money(m: re.Match[str], t: Tables) -> str:
    magnitude = f" of {m.group('mag')}s" if m.group("mag") else ""
    return f"{_POWERS[m.group('power')]}{magnitude} of {t.currencies[m.group('cur')][1]}"


def _currency(text: str, t: Tables) -> str:
    if not any(c in text for c in t.currencies):
        return text
    before, after, rough = _money_patterns(t.symbols, t.codes, t.magnitude_pattern)
    # Two prices with one slash, "$5/15 per million tokens" (input/output): both are amounts.
    if "/" in text:
        text = re.sub(rf"([{t.symbols}])({_NUM}[kKMB]?)\s?/\s?[{t.symbols}]?(?=\d)(?!1\s?(?:[MKk]|[Mm]tok|MTok|[Mm]illion|thousand)\b)", r"\1\2 and \1", text)
    text = rough.sub(lambda m: _rough_money(m, t), text)
    text = before.sub(lambda m: _money(m, text, t), text)
    return after.sub(lambda m: _money(m, text, t), text)


_ZONES = r"(?:UTC|GMT|[PMCE][SD]?T|CES?T|BST|IST|JST|KST|AEST|AEDT)\b"
_LINE_TIMESTAMP = rf"\d{{1,2}}(?::\d{{2}}){{1,2}}\s*[-:]?\s+(?=[A-Z\"'])(?![AP]\.?M\b|{_ZONES})"
_LINE_TIMESTAMPS = re.compile(r"(?:^|(?<=[.!?] ))" + _LINE_TIMESTAMP)


def _dates_times(text: str) -> str:
    def month_day(m: re.Match[str]) -> str:
        month = _MONTHS[m.group("month")[:3].lower()]
        spoken = f"{month} {ordinal(m.group('day'))}"
        if m.group("year"):
            spoken += f", {year(m.group('year'))}"
        return spoken

    text = re.sub(
        rf"\b(?P<month>{_MONTH_RE})\.?\s(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s(?P<year>\d{{4}})\b)?",
        month_day,
        text,
    )
    text = re.sub(
        rf"(?P<the>\b[Tt]he\s)?\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s(?P<of>of\s)?(?P<month>{_MONTH_RE})\b\.?(?:,?\s(?P<year>\d{{4}})\b)?",
        lambda m: f"{m.group('the') or ('' if m.group('of') else 'the ')}{ordinal(m.group('day'))} of {_MONTHS[m.group('month')[:3].lower()]}"
        + (f", {year(m.group('year'))}" if m.group("year") else ""),
        text,
    )
    # A month abbreviated before a year: "Dec 2024", "Jan '25" -> "December ...".
    text = re.sub(
        r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?(?=\s(?:(?:19|20)\d\d|'\d\d)\b)",
        lambda m: _MONTHS[m.group(1)[:3].lower()],
        text,
    )
    # ISO dates 2024-04-30 and US dates 4/30/2024.
    def numeric(y: str, mo: str, d: str) -> str:
        if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
            return ""
        return f"{_MONTH_NAMES[int(mo) - 1]} {ordinal(d)}, {year(y)}"

    text = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: numeric(*m.groups()) or m.group(0), text)
    text = re.sub(
        r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", lambda m: numeric(m.group(3), m.group(1), m.group(2)) or m.group(0), text
    )

    # Ratios and odds "3:1", "20:80", "1:1000"; "1:16" only beside "ratio", "odds"...: else a time.
    if ":" in text:
        text = _RATIO.sub(_ratio, text)
    # Transcript timestamps "[00:50:12]" and chapter lists "19:28 What comes next?" (a line
    # each, the lines joined as sentences) are markers, not words; a bare "1:02:19" is a duration.
    text = re.sub(r"[\[(]\d{1,2}(?::\d{2}){1,2}[\])]|^\s*" + _LINE_TIMESTAMP, " ", text)
    if len(_LINE_TIMESTAMPS.findall(text)) >= 2:
        text = _LINE_TIMESTAMPS.sub(" ", text)
    text = re.sub(r"\b(\d{1,2}):([0-5]\d):([0-5]\d)\b", _duration, text)
    text = re.sub(r"\b(2[4-9]|[3-9]\d):([0-5]\d)\b", _duration, text)  # no clock reads "26:40": minutes

    def clock(m: re.Match[str]) -> str:
        hour, minute, ampm = m.group(1), m.group(2), m.group(3)
        spoken = cardinal(str(int(hour)))
        if minute and minute != "00":
            spoken += " " + (f"oh {cardinal(minute[1])}" if minute.startswith("0") else cardinal(minute))
        elif minute and not ampm:
            # "14:00" is said "fourteen hundred" (a 24-hour clock), "3:00" "three o'clock".
            spoken += " hundred" if int(hour) > 12 or hour.startswith("0") else " o'clock"
        if ampm:
            spoken += " " + " ".join(ampm.replace(".", "").upper())
        return spoken

    # A 24-hour time without a colon before its zone: "0900 UTC" "oh nine hundred".
    text = re.sub(rf"\b([01]\d|2[0-3])([0-5]\d)\s?(?={_ZONES})", _military, text)
    # Ranges of times: "1:30-2:30 PM", "9am-5pm".
    text = re.sub(r"(\d(?::[0-5]\d|[ap]m|[AP]M))\s?[-\u2013]\s?(?=\d{1,2}(?::[0-5]\d|\s?[ap]m\b|\s?[AP]M\b))", r"\1 to ", text)

    text = re.sub(r"\b([01]?\d|2[0-3]):([0-5]\d)(?!\d)(?:\s?([ap]\.?m|[AP]M)(?![\w]))?", clock, text)
    text = re.sub(r"\b(1[0-2]|0?[1-9])\s?([ap]m\b|[AP]M\b|[ap]\.m(?=\.))", _clock_short, text)
    # "p.m." ending a sentence keeps its full stop; inside one it is gone.
    return re.sub(rf"(?<=\b[AP] M)\.(?=\s*(?:[a-z,;:)]|\.|{_ZONES}))", "", text) if "M." in text else text


def _duration(m: re.Match[str]) -> str:
    parts = zip(m.groups(), ("hour", "minute", "second")[-len(m.groups()) :], strict=True)
    said = [f"{cardinal(str(int(n)))} {unit if int(n) == 1 else unit + 's'}" for n, unit in parts if int(n)]
    return " ".join(said) or "zero seconds"


_RATIO = re.compile(r"(?<![\w.:])(\d{1,4}):(\d{1,4})(?![\w:]|\.\d)")
_RATIO_BEFORE = re.compile(r"\b(?:ratios?|odds|split|mix)\s+(?:of\s+)?(?:about\s+|roughly\s+)?$", re.IGNORECASE)
_RATIO_AFTER = re.compile(r"\s+(?:ratios?|odds|splits?|mix|aspect)\b")


def _ratio(m: re.Match[str]) -> str:
    first, second = m.group(1), m.group(2)
    clock = len(first) <= 2 and len(second) == 2 and int(second) <= 59
    if clock and not (_RATIO_BEFORE.search(m.string, 0, m.start()) or _RATIO_AFTER.match(m.string, m.end())):
        return m.group(0)
    return f"{cardinal(first)} to {cardinal(second)}"


def _military(m: re.Match[str]) -> str:
    hour, minute = m.group(1), m.group(2)
    said = ("oh " if hour.startswith("0") else "") + cardinal(str(int(hour)))
    return f"{said} {'hundred' if minute == '00' else cardinal(minute)} "


def _clock_short(m: re.Match[str]) -> str:
    return f"{cardinal(m.group(1))} {' '.join(m.group(2).replace('.', '').upper())}"


def _years(text: str) -> str:
    # Decades: "the 2000s", "1990s", "'90s", "the 80s"; "1930s-1950s".
    text = re.sub(r"(?<=\d0s)\s?-\s?(?=\d{4}s\b)", " to ", text)
    text = re.sub(r"\b((?:1[1-9]|20)\d0)'?s\b", lambda m: _plural(year(m.group(1))), text)
    text = re.sub(r"(?<![\w'])'?([2-9]0)'?s\b", lambda m: _plural(cardinal(m.group(1))), text)

    # A year by its last two digits: "AIME '24", glued to a quarter or a name: "Q4'24", "AIME'25".
    text = re.sub(r"(?<=[A-Z0-9])'(?=\d\d\b(?!'|s\b))", " '", text)
    text = re.sub(r"(?<![\w'])'(\d\d)\b(?!'|s\b)", lambda m: cardinal(m.group(1)) if m.group(1)[0] != "0" else f"oh {cardinal(m.group(1)[1])}", text)
    # Year ranges "2020-2024", "2020–24".
    def year_range(m: re.Match[str]) -> str:
        start, end = m.group(1), m.group(2)
        if len(end) == 2:
            end = start[:2] + end
        if int(end) <= int(start):
            return m.group(0)
        return f"{year(start)} to {year(end)}"

    text = re.sub(r"(?<![\w$€£.,-])((?:1[5-9]|20)\d\d)(?:\s?-\s?|\sto\s)((?:1[5-9]|20)\d\d|(?<=-)\d\d)\b(?![.,]\d|%)", year_range, text)

    def one_year(m: re.Match[str]) -> str:
        """1900-2039 is a year unless a count noun follows; other years need a "in", "by"..."""
        number = int(m.group(1))
        before = text[max(0, m.start() - 12) : m.start()]
        if 1900 <= number <= 2039:
            is_year = not _COUNT_WORD.match(text, m.end()) or bool(_YEAR_CONTEXT.search(before))
        else:
            is_year = bool(_YEAR_CONTEXT.search(before))
        return year(m.group(1)) if is_year else m.group(0)

    text = re.sub(r"(?<![\w$€£.,:/-])((?:1[1-9]|20)\d\d)(?![\w%/-]|[.,:]\d)", one_year, text)
    # A four-digit number after an all-capital name is read in pairs: "SB 1047", "RTX 3090".
    return re.sub(
        r"(?<=\b[A-Z]{2}\s)(\d{4})\b(?![.,]\d)|(?<=\b[A-Z]{3}\s)(\d{4})\b(?![.,]\d)",
        lambda m: _pairs(m.group(1) or m.group(2)),
        text,
    )


def _pairs(number: str) -> str:
    """"1047" -> "ten forty-seven", "3090" -> "thirty ninety", "2000" -> "two thousand"."""
    if number.startswith("0") or number.endswith("00"):
        return cardinal(number)
    return year(number) if number[2] != "0" else f"{cardinal(number[:2])} oh {cardinal(number[3])}"


def _scientific(m: re.Match[str]) -> str:
    """"1e-5" -> "one e minus five": the notation as people working with it say it."""
    sign = {"-": "minus ", "+": "plus "}.get(m.group(2), "")
    return f"{cardinal(m.group(1))} e {sign}{cardinal(m.group(3))}"


def _power(m: re.Match[str]) -> str:
    """"10^25" -> "ten to the twenty-fifth", "2^2" -> "two squared", "10^-3" -> "ten to the minus three"."""
    base, exponent = cardinal(m.group(1)), m.group(2)
    if exponent.startswith("-"):
        return f"{base} to the minus {cardinal(exponent[1:])}"
    return f"{base} {_SQUARED.get(exponent) or 'to the ' + ordinal(exponent)}"


_SQUARED = {"2": "squared", "3": "cubed"}
# A plural noun after "9/10" makes it a count ("nine out of ten experts"), not a fraction.
_COUNTED = re.compile(
    r"\s+(?!(?:is|was|has|does|goes|seems|less|as|this|its|plus|minus|times|seconds|minutes|hours|days|weeks|"
    r"months|years|miles|inches|cups|points)\b)[a-z]+s\b"
)
# Words before "3/14" that make it a date (month/day): "on 3/14", "by 12/25".
_DATE_BEFORE = re.compile(r"\b(?:on|by|since|until|till|from|before|after|due|dated)\s+$", re.IGNORECASE)


def _slashed(m: re.Match[str]) -> str:
    """Two numbers with a slash: a date ("04/29", "1/2025"), a fraction ("2/3", "1/10th"),
    a score ("450/800" four hundred fifty out of eight hundred), else "a slash b"."""
    first, second, th = m.group(1), m.group(2), m.group(3)
    num, den = int(first), int(second)
    if not th and 1 <= num <= 12 and (len(second) == 4 and 1900 <= den <= 2099):
        return f"{_MONTH_NAMES[num - 1]} {year(second)}"
    padded = first.startswith("0") or second.startswith("0")
    if not th and 1 <= num <= 12 and 1 <= den <= 31 and (padded or _DATE_BEFORE.search(m.string, 0, m.start())):
        return f"{_MONTH_NAMES[num - 1]} {ordinal(second)}"
    if len(first) == 4 and 1900 <= num <= 2099 and not th:  # years: "2023/24" a season, "2002/2006" either
        later = int(first[:2] + second) if len(second) == 2 else den
        if later == num + 1:
            return f"{year(first)} to {year(str(later))}"
        if len(second) == 4 and 1900 <= den <= 2099:
            return f"{year(first)} or {year(second)}"
    if len(first) > 3 or len(second) > 3:
        return f"{cardinal(first)} slash {cardinal(second)}"
    counted = _COUNTED.match(m.string, m.end()) and not m.string[: m.start()].endswith("and ")
    if not th and num < den and counted:  # "9/10 experts": a count (not "1 and 1/2 hours")
        return f"{cardinal(first)} out of {cardinal(second)}"
    if th or 0 < num < den <= 10:
        one, many = _FRACTIONS.get(den, (ordinal(second), _plural(ordinal(second))))
        return f"{cardinal(first)} {one if num == 1 else many}"
    if num <= den:
        return f"{cardinal(first)} out of {cardinal(second)}"
    return f"{cardinal(first)} slash {cardinal(second)}"


# Notations around numbers, as (triggers, pattern, replacement): see ``_rules``.
_NOTATION_RULES = _rules(
    # Scientific notation "1e-5", "3.5E+10" (not inside hex strings or identifiers).
    (tuple(f"{d}{e}" for d in "0123456789" for e in "eE"), r"(?<![\w.-])(\d{1,3}(?:\.\d+)?)[eE]([-+]?)(\d{1,3})(?![\w-]|\.\d)", _scientific),
    # "2 x 10^24": times; powers "10^25", "2^16", "10^-3".
    ("^", r"(?<=\d)\s?[xX×*]\s?(?=\d+\s?\^)", " times "),
    ("^", r"(\^-?\d+)\s?-\s?(?=\d)", r"\1 minus "),  # "2^31-1"
    ("^", r"(\d+)\s?\^\s?(-?\d+)", _power),
    # Versions "v2.1.3", "v3": "version two point one point three".
    (tuple(f"v{d}" for d in "0123456789"), r"(?<![\w.-])v(?=\d+(?:\.\d+)*(?![\w-]|\.\d))", "version "),
    # A software version "Python 3.12": the minor number is a number, "three point twelve".
    (".", r"\b([A-Z][A-Za-z]{1,20} |version )(\d{1,2})\.([1-9]\d)(?![\d.]|\.\d|%)",
     lambda m: f"{m.group(1)}{cardinal(m.group(2))} point {cardinal(m.group(3))}"),
    # "8xH100", "2 x H100": eight times the chip; a display's "4K" is "four K", not four thousand.
    ("xX×", r"(?<![\w.])(\d+)(?:[xX×]|\s[xX×]\s)(?=[A-Z]+\d)", r"\1 times "),
    ("K", r"(?<![\w.])([48])K(?=\s(?:video|resolution|displays?|monitors?|screens?|TVs?)\b)", r"\1 K"),
    # Dimensions "2x2", "1920x1080": "two by two"; "x10" a multiplier, "times ten".
    ("xX×", r"(?<![\w.])(\d+)[xX×](\d+)(?![\w.]|\.\d)", r"\1 by \2"),
    ("x×", r"(?<![\w.])[x×](?!86\b|64\b)(?=\d+(?:\.\d+)?(?![\w.]|\.\d))", "times "),  # not "x86"
    # Video resolutions "720p", "1080p": "seven twenty p", "ten eighty p".
    ("p", r"(?<![\w.])(\d{3,4})p\b", lambda m: _pairs(m.group(1)) + " p" if len(m.group(1)) == 4 else
     f"{cardinal(m.group(1)[0])} {cardinal(m.group(1)[1:])} p"),
    # Mixtures of experts "8x7B": "eight times seven billion".
    ("xX×", rf"(?<![\w.])(\d+)[xX×](\d+(?:\.\d+)?)([{''.join(_SIZES)}])\b",
     lambda m: f"{cardinal(m.group(1))} times {cardinal(m.group(2))} {_SIZES[m.group(3)]}"),
)
_FRACTION_RULES = _rules(
    # Fractions "1/4", "2/3", "1/10th"; dates "04/29", "on 3/14", "1/2025"; scores "450/800".
    ("/", r"(?<![\w./])(\d{1,4})/(\d{1,4})((?:th|rd|nd)s?)?(?![\w/]|\.\d)", _slashed),
    ("/", r"(?<![\w./])(\d+\.\d+)/(?=\d+\.\d+(?![\w/.]))", r"\1 slash "),  # "3.6/3.7"
    # A score out of a whole number: "4.5/5", "85.2/100", "12.5/10".
    ("/", r"(?<![\w./])(\d+\.\d+)/(?=\d+(?![\w/]|\.\d))", r"\1 out of "),
    # Seconds "1.5s" (a whole "5s" may be a plural: "the 50s").
    ("s", r"(?<![\w.])(\d+\.\d+)\s?s\b", lambda m: f"{cardinal(m.group(1))} seconds"),
    # A minus before a temperature "-40°C" (other minus signs are read with plain numbers).
    ("°", r"(?<![\w.,)-])-(?=\d[\d.,]*\s?°)", "minus "),
)


def _per_unit(per: str | None) -> str:
    """What follows a unit's slash: "GB/s" per second, "ms/token" per token."""
    if not per:
        return ""
    return " per second" if per == "/s" else f" per {per[1:]}"


# An arXiv identifier "2401.12345" (year and month, then a serial): "twenty-four oh one dot
# one two three four five", not a decimal.
_ARXIV = re.compile(r"(?:\barXiv:\s?)?(?<![\w.])([0-3]\d(?:0[1-9]|1[0-2]))\.(\d{4,5})(?:v(\d+))?(?![\w.]|\.\d)")


def _arxiv(m: re.Match[str]) -> str:
    prefix = "arXiv " if m.group(0).startswith("arXiv") else ""
    said = f"{prefix}{_pairs(m.group(1))} dot {' '.join(_DIGITS[d] for d in m.group(2))}"
    return said + (f" version {cardinal(m.group(3))}" if m.group(3) else "")


_NAME_BEFORE = re.compile(r"\b(?!(?:The|From|Between|About|Around|Roughly|Only|Just|In|At|Of|With|For|To)\b)[A-Z][A-Za-z]+\s$")


def _size_range(m: re.Match[str]) -> str:
    if m.group(1).isdigit() and _NAME_BEFORE.search(m.string, max(0, m.start() - 30), m.start()):
        return m.group(1) + " "
    return m.group(1) + " to "


def _numbers_with_suffixes(text: str, t: Tables) -> str:
    if "." in text:
        text = _ARXIV.sub(_arxiv, text)
        text = re.sub(r"(?<![\w.])\.(?=\d)", "0.", text)  # ".5", "scores .06 higher": a leading zero
    # Thousands grouped by spaces, "1 000 000", "10 000" ("128 256 512", a table's row, is not).
    text = re.sub(r"(?<![\w.,])(\d{1,3})((?: 000)+)(?![\w.,]?\d)", lambda m: m.group(1) + m.group(2).replace(" ", ""), text)
    text = _apply(_NOTATION_RULES, text)
    # A decimal before a hyphened word is a number, not part of a name: "1.58-bit", "2.5-hour".
    text = re.sub(r"(?<![\w.-])(\d+\.\d+)-(?=[A-Za-z])", lambda m: cardinal(m.group(1)) + " ", text)
    # Version numbers "3.1.2".
    text = re.sub(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w]|\.\d)", lambda m: " point ".join(cardinal(p) for p in m.group(0).split(".")), text)
    text = _apply(_FRACTION_RULES, text)
    # Ranges of sizes "1B-7B", "7-13B": the dash is "to".
    # (after a name, "Llama 3-70B" is the model's version and size: no "to").
    text = re.sub(r"(?<![\w.])(?<!\w-)(\d+(?:\.\d+)?[KMBT]?)\s?-\s?(?=\d+(?:\.\d+)?[KMBT]\b)", _size_range, text)
    # Ordinals "1st", "21st".
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: ordinal(m.group(1)), text)
    # Percentages "50%", "2.5 %", ranges "10-20%".
    text = re.sub(
        rf"(?<![\w.])(-?{_NUM})(?:(?:\s?(?:-|to)\s?|%\s?-\s?)({_NUM}))?\s?%",  # "3%-4%" too
        lambda m: cardinal(m.group(1)) + (f" to {cardinal(m.group(2))}" if m.group(2) else "") + " percent",
        text,
    )
    # Multipliers "10x", "100X", "2-3x", "1,000X", "1.5x".
    text = re.sub(
        rf"(?<![\w.])({_NUM})(?:(?:\s?(?:-|to)\s?|[xX×]\s?-\s?)({_NUM}))?[xX×](?![\w])",
        lambda m: cardinal(m.group(1)) + (f" to {cardinal(m.group(2))}" if m.group(2) else "") + " times",
        text,
    )
    # Magnitudes: "10k" -> ten thousand; "70B" (a model's size) -> seventy billion.
    text = re.sub(rf"(?<![\w.])({_NUM})(k|m|bn|[KMT])\b", lambda m: f"{cardinal(m.group(1))} {t.magnitudes[m.group(2)]}", text)
    # (inside a hyphened name, "Llama-3-70B", the model-name pass reads it)
    if "B" in text:
        text = re.sub(rf"(?<![\w.])(?<!\w-)({_NUM})B\b", lambda m: f"{cardinal(m.group(1))} {t.magnitudes['B']}", text)
    text = re.sub(r"(?<![\w.])(10+)s\b", lambda m: _plural(cardinal(m.group(1)).removeprefix("one ")), text)
    text = re.sub(
        rf"(?<![\w.])({_NUM})(B)(?=\s+(?:parameters?|params|tokens?|users?|people|rows|examples|"
        r"samples|images|words|documents|downloads|views|subscribers|dollars|GPUs|hours|words|of)\b)",
        lambda m: f"{cardinal(m.group(1))} {t.magnitudes[m.group(2)]}",
        text,
    )
    # Units "10 GB", "5ms", "3 km".
    def unit(m: re.Match[str]) -> str:
        low, amount = m.group(1), m.group(2)
        one, many = t.units[m.group(3)]
        # "a 3 km walk": before a noun, after an article, the unit is an adjective.
        adjective = _ARTICLE_BEFORE.search(m.string, 0, m.start()) and _NOUN_AFTER.match(m.string, m.end())
        said = f"{cardinal(low)} to " if low else ""
        singular = amount == "1" and not low or adjective
        return f"{said}{cardinal(amount)} {one if singular else many}" + _per_unit(m.group(4))

    # A minus before a measure: "-2.3 pp", "-3 dB" (a range's dash follows a digit).
    text = re.sub(rf"(?<![\w.,)-])-(?={_NUM}\s?(?:{t.unit_pattern})(?![\w/°]))", "minus ", text)
    text = re.sub(rf"(?<![\w.])(?:({_NUM})\s?(?:-|to)\s?)?({_NUM})\s?({t.unit_pattern})(/s\b|/[A-Za-z]+\b)?(?![\w/°])", unit, text)
    # Number ranges "2-3", "10–20".
    text = re.sub(
        rf"(?<![\w.$-])({_NUM})\s?-\s?({_NUM})(?![\w.-]|[.,]\d)",
        lambda m: f"{cardinal(m.group(1))} to {cardinal(m.group(2))}",
        text,
    )
    return text


def _spell(letters: str) -> str:
    """"RLHF" -> "R L H F", "GPUs" -> "G P U's" (a voice reads "G P Us" as "G P us")."""
    if len(letters) > 2 and letters.endswith("s") and letters[:-1].isupper():
        return " ".join(letters[:-1]) + "'s"
    return " ".join(letters)


def _segment(part: str, words: frozenset[str], t: Tables) -> str:
    """One letters-or-digits piece of a model name: "GPT" -> "G P T", "4" -> "four"."""
    if part in words:
        return part
    if part in t.acronyms:
        return t.acronyms[part]
    if part.lower() in t.spelled:
        return t.spelled[part.lower()]
    if re.fullmatch(r"\d+(?:\.\d+)*", part):
        if "." in part:
            return " point ".join(_digits_or_cardinal(p, i > 0) for i, p in enumerate(part.split(".")))
        stamp = re.fullmatch(r"(20\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", part)  # "20241022"
        if stamp:
            return f"{_MONTH_NAMES[int(stamp.group(2)) - 1]} {ordinal(stamp.group(3))}, {year(stamp.group(1))}"
        return _pairs(part) if len(part) == 4 else cardinal(part)
    if re.fullmatch(r"[A-Z]{2,}s?", part) and part not in ("II", "III"):
        return _spell(part)
    return part


def _digits_or_cardinal(part: str, after_point: bool) -> str:
    if after_point and len(part) > 1 and part.startswith("0"):
        return " ".join(_DIGITS[d] for d in part)
    return cardinal(part)


_MODEL_TOKEN = re.compile(
    r"(?<![\w.])(?=[A-Za-z0-9.\-]*[A-Za-z])(?=[A-Za-z0-9.\-]*\d)[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*(?![\w])"
)


def _model_names(text: str, words: frozenset[str], t: Tables) -> str:
    """Names mixing letters and digits: "GPT-4o" -> "G P T four o", "H100" -> "H one hundred",
    "Qwen2.5-72B" -> "Qwen two point five seventy-two B"."""

    def spoken(m: re.Match[str]) -> str:
        token = m.group(0)
        if token in words:
            return token
        token = re.sub(r"(?<=\d)b\b", "B", token)  # "7b" is a model size, "seven B"
        plural = token.endswith("s") and token[-2:-1].isdigit()  # "H100s" -> "H one hundreds"
        parts = re.findall(
            r"\d+(?:\.\d+)*|[A-Z]{2,}(?=[a-z]\d)|[A-Z]+s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*|[A-Z]",
            token[:-1] if plural else token,
        )
        said = " ".join(_segment(p, words, t) for p in parts)
        said = re.sub(r"(?<=[a-z]) B\b", " billion", said) if "B" in parts else said  # "72B": a size
        return _plural(said) if plural else said

    return _MODEL_TOKEN.sub(spoken, text)


def _plain_numbers(text: str) -> str:
    text = re.sub(rf"(?<![\w.])-(?={_NUM}\b)", "minus ", text)
    text = re.sub(rf"(?<![\w])({_NUM})(?![\w])", lambda m: cardinal(m.group(1)), text)
    # Whatever digits are left (glued to odd neighbours): no voice should see a digit.
    return re.sub(r"\d+", lambda m: f" {cardinal(m.group(0))} ", text)


# Shouting: three or more all-capital words in a row, some of them plain English words.
_SHOUT = re.compile(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,}\b){2,}")
_FUNCTION_WORDS = frozenset("THE AND OF TO IN IS IT FOR WITH ON ARE WAS BE THIS THAT YOU WE NOT ALL OR AT".split())


def _is_shouting(tokens: list[str], words: frozenset[str]) -> bool:
    return not set(tokens) & words and bool(set(tokens) & _FUNCTION_WORDS)


# An all-capital word of five or more letters built of English syllables ("NVIDIA",
# "REINFORCE") is read as a word; "RLAIF" or "LMSYS" cannot be, so they are spelled.
_ONSET = r"(?:[BCDFGHJKLMNPQRSTVWXZ]|BL|BR|CH|CL|CR|DR|FL|FR|GL|GR|PH|PL|PR|SC|SH|SK|SL|SM|SN|SP|ST|SW|TH|TR|TW|WH|STR|SPR|SCR)?"
_CODA = (
    r"(?:NST|RST|RTS|NTS|NG|NK|NT|ND|NS|ST|SK|SP|RT|RD|RN|RM|RS|RK|RL|RC|LL|LT|LD|LM|LS|MP|CK|CH|SH|TH|"
    r"RR|SS|FF|TT|SM|[BCDFGHJKLMNPQRSTVWXYZ])?"
)
_PRONOUNCEABLE = re.compile(rf"(?:{_ONSET}[AEIOU]{{1,2}}{_CODA})(?:{_ONSET}[AEIOUY]{{1,2}}{_CODA})*")


def _pronounceable(word: str) -> bool:
    return len(word) >= 5 and bool(_PRONOUNCEABLE.fullmatch(word))


def _acronyms(text: str, words: frozenset[str], t: Tables) -> str:
    text = re.sub(r"\b(?:[A-Z]\.){2,}(?=[\s,;:!?)\"']|$)", lambda m: " ".join(m.group(0).replace(".", "")), text)

    def spell(m: re.Match[str]) -> str:
        token = m.group(0)
        if token in words:
            return token
        if token in t.acronyms:
            return t.acronyms[token]
        if token.islower() and token in t.spelled:
            return t.spelled[token]
        camel = re.fullmatch(r"([A-Z][a-z]{2,}|[a-z]{1,})([A-Z]{2,}s?)", token)
        if camel:  # "OpenAI" -> "Open A I", "ChatGPT", "xAI"
            return f"{camel.group(1)} {_spell(camel.group(2))}"
        caps_word = re.fullmatch(r"([A-Z]{2,})([A-Z][a-z]{2,})", token)
        if caps_word:  # "MLOps" -> "M L Ops"
            return f"{_spell(caps_word.group(1))} {caps_word.group(2)}"
        if _pronounceable(token):
            return token.capitalize()
        if re.fullmatch(r"[A-Z]{2,}s?", token):
            if token in ("II", "III"):
                return {"II": "two", "III": "three"}[token]
            return _spell(token)
        return token

    # Shouting: three or more all-capital words in a row are words, not acronyms.
    text = _SHOUT.sub(lambda m: m.group(0).lower() if _is_shouting(m.group(0).split(), words) else m.group(0), text)
    return re.sub(t.acronym_pattern, spell, text)


def _tidy(text: str) -> str:
    """Punctuation and spaces left right after the passes: no empty brackets, no space
    before a comma, no doubled commas, one space between words."""
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r",\s*([.!?])", r"\1", text)
    text = re.sub(r"^[\s,;:.]+(?=\w|\")", "", text)
    text = re.sub(r"\.\.\.\.+", "...", text)
    return text.strip(" ,;")


@lru_cache(maxsize=16)
def _words_pattern(words: frozenset[str]) -> re.Pattern[str]:
    """The lexicon's words as whole words (matched as the lexicon matches them)."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _protect_words(text: str, words: frozenset[str], keep: _Protect) -> str:
    if not words:
        return text
    return _words_pattern(words).sub(lambda m: keep(m.group(0)), text)


_DIGIT = re.compile(r"\d")


# Normalisers of other languages: language code -> module with its own
# ``normalize_text(text, words)``. A language without one is left as written but for
# its spacing (an espeak-based voice such as Piper's reads digits in its own language).
LANGUAGE_NORMALISERS = {"es": "audio.prepare.normalize_es"}


def normalize_text(text: str, words: frozenset[str] = frozenset(), language: str = "en", *,
                   tables: Tables | None = None) -> str:
    """What a careful narrator says for one paragraph of plain text.

    ``words``: words to leave exactly as written (the pronunciation lexicon's entries,
    so that "NASA" is not spelled out and the lexicon still finds "Kokotajlo").
    ``tables``: the names, abbreviations and units to use (default: the packaged ones;
    a show's lexicon extends them). A paragraph that is only a URL becomes "".
    ``language``: the post's language code.
    """
    if language != "en":
        if language not in LANGUAGE_NORMALISERS:
            return " ".join(text.split())
        return importlib.import_module(LANGUAGE_NORMALISERS[language]).normalize_text(text, words)
    t = tables or packaged_tables()
    text = _unicode(text)
    if _URL.fullmatch(text.strip().strip("<>()[].,")) or _EMAIL.fullmatch(text.strip().strip("<>()[].,")):
        return ""
    keep = _Protect()
    text = _urls(text, keep)
    text = _protect_words(text, frozenset(words), keep)
    text = _apply(t.compiled_rules, text)
    text = _apply(_MARKUP_RULES, text)
    digits = _DIGIT.search(text) is not None
    if digits:
        text = _numbers_with_suffixes(_years(_dates_times(_currency(text, t))), t)
    text = _apply(_SYMBOL_RULES, text)
    if digits:
        text = _plain_numbers(_model_names(text, frozenset(words), t))
    text = _apply(_SLASH_RULES, text)
    text = _acronyms(text, frozenset(words), t)
    return _capitalise_numbers(_tidy(keep.restore(text)))


_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "first|second|third|fifth|eighth|ninth|twelfth|minus|about|hundreds|thousands|tens"
)
_SENTENCE_NUMBER = re.compile(rf"(?:^|(?<=[.!?] )|(?<=[.!?][\"')] ))[\"'(]?(?:{_NUMBER_WORDS})(?:th|teenth|ieth)?\b")


def _capitalise_numbers(text: str) -> str:
    """A sentence that began with digits begins with a capital: "Twenty twenty was ..."."""
    return _SENTENCE_NUMBER.sub(lambda m: re.sub("[a-z]", lambda c: c.group(0).upper(), m.group(0), count=1), text)
