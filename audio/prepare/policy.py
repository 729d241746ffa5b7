"""The element policy: what each piece of a post's AST is, decided by class, never by text.

Substack marks every widget, embed and footnote with a class and (through pandoc, which
drops HTML's ``data-`` prefix) a ``component-name`` attribute. The speakable walker and
the show-notes filter both ask this module, so the script and the notes agree.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

# What a Div (or Link/Span) is.
PROSE = "prose"  # read it: walk its children
FOOTNOTE = "footnote"  # a footnote body
IMAGE = "image"  # a figure or image wrapper: not read, caption optional
EMBED = "embed"  # another post, a tweet, a video or audio player: not read, link kept in notes
CHROME = "chrome"  # widgets, buttons, comments, page furniture: dropped everywhere
MATH = "math"  # a rendered equation block: not read, cue

FOOTNOTE_CLASSES = frozenset({"footnote"})
IMAGE_CLASSES = frozenset({"image2-inset", "captioned-image-container", "image-container", "image-gallery-embed"})
MATH_CLASSES = frozenset({"latex-rendered", "math-block"})
EMBED_CLASSES = frozenset(
    {
        "embedded-post-wrap", "embedded-post", "digest-post-embed", "embedded-publication-wrap",
        "tweet", "twitter-embed", "bluesky-wrap", "threads-wrap", "instagram", "tiktok-wrap",
        "youtube-wrap", "youtube-inner", "vimeo-wrap", "native-video-embed", "video-embed",
        "apple-podcast-container", "apple-podcast", "spotify-wrap", "spotify", "soundcloud-wrap",
        "bandcamp-wrap", "native-audio-embed", "audio-embed", "file-embed-wrapper",
        "file-embed-container", "poll-embed", "github-gist", "iframe", "datawrapper-wrap",
        "community-chat", "embedded-podcast",
    }
)
CHROME_CLASSES = frozenset(
    {
        "subscription-widget-wrap", "subscription-widget-wrap-editor", "subscription-widget",
        "subscribe-widget", "subscribe-footer", "paywall", "paywall-jump", "button-wrapper",
        "captioned-button-wrap", "button", "share-dialog", "share", "post-ufi", "post-footer",
        "post-header", "comments-section", "comments-page", "comment-list", "comment",
        "main-menu", "topbar", "navbar", "footer", "footer-wrap", "image-link-expand",
        "icon-container", "install-substack-app-embed", "visibility-check", "like-button-container",
        "post-ufi-button", "cta-caption", "email-input", "signup-form",
    }
)
# Substack components that are prose or handled above; any other component is an embed.
PROSE_COMPONENTS = frozenset({"PullQuoteToDOM", "BlockquoteToDOM"})
FOOTNOTE_COMPONENTS = frozenset({"FootnoteToDOM"})
IMAGE_COMPONENTS = frozenset({"Image2ToDOM", "ImageGallery", "CaptionedImage"})
ANCHOR_COMPONENTS = frozenset({"FootnoteAnchorToDOM"})
CHROME_COMPONENT_WORDS = ("Subscribe", "Button", "Share", "Comment", "Paywall", "Like")

FOOTNOTE_ANCHOR_CLASSES = frozenset({"footnote-anchor", "footnote-number", "footnote-ref"})
IMAGE_FILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".heic")


def attr_parts(attr: list[Any]) -> tuple[str, list[str], dict[str, str]]:
    """pandoc's ``[id, classes, [[key, value], ...]]`` as id, classes and a dict."""
    return attr[0], attr[1], dict(attr[2])


def classify(attr: list[Any]) -> str:
    """What a Div, Span or Link with this pandoc Attr is."""
    ident, classes, keyvals = attr_parts(attr)
    names = set(classes)
    component = keyvals.get("component-name", "")
    if names & FOOTNOTE_CLASSES or component in FOOTNOTE_COMPONENTS:
        return FOOTNOTE
    if ident == "discussion" or names & CHROME_CLASSES:
        return CHROME
    if names & MATH_CLASSES:
        return MATH
    if names & EMBED_CLASSES:
        return EMBED
    if names & IMAGE_CLASSES or component in IMAGE_COMPONENTS:
        return IMAGE
    if component and component not in PROSE_COMPONENTS | ANCHOR_COMPONENTS:
        return CHROME if any(word in component for word in CHROME_COMPONENT_WORDS) else EMBED
    return PROSE


def is_footnote_anchor(attr: list[Any], target: str) -> bool:
    _, classes, keyvals = attr_parts(attr)
    return (
        bool(set(classes) & FOOTNOTE_ANCHOR_CLASSES)
        or keyvals.get("component-name") in ANCHOR_COMPONENTS
        or target.startswith(("#footnote", "#fn"))
    )


def footnote_target(target: str) -> str:
    """The footnote body's id an anchor points to (``#footnote-1`` -> ``footnote-1``)."""
    return target.lstrip("#")


def embed_link(attr: list[Any], links: list[tuple[str, str]]) -> tuple[str, str] | None:
    """``(title, url)`` worth keeping in the show notes for an embed, or None.

    Substack stores the embed's data as JSON in an ``attrs`` attribute; else the first
    web link inside the embed (``links`` holds ``(text, url)`` pairs in document order).
    """
    _, _, keyvals = attr_parts(attr)
    data: dict[str, Any] = {}
    try:
        loaded = json.loads(keyvals.get("attrs", "{}"))
        data = loaded if isinstance(loaded, dict) else {}
    except ValueError:
        pass
    url = str(data.get("url") or data.get("canonical_url") or "")
    if not url and data.get("videoId"):
        url = f"https://www.youtube.com/watch?v={data['videoId']}"
    web = [(text, href) for text, href in links if href.startswith(("http://", "https://"))]
    if not url and web:
        url = web[0][1]
    if not url:
        return None
    title = str(data.get("title") or "").strip() or next((t for t, _ in web if t.strip()), "")
    return (title or domain(url)), url


def domain(url: str) -> str:
    """``https://www.interconnects.ai/p/x`` -> ``interconnects.ai``."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or url
    return host.removeprefix("www.")


def spoken_domain(url: str) -> str:
    """``https://www.interconnects.ai`` -> ``interconnects dot ai``."""
    return " dot ".join(part for part in domain(url).split(".") if part)


def is_data_uri(src: str) -> bool:
    return src.startswith("data:")


def meaningful_caption(text: str) -> bool:
    """A caption worth reading: not empty, not a file name, not the word "Image"."""
    stripped = text.strip()
    return bool(stripped) and stripped.lower() not in {"image", "img", "picture", "photo"} and not (
        stripped.lower().endswith(IMAGE_FILE_SUFFIXES)
    )


def boilerplate_matcher(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive regex for the show's boilerplate patterns (None when empty)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
