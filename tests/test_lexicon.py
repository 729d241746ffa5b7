"""The pronunciation lexicon: loading, one-line errors, applying, counting, the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.errors import ConfigError
from audio.prepare.lexicon import Entry, Lexicon, LexiconReport, lexicon_report
from audio.prepare.normalize import normalize_text

SAMPLE_LEXICON = Path(__file__).resolve().parents[1] / "episodes" / "lexicon.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexicon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> Lexicon:
    return Lexicon.load(write(tmp_path, text))


def test_sample_lexicon_loads() -> None:
    lexicon = Lexicon.load(SAMPLE_LEXICON)
    assert lexicon.entries[0] == Entry(match="Lambert", say="lam bert", phonemes="lˈæmbɚt")
    assert {"Lambert", "Kokotajlo", "NAIRR", "Ai2", "deepseek"} <= lexicon.words
    assert "T[uü]lu" not in lexicon.words  # a regex is no word


def test_defaults(tmp_path: Path) -> None:
    (entry,) = load(tmp_path, '[[entry]]\nmatch = "Qwen"\nsay = "kwen"\n').entries
    assert entry == Entry(match="Qwen", say="kwen", phonemes="", regex=False, case_sensitive=True)


def test_empty_file_is_an_empty_lexicon(tmp_path: Path) -> None:
    lexicon = load(tmp_path, "# nothing yet\n")
    assert lexicon.entries == ()
    assert lexicon.apply("Lambert", phonemes=False) == "Lambert"


ERRORS = [
    ('[[entry]]\nmatch = "Qwen"\nsey = "kwen"\n', "entry 1: unknown key 'sey' (known: case_sensitive, match, phonemes, regex, say)"),
    ('[[entry]]\nmatch = "Qwen"\n', "entry 1 (Qwen): needs 'say' or 'phonemes'"),
    ('[[entry]]\nmatch = "Qwen"\nsay = "  "\n', "entry 1 (Qwen): needs 'say' or 'phonemes'"),
    ('[[entry]]\nsay = "kwen"\n', "entry 1: 'match' must be a non-empty string"),
    ('[[entry]]\nmatch = ""\nsay = "x"\n', "entry 1: 'match' must be a non-empty string"),
    ('[[entry]]\nmatch = 3\nsay = "x"\n', "entry 1: 'match' must be a non-empty string"),
    ('[[entry]]\nmatch = "a"\nsay = "b"\n[[entry]]\nmatch = "Q(wen"\nregex = true\nsay = "kwen"\n',
     "entry 2 (Q(wen): not a valid regular expression (missing ), unterminated subpattern at position 1)"),
    ('[[entry]]\nmatch = "x*"\nregex = true\nsay = "y"\n', "entry 1 (x*): the expression matches the empty string"),
    ('[[entry]]\nmatch = "(?P<n>x)"\nregex = true\nsay = "y"\n', "entry 1 ((?P<n>x)): named groups are not allowed in 'match'"),
    ('[[entry]]\nmatch = "Qwen"\nsay = "kwen"\nregex = "yes"\n', "entry 1 (Qwen): 'regex' must be true or false"),
    ('[[entry]]\nmatch = "Qwen"\nsay = 1\n', "entry 1 (Qwen): 'say' must be a string"),
    ('[[entry]]\nmatch = "Qwen"\nphonemes = "[[ kwɛn ]]"\n', "entry 1 (Qwen): write 'phonemes' without the [[ ]] brackets"),
    ('[words]\nQwen = "kwen"\n', ("unknown table 'words' (a lexicon holds [[entry]] and [acronyms], [spelled], "
                                 "[abbreviations], [units], [currencies])")),
    ('[acronyms]\nOLMo = 3\n', "acronyms.OLMo: expected a string, got 3"),
    ('[acronyms]\nOLMo = " "\n', "acronyms.OLMo: must not be empty, got \" \""),
    ('[units]\n"tok/s" = "tokens per second"\n', 'units.tok/s: expected a list of strings, got "tokens per second"'),
    ('[abbreviations]\n"w.r.t." = ["with respect to"]\n', 'abbreviations.w.r.t.: expected a string, got ["with respect to"]'),
    ('entry = "Qwen"\n', "entry: expected [[entry]] tables"),
    ("entry = [1]\n", "entry 1: expected a table"),
]


@pytest.mark.parametrize(("text", "reason"), ERRORS, ids=[r[:40] for _, r in ERRORS])
def test_errors_are_one_line_and_name_the_file(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Lexicon.load(path)
    assert caught.value.message == f"{path}: {reason}"
    assert "\n" not in caught.value.message


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[[entry]\nmatch = \n")
    with pytest.raises(ConfigError) as caught:
        Lexicon.load(path)
    assert caught.value.message.startswith(f"{path}: not valid TOML (")
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        Lexicon.load(missing)
    assert caught.value.message == f"{missing}: no such lexicon file"
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ConfigError) as caught:
        Lexicon.load(binary)
    assert caught.value.message.startswith(f"{binary}: cannot read lexicon (")


PHONEMES = """
[[entry]]
match = "Lambert"
say = "lam bert"
phonemes = "lˈæmbɚt"

[[entry]]
match = "Kokotajlo"
phonemes = "kˌoʊkoʊtˈaɪloʊ"
"""


def test_apply_with_and_without_phonemes(tmp_path: Path) -> None:
    lexicon = load(tmp_path, PHONEMES)
    text = "Nathan Lambert met Daniel Kokotajlo."
    assert lexicon.apply(text, phonemes=False) == "Nathan lam bert met Daniel Kokotajlo."  # phonemes only: kept
    assert lexicon.apply(text, phonemes=True) == "Nathan [[ lˈæmbɚt ]] met Daniel [[ kˌoʊkoʊtˈaɪloʊ ]]."


def test_whole_words_only(tmp_path: Path) -> None:
    lexicon = load(tmp_path, '[[entry]]\nmatch = "Qwen"\nsay = "kwen"\n')
    assert lexicon.apply("Qwen, Qwen's, (Qwen) Qwens QwenLM xQwen Qwen-VL", phonemes=False) == (
        "kwen, kwen's, (kwen) Qwens QwenLM xQwen kwen-VL"
    )


def test_case_sensitivity(tmp_path: Path) -> None:
    lexicon = load(
        tmp_path,
        '[[entry]]\nmatch = "Nous"\nsay = "noose"\n'
        '[[entry]]\nmatch = "deepseek"\ncase_sensitive = false\nsay = "deep seek"\n',
    )
    assert lexicon.apply("Nous nous NOUS", phonemes=False) == "noose nous NOUS"
    assert lexicon.apply("DeepSeek deepseek DEEPSEEK", phonemes=False) == "deep seek deep seek deep seek"


def test_regex_entries_and_order(tmp_path: Path) -> None:
    lexicon = load(
        tmp_path,
        '[[entry]]\nmatch = "T[uü]lu"\nregex = true\nsay = "too loo"\n'
        '[[entry]]\nmatch = "(Llama|Alpaca)s?"\nregex = true\nsay = "llama"\n'
        '[[entry]]\nmatch = "Llama"\nsay = "never used: the regex above wins"\n'
        '[[entry]]\nmatch = "loo"\nsay = "LOO was re-matched"\n',
    )
    assert lexicon.apply("Tulu and Tülu beat Llamas and Alpaca", phonemes=False) == (
        "too loo and too loo beat llama and llama"
    )


def test_counts(tmp_path: Path) -> None:
    lexicon = load(tmp_path, PHONEMES)
    lexicon.apply("Lambert and Lambert", phonemes=False)
    lexicon.apply("Kokotajlo, Lambert", phonemes=True)
    assert lexicon.counts == {"Lambert": 3, "Kokotajlo": 1}


def test_letter_a_is_joined_for_every_voice() -> None:
    """espeak reads a lone capital "A" as the article; joined to a letter it says "ay"."""
    lexicon = Lexicon()
    assert lexicon.apply(normalize_text("AI and RLAIF, OpenAI's GPUs"), phonemes=False) == (
        "A-I and R L A-I F, Open A-I's G P U's"
    )
    assert lexicon.apply("A new model from Q and A and the U S A.", phonemes=False) == (
        "A new model from Q and A and the U S-A."
    )


def test_words_reach_the_lexicon_unchanged(tmp_path: Path) -> None:
    lexicon = Lexicon.load(SAMPLE_LEXICON)
    spoken = normalize_text("NAIRR funds Ai2, SWE-bench and DeepSeek-V3 at 10%.", lexicon.words)
    assert spoken == "NAIRR funds Ai2, SWE-bench and DeepSeek V three at ten percent."
    assert lexicon.apply(spoken, phonemes=False) == (
        "nair funds A-I two, swee bench and deep seek V three at ten percent."
    )


def test_report_counts_and_candidates(tmp_path: Path) -> None:
    lexicon = load(tmp_path, PHONEMES + '[[entry]]\nmatch = "Qwen"\nsay = "kwen"\n')
    texts = [
        "Nathan Lambert talked with Daniel Kokotajlo about RLHF.",
        "Then Lambert trained Qwen3 with RLHF on H100s at Interconnects.",
        "The post is at interconnects.ai and Groeneveld agreed.",
    ]
    report = lexicon_report(texts, lexicon)
    assert isinstance(report, LexiconReport)
    assert report.counts == (("Lambert", 2), ("Kokotajlo", 1), ("Qwen", 1))
    assert report.candidates == (
        ("RLHF", 2),
        ("Daniel", 1),
        ("Groeneveld", 1),
        ("H100s", 1),
        ("Interconnects", 1),
        ("Qwen3", 1),
    )
    # The lexicon's own counts are not touched by a report.
    assert lexicon.counts == {}


def test_report_leaves_out_the_acronyms_the_tables_read(tmp_path: Path) -> None:
    lexicon = load(tmp_path, '[acronyms]\nOLMo = "Olmo"\n')
    report = lexicon_report(["We trained OLMo and GRPO at NASA."], lexicon)
    assert report.candidates == (("GRPO", 1),)


def test_report_without_a_lexicon() -> None:
    report = lexicon_report(["We met Lambert at NeurIPS."], None)
    assert report.counts == ()
    assert report.candidates == (("Lambert", 1), ("NeurIPS", 1))


def test_chain_lets_a_voice_override_the_show(tmp_path: Path) -> None:
    show = load(tmp_path, '[[entry]]\nmatch = "Qwen"\nsay = "kwen"\n[[entry]]\nmatch = "Nous"\nsay = "noose"\n')
    voice_path = tmp_path / "voice.toml"
    voice_path.write_text('[[entry]]\nmatch = "Qwen"\nsay = "chwen"\n', encoding="utf-8")
    chained = Lexicon.chain(Lexicon.load(voice_path), None, show)
    assert chained.apply("Qwen and Nous", phonemes=False) == "chwen and noose"
    assert chained.words == {"Qwen", "Nous"}
    assert Lexicon.chain().entries == ()


def test_a_lexicon_extends_the_normalisers_tables(tmp_path: Path) -> None:
    """[acronyms], [spelled], [abbreviations], [units] and [currencies] add to the packaged
    tables (and win over them); the sample show reads its newsletter's names so."""
    from audio.prepare.normalize import normalize_text

    lexicon = load(
        tmp_path,
        '[acronyms]\nGRPO = "grpo"\nNASA = "N A S A"\n[spelled]\nvllm = "V L L M"\n'
        '[abbreviations]\n"s.t." = "such that"\n[units]\n"img/s" = ["image per second", "images per second"]\n'
        '[currencies]\nSEK = ["krona", "kronor"]\n',
    )
    spoken = normalize_text("GRPO, NASA and vllm s.t. 1 img/s costs 100 SEK", lexicon.words, tables=lexicon.tables)
    assert spoken == "grpo, N A S A and V L L M such that one image per second costs one hundred kronor"
    assert normalize_text("GRPO and NASA") == "G R P O and Nasa"  # the packaged tables are unchanged
    sample = Lexicon.chain(None, Lexicon.load(SAMPLE_LEXICON))
    assert normalize_text("OLMo 2 at NeurIPS", sample.words, tables=sample.tables) == "Olmo two at Neurips"
    voice = load(tmp_path, '[acronyms]\nOLMo = "oh-lmo"\n')
    chained = Lexicon.chain(voice, sample)
    assert normalize_text("OLMo and PaLM", chained.words, tables=chained.tables) == "oh-lmo and Palm"


def test_the_normalisers_tables_are_package_data() -> None:
    """Every packaged table file is named by pyproject's package-data glob (else an installed
    copy would have no tables), and each loads through the schema."""
    import fnmatch
    import tomllib

    from audio.prepare.tables import TABLE_FILES, packaged_tables

    root = Path(__file__).resolve().parents[1]
    globs = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    folder = root / "audio" / "prepare"
    shipped = {p.relative_to(folder).as_posix() for p in (folder / "tables").iterdir()}
    assert shipped == {f"tables/{name}" for name in TABLE_FILES}
    assert all(any(fnmatch.fnmatch(name, g) for g in globs["audio.prepare"]) for name in shipped)
    tables = packaged_tables()
    assert tables.units["GB"] == ("gigabyte", "gigabytes")
    assert tables.acronyms["NASA"] == "Nasa" and "OLMo" not in tables.acronyms
    assert tables.currencies["EUR"] == ("euro", "euros") and tables.magnitudes["B"] == "billion"
