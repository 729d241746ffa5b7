"""Spanish normalisation: what a Spanish narrator says for a paragraph of plain text.

Numbers, years, dates ("6 de junio de 2025", "06/06/2025"), percentages, money ("$5
millones", "20 €"), ordinals ("1.º", "2.ª", "3er", "siglo XXI"), times ("a las 9:30") and
common abbreviations ("EE. UU.", "p. ej.", "etc.") become words, read by num2words.

Readings chosen where the writing is ambiguous: a dot or a comma followed by exactly three
digits groups thousands ("1.500" and "1,500" are both "mil quinientos"; Spain writes the
first, Mexico the second); any other comma or dot is a decimal point, read "coma" or
"punto" as written. Years are cardinals (Spanish reads "1943" as "mil novecientos
cuarenta y tres" whatever it counts). A number before a noun drops its final "o"
("21 años" -> "veintiún años", "1 millón" -> "un millón"); the gender of the noun is not
known, so "21 personas" is read with the masculine form too.
"""

from __future__ import annotations

import re
from datetime import datetime

from num2words import num2words

from audio.prepare.normalize import _EMAIL, _URL, _Protect, _protect_words, _unicode

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")

# Abbreviations: written -> spoken. Titles come before a name: never a sentence end.
_TITLES = {"Sr.": "señor", "Sra.": "señora", "Srta.": "señorita", "Dr.": "doctor", "Dra.": "doctora",
           "Lic.": "licenciado", "Ing.": "ingeniero", "Prof.": "profesor", "D.": "don", "Dña.": "doña"}
_ABBREVIATIONS = {
    "EE. UU.": "Estados Unidos", "EE.UU.": "Estados Unidos", "p. ej.": "por ejemplo", "p.ej.": "por ejemplo",
    "etc.": "etcétera", "aprox.": "aproximadamente", "núm.": "número", "pág.": "página",
    "págs.": "páginas", "vs.": "contra", "a. C.": "antes de Cristo", "d. C.": "después de Cristo",
    "Ud.": "usted", "Uds.": "ustedes", "cap.": "capítulo", "vol.": "volumen", "máx.": "máximo",
    "mín.": "mínimo", "tel.": "teléfono", "admón.": "administración", "S. A.": "sociedad anónima",
}
_ABBREVIATION = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted([*_ABBREVIATIONS, *_TITLES], key=len, reverse=True))
    + r")(?=(\s+[A-ZÁÉÍÓÚÑ¿¡]|$)|\s|[,;:)])"
)
_UNITS = {"km": "kilómetros", "kg": "kilos", "cm": "centímetros", "mm": "milímetros", "GB": "gigas", "MB": "megas",
          "TB": "teras", "ms": "milisegundos", "h": "horas", "min": "minutos"}
_CURRENCIES = {"$": ("dólar", "dólares"), "US$": ("dólar", "dólares"), "€": ("euro", "euros"),
               "£": ("libra", "libras")}
_SCALES = r"(?:mil(?:lón|lones)?|billón|billones)"
# A number as Spanish writes it: thousands grouped by dots (or by commas, as in Mexico),
# an optional decimal part after a comma or a dot.
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_MONEY = re.compile(
    rf"(?<![\w$€£])(US\$|\$|€|£)\s?({_NUM})(?:\s({_SCALES}))?(?:\s?(€))?|(?<![\w.,])({_NUM})\s?(€|euros?)(?!\w)"
)
_PERCENT = re.compile(rf"(?<![\w.,])(-?)({_NUM})\s?%")
_NUMERIC_DATE = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\w/])")
_TIME = re.compile(r"(?<![\w:.,])([01]?\d|2[0-3]):([0-5]\d)(?:\s?h\b)?(?![\w:])")
# Read before Unicode normalisation, which makes "º" and "ª" plain letters.
_ORDINAL = re.compile(r"(?<![\w.,])(\d+)\.?(º|ª|er|ra|ro|do|da|to|ta|vo|va|mo|ma|no|na)\b")
_DEGREES = re.compile(r"(?<=\d)\s?°\s?C\b")
_NUMERO = re.compile(r"\b[Nn]\.?\s?º\s?")
_ROMAN_CENTURY = re.compile(r"\b(siglos?|Siglos?)\s+([IVXL]+)\b")
_UNIT = re.compile(rf"(?<![\w.,])({_NUM})\s?({'|'.join(re.escape(u) for u in _UNITS)})(?![\w°])")
_NUMBER = re.compile(rf"(?<![\w.,])(-)?({_NUM})(?![\w])")
# Words after which a number keeps its full form ("uno de cada diez", "uno por ciento").
_NOT_A_NOUN = frozenset(
    "de del por coma punto y e o u a al en con que es son más menos entre como para sobre hasta".split()
)


def _value(number: str) -> int | float:
    """A number as written, by the readings in the module's docstring."""
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):
        return int(re.sub(r"[.,]", "", number))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d+", number):
        return float(number.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+\.\d+", number):
        return float(number.replace(",", ""))
    return float(number.replace(",", ".")) if re.search(r"[.,]", number) else int(number)


def say_number(number: str) -> str:
    """A written number in words: "1.500" -> "mil quinientos", "2,5" -> "dos coma cinco"."""
    value = _value(number)
    if isinstance(value, int):
        return num2words(value, lang="es")
    point = "coma" if "," in number and not re.fullmatch(r"\d{1,3}(?:,\d{3})+\.\d+", number) else "punto"
    whole, fraction = re.fullmatch(r"(.*)[.,](\d+)", number).groups()
    whole = str(int(re.sub(r"[.,]", "", whole)))
    spoken_fraction = (num2words(int(fraction), lang="es") if not fraction.startswith("0") and len(fraction) <= 2
                       else " ".join(num2words(int(d), lang="es") for d in fraction))
    return f"{num2words(int(whole), lang='es')} {point} {spoken_fraction}"


def _before_noun(spoken: str) -> str:
    """The form of a number before a noun: "uno" -> "un", "veintiuno" -> "veintiún"."""
    if spoken.endswith("veintiuno"):
        return spoken[: -len("veintiuno")] + "veintiún"
    return spoken[:-1] if spoken.endswith("uno") else spoken


def ordinal(number: int, feminine: bool = False) -> str:
    spoken = num2words(number, lang="es", to="ordinal")
    return " ".join(w[:-1] + "a" for w in spoken.split()) if feminine else spoken


def _ordinal(m: re.Match[str]) -> str:
    number, suffix = int(m.group(1)), m.group(2)
    if suffix == "er":  # 1er, 3er: the short form before a noun
        return ordinal(number).removesuffix("o")
    return ordinal(number, feminine=suffix in ("ª", "ra", "da", "ta", "va", "ma", "na"))


def _roman(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50}
    total = 0
    for i, c in enumerate(numeral):
        v = values[c]
        total += -v if i + 1 < len(numeral) and values[numeral[i + 1]] > v else v
    return total


def _money(m: re.Match[str]) -> str:
    symbol, number, scale, euro_after, number_after, _unit = m.groups()
    if number_after is not None:
        number, symbol = number_after, "€"
    singular, plural = _CURRENCIES["€" if euro_after else symbol]
    amount = say_number(number)
    if scale:
        return f"{_before_noun(amount)} {scale} de {plural}"
    return f"{_before_noun(amount)} {singular if _value(number) == 1 else plural}"


def _time(m: re.Match[str]) -> str:
    hour = num2words(int(m.group(1)), lang="es")
    hour = hour[:-1] + "a" if hour.endswith("uno") else hour  # la una, las veintiuna
    minutes = int(m.group(2))
    spoken = {0: f"{hour} en punto", 15: f"{hour} y cuarto", 30: f"{hour} y media"}.get(minutes)
    return spoken or f"{hour} y {num2words(minutes, lang='es')}"


def _numeric_date(m: re.Match[str]) -> str:
    day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return m.group(0)
    return f"{num2words(day, lang='es')} de {MONTHS[month - 1]} de {num2words(year, lang='es')}"


def _abbreviation(m: re.Match[str]) -> str:
    written = m.group(1)
    if written in _TITLES:
        return _TITLES[written]
    # Before a capital the abbreviation's full stop also ended the sentence.
    return _ABBREVIATIONS[written] + ("." if m.group(2) is not None else "")


def _number(m: re.Match[str], text: str) -> str:
    spoken = ("menos " if m.group(1) else "") + say_number(m.group(2))
    after = text[m.end():].lstrip().split(" ", 1)[0].strip(".,;:!?)\"'»").lower()
    if after.isalpha() and after not in _NOT_A_NOUN and m.end() < len(text) and text[m.end()] == " ":
        return _before_noun(spoken)
    return spoken


def spoken_domain(address: str) -> str:
    """``https://www.ejemplo.com/x`` -> ``ejemplo punto com``."""
    host = re.sub(r"^(?:https?://|ftp://)?(?:www\.)?", "", address, flags=re.IGNORECASE).split("/")[0].split("@")[-1]
    return " punto ".join(p for p in host.split(".") if p)


def spoken_date(date: datetime) -> str:
    """A date as a Spanish intro writes it: "6 de junio de 2025"."""
    return f"{date.day} de {MONTHS[date.month - 1]} de {date.year}"


def normalize_text(text: str, words: frozenset[str] = frozenset()) -> str:
    """What a Spanish narrator says for one paragraph; ``words`` are left as written (the
    lexicon's entries). A paragraph that is only a URL becomes ""."""
    text = _DEGREES.sub(" grados", _NUMERO.sub("número ", text))
    if any(c.isdigit() for c in text):
        text = _ORDINAL.sub(_ordinal, text)
    text = _unicode(text)
    bare = text.strip().strip("<>()[].,")
    if _URL.fullmatch(bare) or _EMAIL.fullmatch(bare):
        return ""
    keep = _Protect()
    text = _EMAIL.sub(lambda m: keep(spoken_domain(m.group(0))), text)
    text = _URL.sub(lambda m: keep(spoken_domain(m.group(0).rstrip(".,;:!?"))) + m.group(0)[len(m.group(0).rstrip(".,;:!?")):], text)
    text = _protect_words(text, frozenset(words), keep)
    text = _ABBREVIATION.sub(_abbreviation, text)
    text = _ROMAN_CENTURY.sub(lambda m: f"{m.group(1)} {num2words(_roman(m.group(2)), lang='es')}", text)
    if any(c.isdigit() for c in text):
        text = _MONEY.sub(_money, text)
        text = _PERCENT.sub(lambda m: ("menos " if m.group(1) else "") + say_number(m.group(2)) + " por ciento", text)
        text = _NUMERIC_DATE.sub(_numeric_date, text)
        text = _TIME.sub(_time, text)
        text = _UNIT.sub(lambda m: f"{_before_noun(say_number(m.group(1)))} {_UNITS[m.group(2)]}", text)
        text = _NUMBER.sub(lambda m: _number(m, text), text)
    text = text.replace(" & ", " y ").replace("~", "unos ")
    text = re.sub(r"\.(?=[,;:])", "", text)
    return " ".join(keep.restore(text).split())
