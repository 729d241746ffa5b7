"""Synthesis: a script's sentences become audio.

``engines/`` holds the TTS engines behind one interface (an entry-point registry:
Piper, Coqui, a fake one for tests); ``voices`` reads the voice profiles that choose an
engine, its model and parameters; ``cache`` keeps every synthesized sentence, so a
re-render synthesizes only what changed. Nothing here knows about mastering or feeds.
"""
