"""audio-essay: turn written essays into narrated podcast episodes."""

__version__ = "0.1.0"
