"""Tiny random Whisper models, converted by CTranslate2's own converter into the folder
layout faster-whisper loads (model.bin, config.json, vocabulary.json, tokenizer.json).

No model can be downloaded here, so the tests make their own: a byte-level tokenizer
(the 256 byte tokens and Whisper's special tokens in Whisper's order: end of text, start
of transcript, the languages, the tasks, ..., no timestamps, then the timestamps) and a
WhisperForConditionalGeneration of one layer, random, built with transformers. It hears
nothing useful, but everything from ``WhisperModel(folder)`` on is the real path.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import require

from audio.qa.recognizers.whisper import INSTALL

TIMESTAMPS = 1501  # <|0.00|> .. <|30.00|>


def whisper_available() -> None:
    """Skip without faster-whisper and transformers (the model builder) on a user's
    machine; fail in CI."""
    missing = [m for m in ("faster_whisper", "ctranslate2", "transformers", "torch") if importlib.util.find_spec(m) is None]
    require(not missing, f"whisper extra or the model builder not installed ({', '.join(missing)} missing): {INSTALL}")


def tiny_whisper(folder: Path, languages: tuple[str, ...] = ()) -> Path:
    """A converted random Whisper model in ``folder``: English only without ``languages``,
    else multilingual with those language tokens."""
    from audio.synth.engines.coqui import _import_torchaudio

    _import_torchaudio()  # transformers imports torchaudio, whose extension may not fit this torch
    import ctranslate2
    import torch
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import (
        GenerationConfig,
        PreTrainedTokenizerFast,
        WhisperConfig,
        WhisperForConditionalGeneration,
    )

    source = folder.with_name(folder.name + "-transformers")
    source.mkdir(parents=True, exist_ok=True)
    language_tokens = [f"<|{code}|>" for code in languages]
    specials = ["<|endoftext|>", "<|startoftranscript|>", *language_tokens, "<|translate|>", "<|transcribe|>",
                "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet(), key=ord)
    if languages:  # CTranslate2 tells a multilingual Whisper by this token of its vocabulary
        alphabet.append("")
    tokenizer = Tokenizer(models.BPE(vocab={c: i for i, c in enumerate(alphabet)}, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([AddedToken(s, special=True) for s in specials])
    ids = {s: tokenizer.token_to_id(s) for s in specials}
    end = ids["<|endoftext|>"]
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                            unk_token="<|endoftext|>", pad_token="<|endoftext|>",
                            additional_special_tokens=specials).save_pretrained(source)

    config = WhisperConfig(
        vocab_size=len(alphabet) + len(specials) + TIMESTAMPS, num_mel_bins=80, d_model=32,
        encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_layers=1, decoder_attention_heads=2, decoder_ffn_dim=64,
        decoder_start_token_id=ids["<|startoftranscript|>"], bos_token_id=end, eos_token_id=end, pad_token_id=end)
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=end, suppress_tokens=[], begin_suppress_tokens=[end],
        no_timestamps_token_id=ids["<|notimestamps|>"], alignment_heads=[[0, 0], [0, 1]],
        lang_to_id={t: ids[t] for t in language_tokens})
    model.save_pretrained(source)
    ctranslate2.converters.TransformersConverter(str(source), copy_files=["tokenizer.json"]).convert(str(folder), force=True)
    return folder
