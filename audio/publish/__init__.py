"""Publishing: rendered episodes become a podcast feed and its site.

``build`` assembles the site (feeds, pages, audio, transcripts, artwork) and swaps it in
atomically; ``feed`` writes RSS with the Apple and Podcasting 2.0 tags, ``site`` the pages,
``artwork`` the cover, ``check`` lints a built site, ``serve`` hosts one.
"""
