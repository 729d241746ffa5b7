"""Tiny random Coqui models built with coqui's own classes, saved the way real ones ship.

No model can be downloaded here, so the tests make their own: a character-based VITS
(no phonemizer, so no espeak) and an XTTS-layout directory (config.json, model.pth,
vocab.json), each a few MB to a hundred MB, random but loaded through the real path
``TTS(model_path=..., config_path=...)``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf
from conftest import require

from audio.synth.engines.coqui import INSTALL, _import_tts, missing_modules
from audio.synth.voices import VoiceProfile

FRAMES_PER_TOKEN = 3  # the tiny VITS speaks every character for this many frames


def coqui_available() -> None:
    """Skip without the coqui extra on a user's machine; fail in CI."""
    missing = missing_modules()
    require(not missing, f"coqui extra not installed ({', '.join(missing)} missing): {INSTALL}")


def tiny_vits(folder: Path, seed: int = 0) -> Path:
    """A VITS of ~250k random parameters whose duration predictor gives every input
    token the same length, so longer text makes longer audio as with a trained model."""
    _import_tts()  # torchaudio in its pure-Python mode where its extension cannot load
    import torch
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits

    args = VitsArgs(
        hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_heads_text_encoder=1, num_layers_text_encoder=1,
        num_layers_posterior_encoder=1, num_layers_flow=1, upsample_initial_channel_decoder=16,
        resblock_kernel_sizes_decoder=[3], resblock_dilation_sizes_decoder=[[1, 3, 5]], use_sdp=False,
        init_discriminator=False, spec_segment_size=8,
    )
    config = VitsConfig(model_args=args, use_phonemes=False, text_cleaner="basic_cleaners", add_blank=True, phoneme_language="en")
    config.audio.sample_rate = 22050
    config.audio.do_trim_silence = False  # coqui would cut random audio at its first quiet frame
    torch.manual_seed(seed)
    model = Vits(config)
    with torch.no_grad():
        model.duration_predictor.proj.weight.zero_()
        model.duration_predictor.proj.bias.fill_(math.log(FRAMES_PER_TOKEN))
    folder.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


def tiny_vits_profile(folder: Path, seed: int = 0, **params) -> VoiceProfile:
    tiny_vits(folder, seed)
    return VoiceProfile(name="my-vits", engine="coqui", model=str(folder), params=params, source=folder / "my-vits.toml")


def tiny_xtts(folder: Path) -> Path:
    """An XTTS v2 directory: a 1-layer GPT over a 34-code audio vocabulary, the stock
    HiFi-GAN decoder and speaker encoder (random), and a character BPE vocabulary."""
    _import_tts()
    import torch
    from tokenizers import Tokenizer
    from tokenizers.models import BPE
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts, XttsArgs

    folder.mkdir(parents=True, exist_ok=True)
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[en]"]
    vocab = {t: i for i, t in enumerate(special + list("abcdefghijklmnopqrstuvwxyz0123456789.,;:!?'\"-()"))}
    tokenizer = Tokenizer(BPE(vocab=vocab, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(special)
    tokenizer.save(str(folder / "vocab.json"))
    args = XttsArgs(
        gpt_layers=1, gpt_n_model_channels=32, gpt_n_heads=2, gpt_num_audio_tokens=34, gpt_start_audio_token=32,
        gpt_stop_audio_token=33, gpt_max_audio_tokens=40, decoder_input_dim=32, gpt_use_perceiver_resampler=True,
    )
    config = XttsConfig(model_args=args, languages=["en"])
    torch.manual_seed(0)
    model = Xtts(config)
    model.tokenizer = VoiceBpeTokenizer(str(folder / "vocab.json"))
    model.init_models()
    torch.save({"model": model.state_dict(), "config": config.to_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


def reference_clip(path: Path, seconds: float = 4.0, rate: int = 16000) -> Path:
    """A voiced-like reference recording (harmonics with a syllable envelope), stereo
    at 16 kHz so the engine's mono mix and resampling are exercised."""
    t = np.arange(int(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * 130 * k * t) / k for k in (1, 2, 3)) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.stack([0.3 * tone, 0.25 * tone], axis=1), rate)
    return path
