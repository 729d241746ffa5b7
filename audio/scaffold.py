"""``audio-essay init DIR``: a new show folder laid out like the sample show."""

from __future__ import annotations

from pathlib import Path

from audio.errors import OutputError
from audio.files import atomic_write
from audio.show import SHOW_FILE, load_show

SHOW_TOML = '''\
# Settings for this audio-essay show. Every key is optional; a missing key takes the
# default shown here. Paths are relative to this folder. Other tables (publishing,
# voices) are described in the README.

[show]
title = "{title}"
author = ""              # spoken in each intro unless a post names its own author
description = ""
language = "en-us"
# The newsletter's home: a post's canonical URL is base_url + "/p/<slug>", and the
# outro says this address ("example dot com").
base_url = "https://example.com"

[script]
# What the text preparer reads aloud.
read_footnotes = false   # read footnotes at the end of their section ("Footnote one: ...")
read_captions = false    # read image captions
frame_quotes = true      # say quote_open / quote_close around block quotes
quote_open = "Quote."
quote_close = "End quote."
omission_cues = true     # "The post shows a table here." for tables, code and equations
notes_boilerplate = false  # keep boilerplate paragraphs in the show notes
max_sentence_chars = 400 # longer sentences are split at clause boundaries
lexicon = ""             # pronunciation lexicon TOML, e.g. "lexicon.toml"
# Paragraphs matching any of these regular expressions (case-insensitive) are never
# read. Leave the key out to use the defaults, which cover Substack's "reader-supported
# publication", "Thanks for reading", "Share this post", "Subscribe now", ...
# boilerplate = ["^Thanks for reading"]
# The spoken title block and closing. Fields: {{title}} {{subtitle}} {{author}} {{date}}
# {{site}} {{url}}. A clause (between commas) whose field is empty is left out.
intro = "{{title}}. {{subtitle}}. Written by {{author}}, published {{date}}. This is an AI-narrated audio version of the post."
outro = "Thanks for listening. The full post, with links and footnotes, is at {{site}}."
# A post in another language gets that language's own intro, outro and quote framing
# (built in for Spanish); a show may set its own, per language code:
# [script.languages.es]
# intro = "{{title}}. Escrito por {{author}}."
# outro = ""
# quote_open = "Cita."
# quote_close = "Fin de la cita."

[render]
voice = "joe"            # the voice profile for posts in the show's own language

# The voice profile for posts in each language (a language code: "es"). A post in a
# language with no voice here (and not the show's own) is skipped, never read by a voice
# of another language.
[voices]
# es = "my-spanish"      # voices/my-spanish.toml, e.g. model = "voices/es_ES-davefx-medium.onnx"
'''

EXAMPLE_POST = """\
---
title: "An example post"
subtitle: "Replace me with your own writing."
date: 2025-01-01
type: newsletter
audience: everyone
---
This is an example post. Write posts in Markdown, with optional YAML front matter as
above, or drop in Substack HTML exports. Links are kept in the show notes, and
[their text](https://example.com) is read aloud, but never the address.

## A second section

Each heading starts a new section, which becomes a chapter of the episode.
"""


def init_show(folder: str | Path) -> Path:
    """Create ``folder`` with a documented ``show.toml`` and ``posts/`` holding an example.

    Refuses to touch a folder that already has a ``show.toml``.
    """
    folder = Path(folder)
    config = folder / SHOW_FILE
    if config.exists():
        raise OutputError(config, "already exists; not overwriting an existing show")
    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "exists and is not a folder")
    title = folder.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "My audio essays"
    text = SHOW_TOML.format(title=title.replace('"', "'"))
    try:
        example = folder / "posts" / "example-post.md"
        if not example.exists():
            atomic_write(example, lambda tmp: tmp.write_text(EXAMPLE_POST, encoding="utf-8"))
        atomic_write(config, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        raise OutputError(folder, f"cannot create the show ({exc.strerror or exc})") from exc
    load_show(folder)  # the scaffold must load cleanly
    return folder
