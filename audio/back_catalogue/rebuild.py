"""``audio-essay catalog rebuild``: a new catalogue from what is on disk, when the old one
is damaged (empty, truncated, foreign) or lost.

The old file is set aside (renamed ``catalog.sqlite.broken-<time>``, never deleted). The
new catalogue starts with the identities kept beside it in ``catalog.sqlite.identity.json``
(private-feed token, channel GUIDs, every post's GUID and slug) and those in every rendered
episode's record; then the show's posts folder is imported again, and each post whose
rendered episode matches its content is recorded as rendered. So no subscriber's URL and
no episode's GUID changes, and the next batch renders nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audio.back_catalogue.batch import reconcile
from audio.back_catalogue.importer import ImportReport, import_source
from audio.catalog import Catalog, identity_path, read_identity, set_aside
from audio.episode_store import list_episodes
from audio.show import Show
from audio.work import show_locked


@dataclass(frozen=True)
class RebuildReport:
    catalog: Path
    set_aside: Path | None  # where the old file went (None: there was none)
    episodes: int  # rendered episodes found on disk
    rendered: int  # posts recorded as rendered
    imported: ImportReport | None  # None: the show has no posts folder


def rebuild_catalog(show: Show) -> RebuildReport:
    """Set the catalogue aside and rebuild it (see the module docstring)."""
    # Read first: an unreadable episode record or identity file stops us before anything moves.
    episodes = list_episodes(show.rendered_dir) if show.rendered_dir.is_dir() else []
    read_identity(identity_path(show.catalog_path))
    with show_locked(show):
        aside = set_aside(show.catalog_path)
        with Catalog(show.catalog_path) as catalog:  # made anew with the identities kept beside it
            keys = {e.post_id or e.slug: e for e in episodes}
            catalog.restore_identity({"state": {}, "guids": {k: e.guid for k, e in keys.items()},
                                      "slugs": {k: e.slug for k, e in keys.items()}})
    imported = import_source(show.posts_dir, show) if show.posts_dir.is_dir() else None
    with show_locked(show), Catalog(show.catalog_path) as catalog:
        reconcile(show, catalog)
        rendered = catalog.status_counts()["rendered"]
    return RebuildReport(show.catalog_path, aside, len(episodes), rendered, imported)
