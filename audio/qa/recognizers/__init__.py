"""Speech recognisers behind one small interface (``base.Recognizer``), found by name
through the ``audio_essay.recognizers`` entry point group (``registry``)."""
