"""A post's language: what the post says, else what its prose looks like.

In order: front matter ``lang``/``language``; the HTML ``lang`` attribute (of the page's
``<html>``, which pandoc keeps as metadata, or of a ``<div>`` around the whole body);
else py3langid (langid.py retrained: a 4.6 MB model shipped in the wheel, numpy only,
about 0.2 ms a post once loaded) on the post's prose (no code, no URLs), restricted to
the languages the show could read: English, the show's own, those of ``[voices]`` and
those the preparer normalises. A post too short to tell, or one the detector is not sure
of, is in the show's language.
"""

from __future__ import annotations

import math
import re
import threading
from functools import lru_cache
from typing import Any

from audio.errors import ConfigError, PostSkipped
from audio.models import Post, VoiceProfile
from audio.prepare.normalize import LANGUAGE_NORMALISERS
from audio.show import Show, language_code

# Names for messages; a language not listed is named by its code.
LANGUAGE_NAMES = {
    "ar": "Arabic", "ca": "Catalan", "de": "German", "en": "English", "es": "Spanish", "fr": "French",
    "hi": "Hindi", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ru": "Russian", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian", "zh": "Chinese",
}
MIN_WORDS = 20  # fewer words of prose: too short to tell, the show's language
MIN_CONFIDENCE = 0.99  # the detector's probability among the candidate languages
SAMPLE_CHARS = 4000  # prose read by the detector (the opening of the post)
_NOT_PROSE = re.compile(r"\S*(?:://|www\.|@)\S*|\S*[_/\\{}<>=]\S*")
_PROSE_BLOCKS = ("Para", "Plain", "Header", "BlockQuote", "BulletList", "OrderedList", "Div", "LineBlock")


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def _text(inlines: list[dict[str, Any]], out: list[str]) -> None:
    for inline in inlines:
        kind, content = inline.get("t"), inline.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Emph", "Strong", "Underline", "Strikeout", "SmallCaps"):
            _text(content, out)
        elif kind in ("Quoted", "Span", "Link", "Cite"):
            _text(content[1], out)


def _prose(blocks: list[dict[str, Any]], out: list[str]) -> None:
    """The words of the post's prose blocks, in order (code, raw HTML and tables left out)."""
    for block in blocks:
        if sum(map(len, out)) > SAMPLE_CHARS:
            return
        kind, content = block.get("t"), block.get("c")
        if kind in ("Para", "Plain"):
            _text(content, out)
        elif kind == "Header":
            _text(content[2], out)
        elif kind in ("BlockQuote",):
            _prose(content, out)
        elif kind == "Div":
            _prose(content[1], out)
        elif kind == "BulletList":
            for item in content:
                _prose(item, out)
        elif kind == "OrderedList":
            for item in content[1]:
                _prose(item, out)
        else:
            continue
        out.append(" ")


def prose_sample(ast: dict[str, Any]) -> str:
    """The opening of the post's prose, without URLs, addresses and code-like tokens."""
    out: list[str] = []
    _prose(ast.get("blocks", []), out)
    return " ".join(_NOT_PROSE.sub(" ", "".join(out)).split())[:SAMPLE_CHARS]


_LOADING = threading.Lock()


def _identifier(candidates: frozenset[str]):
    """The detector for ``candidates``, loaded once (0.5 s of CPU, mostly decompressing its
    model), by whichever thread asks first."""
    with _LOADING:
        return _load_identifier(candidates)


@lru_cache(maxsize=2)
def _load_identifier(candidates: frozenset[str]):
    """The model cut down to ``candidates``: the scores of the other 140 languages (28 MB
    of the model's 77) are never compared, so they are not kept while a voice synthesizes."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    keep = [i for i, code in enumerate(full.nb_classes) if code in candidates]
    return LanguageIdentifier(full.nb_ptc[:, keep].copy(), full.nb_pc[keep].copy(), [full.nb_classes[i] for i in keep],
                              full.tk_nextmove, full.tk_output, norm_probs=False, tk_row=full.tk_row)


def load_detector_in_background(candidates: frozenset[str]) -> None:
    """Start loading the detector now, so that it is ready when the first post needing it
    has been read (decompression releases the GIL: it overlaps the other work)."""
    threading.Thread(target=_identifier, args=(candidates,), name="language-detector", daemon=True).start()


def detect(text: str, candidates: frozenset[str]) -> tuple[str, float] | None:
    """The most likely of ``candidates`` for ``text`` and its probability among them, or
    None when the text is too short to tell. The model's log-probabilities are compared
    among the candidates only (thread-safe: the model is not changed)."""
    if len(text.split()) < MIN_WORDS:
        return None
    identifier = _identifier(candidates)
    known = [c for c in sorted(candidates) if c in identifier.nb_classes]
    if len(known) < 2:
        return (known[0], 1.0) if known else None
    scores = dict(identifier.rank(text))
    best = max(known, key=lambda c: scores[c])
    total = sum(math.exp(scores[c] - scores[best]) for c in known)
    return best, 1.0 / total


def _stated(front: dict[str, Any], ast: dict[str, Any]) -> str:
    """The language the post states: front matter, the HTML page's ``lang``, or the
    ``lang`` of a single ``<div>`` around the whole body."""
    for key in ("lang", "language"):
        if front.get(key):
            return str(front[key])
    lang = ast.get("meta", {}).get("lang")
    if lang:
        return "".join(i.get("c", "") for i in lang.get("c", []) if i.get("t") == "Str") if isinstance(
            lang.get("c"), list) else str(lang.get("c"))
    blocks = ast.get("blocks", [])
    if len(blocks) == 1 and blocks[0].get("t") == "Div":
        return dict(blocks[0]["c"][0][2]).get("lang", "")
    return ""


def candidate_languages(show: Show) -> frozenset[str]:
    """The languages detection chooses among."""
    return frozenset({"en", language_code(show.show.language), *show.voices, *LANGUAGE_NORMALISERS})


def post_language(front: dict[str, Any], ast: dict[str, Any], show: Show) -> str:
    """The post's language as a primary language code ("es"), the show's when unsure."""
    stated = language_code(_stated(front, ast))
    if stated:
        return stated
    found = detect(prose_sample(ast), candidate_languages(show))
    if found is not None and found[1] >= MIN_CONFIDENCE:
        return found[0]
    return language_code(show.show.language)


def post_voice(post: Post, show: Show, voice: str | None = None) -> str:
    """The voice profile that reads the post: ``voice`` when one is asked for, else the
    show's voice for the post's language. A post in a language the show has no voice for
    is skipped (``PostSkipped``): it is never read by a voice of another language."""
    if voice:
        return voice
    language = post.meta.language or show.language
    name = show.voice_for(language)
    if name is None:
        raise PostSkipped(post.source, f"written in {language_name(language)} ({language}) and the show has no "
                                       f"{language_name(language)} voice: add [voices] {language} = \"<profile>\" "
                                       f"to show.toml")
    return name


def check_voice_language(profile: VoiceProfile, post: Post, show: Show) -> None:
    """A profile ``[voices]`` names for a language declares that language."""
    language = post.meta.language or show.language
    if language in show.voices and language_code(profile.language) != language:
        raise ConfigError(show.config_path, f"voices.{language}: the profile {profile.name!r} reads "
                                            f"{profile.language!r} (its language), not {language!r}")
