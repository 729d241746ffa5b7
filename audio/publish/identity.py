"""The show's public identity: its URLs and its channel GUID.

A public build needs real URLs: a placeholder (``example.com``, ``.org``, ``.net`` and
their sub-domains) or a loopback address (``127.0.0.1``, ``localhost``, ``::1``) is
refused, with the show.toml key to set. A preview build (``publish --preview``) is served
on loopback for local viewing and never fixes anything.

The channel ``podcast:guid`` is the show's identity in Apple Podcasts and the Podcast
Index: derived once from the real public feed URL and kept (in the catalogue and its
identity file) even when the feed moves. One derived from a placeholder or loopback feed
URL, as builds before this rule stored, counts as not fixed: the next public build
derives it again from the real URL.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from urllib.parse import urlsplit

from audio.catalog import Catalog
from audio.show import PublishOptions, Show

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
PREVIEW_URL = "http://127.0.0.1:8000"  # serve's default address
# Feed roots whose GUID was stored by earlier builds but never identifies a real show.
PLACEHOLDER_ROOTS = (
    "podcast.example.com", "example.com", "www.example.com", "podcast.example.org", "example.org",
    "www.example.org", "podcast.example.net", "example.net", "www.example.net", "127.0.0.1:8000", "localhost:8000",
)
_EXAMPLE = re.compile(r"(^|\.)example\.(com|org|net)$")
PUBLIC_URLS = (  # (table, key, how to fix it)
    ("show", "base_url", "set it to your newsletter's address"),
    ("publish", "site_url", "set it to the https address where the site will be served"),
    ("publish", "feed_url", "set it to the feed's public https address, or leave it empty"),
)


def podcast_guid(feed_url: str) -> str:
    """Podcasting 2.0 ``podcast:guid``: UUIDv5 of the feed URL without scheme and trailing slashes."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def placeholder_guids(feed_path: str = "feed.xml") -> frozenset[str]:
    """The GUIDs derived from a placeholder or loopback URL of the feed at ``feed_path``."""
    return frozenset(podcast_guid(f"{root}/{feed_path}") for root in PLACEHOLDER_ROOTS)


def is_example(url: str) -> bool:
    return bool(_EXAMPLE.search(urlsplit(url).hostname or ""))


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_kind(url: str) -> str:
    """"placeholder", "loopback" or "" (a URL a listener can reach)."""
    return "placeholder" if is_example(url) else "loopback" if is_loopback(url) else ""


def public_url_problem(show: Show) -> str | None:
    """Why ``show`` cannot be published publicly (a placeholder or loopback URL), or None."""
    for table, key, fix in PUBLIC_URLS:
        url = getattr(getattr(show, table), key)
        kind = url and url_kind(url)
        if kind:
            reach = "a placeholder" if kind == "placeholder" else "a loopback address only this machine reaches"
            return (f"[{table}] {key} = {url!r} is {reach}: {fix}, "
                    "or run `audio-essay publish --preview` for a local preview")
    return None


def preview_options(publish: PublishOptions) -> PublishOptions:
    """``publish`` as a local preview serves it: on loopback (``site_url`` and ``feed_url``
    when they are loopback ones), else at ``serve``'s default address."""
    site = publish.site_url if is_loopback(publish.site_url) else PREVIEW_URL
    feed = publish.feed_url if site == publish.site_url and is_loopback(publish.feed_url) else ""
    return publish.model_copy(update={"site_url": site, "feed_url": feed})


def channel_guid(catalog: Catalog, key: str, feed_url: str, feed_path: str, fix: bool) -> str:
    """The channel GUID stored under ``key``; when none is fixed yet (or the stored one came
    from a placeholder), the one of ``feed_url``, stored only when ``fix`` (a public build)."""
    stored = catalog.state(key)
    if stored and stored not in placeholder_guids(feed_path):
        return stored
    guid = podcast_guid(feed_url)
    if fix and not url_kind(feed_url):
        catalog.set_state(key, guid)
    return guid
