"""The back catalogue: a show's posts, imported once and rendered in batch.

Its state lives in the SQLite catalogue (``audio.catalog``, which render and publish use
too). ``importer`` brings posts in from a folder, an export or a feed (through ``audio.readers``);
``batch`` renders everything due on every core and publishes; ``rebuild`` reconstructs a
damaged catalogue from what is on disk. It uses the pipeline; no stage uses it.
"""
