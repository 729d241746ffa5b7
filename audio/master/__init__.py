"""Mastering: synthesized sentences become a podcast MP3.

``segments`` plans the episode in segments and renders each (levelled by ``mastering``,
measured by ``loudness``, encoded by ``encode``), keeping finished segments in the cache;
``tags`` writes ID3 tags and chapters, ``transcripts`` the VTT/SRT/JSON transcripts and
chapters. It takes audio and a script; it never synthesizes, reads posts or publishes.
"""
