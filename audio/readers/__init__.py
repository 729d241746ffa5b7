"""Input formats: one module per reader, found through the ``audio_essay.readers`` entry
point group (``registry``).

A reader takes single post files by suffix (``markdown``, ``html``: the preparer asks
which one reads a post) and/or whole sources by layout (``substack``, ``feed``,
``folder``: ``import`` asks which one recognises its source and lists its posts). See
``base`` for what each provides, and ``pandoc`` for the document model they share.
"""
