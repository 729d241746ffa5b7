"""Speech QA: listen to a rendered episode's sentences, find the ones a listener would
stumble on, retake what synthesis can fix, and report the rest with timestamps.

``recognizers`` hold the speech recognisers (a plug-in registry, like the engines).
"""
