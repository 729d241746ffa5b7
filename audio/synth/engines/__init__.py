"""TTS engines behind one small interface (see ``base``)."""
