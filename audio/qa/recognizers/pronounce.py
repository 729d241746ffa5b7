"""Pronunciations for words a recogniser's dictionary lacks (names, coined words,
"substack"): espeak-ng, which Piper ships (``piper.espeakbridge`` with its own data),
turns the word into IPA; ``arpabet`` maps that to the CMU phone set of PocketSphinx's
US English model.

espeak-ng keeps one current voice for the whole process: ``ipa`` sets US English before
each word under a lock, and Piper sets its own voice before each sentence it phonemizes.
(Piper's two calls hold no lock of ours, so a non-US English Piper voice synthesizing in
another thread of the same process at that instant could catch US English for one
sentence; QA aligns after synthesis, so the pipeline does not meet this.)
"""

from __future__ import annotations

import re
import threading
import unicodedata

ESPEAK_VOICE = "en-us"

# IPA as espeak-ng writes US English, longest symbols first when read greedily.
# Stress, length, syllabic and palatal marks carry no phone of their own.
IPA_TO_ARPABET = {
    "aɪ": "AY", "aʊ": "AW", "eɪ": "EY", "oʊ": "OW", "ɔɪ": "OY", "əʊ": "OW",
    "tʃ": "CH", "dʒ": "JH", "n\u0329": "AH N", "l\u0329": "AH L", "m\u0329": "AH M",
    "ɑ": "AA", "ɒ": "AA", "æ": "AE", "a": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH",
    "ɔ": "AO", "ɛ": "EH", "e": "EH", "ɚ": "ER", "ɜ": "ER", "ɝ": "ER",
    "ɪ": "IH", "ᵻ": "IH", "i": "IY", "o": "OW", "ʊ": "UH", "u": "UW", "y": "UW",
    "b": "B", "d": "D", "ð": "DH", "f": "F", "ɡ": "G", "g": "G", "h": "HH", "x": "HH",
    "ç": "HH", "j": "Y", "k": "K", "l": "L", "ɫ": "L", "ɬ": "L", "m": "M", "n": "N",
    "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R", "ɾ": "T", "ʔ": "T", "s": "S", "ʃ": "SH",
    "t": "T", "θ": "TH", "v": "V", "w": "W", "z": "Z", "ʒ": "ZH",
}
_LONGEST = max(len(k) for k in IPA_TO_ARPABET)
_R_COLOURED = {"ER"}  # "ɜːɹ": the vowel already holds the r

_LANGUAGE_FLAG = re.compile(r"\([^)]*\)")  # "(fr)word(en)": espeak-ng switching language
_lock = threading.Lock()
_ready = False


def ipa(word: str) -> str:
    """The word as espeak-ng says it in US English, in IPA (stress marks included)."""
    global _ready
    from piper import espeakbridge
    from piper.phonemize_espeak import ESPEAK_DATA_DIR

    with _lock:
        if not _ready:
            espeakbridge.initialize(str(ESPEAK_DATA_DIR))
            _ready = True
        espeakbridge.set_voice(ESPEAK_VOICE)
        clauses = espeakbridge.get_phonemes(word)
    return "".join(phonemes for phonemes, _terminator, _end in clauses)


def arpabet(ipa_text: str) -> list[str]:
    """IPA read greedily into CMU phones; symbols without a phone (stress, length,
    language-switch flags, punctuation) are skipped."""
    text = unicodedata.normalize("NFC", _LANGUAGE_FLAG.sub("", ipa_text))
    phones: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(_LONGEST, len(text) - i), 0, -1):
            found = IPA_TO_ARPABET.get(text[i:i + size])
            if found is not None:
                for phone in found.split():
                    if not (phone == "R" and phones and phones[-1] in _R_COLOURED):
                        phones.append(phone)
                i += size
                break
        else:
            i += 1
    return phones


def pronounce(word: str) -> list[str]:
    """CMU phones for any word (empty when it has nothing to say)."""
    return arpabet(ipa(word))
