"""The text preparer: any post becomes a speakable ``Script``.

Public entry points (implemented in this package's modules):
``read_post(path, show) -> Post`` and ``prepare_post(path, show) -> Script``.
"""
