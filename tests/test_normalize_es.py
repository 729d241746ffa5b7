"""Spanish normalisation: sentences as Spanish newsletters write them, and what a Spanish
narrator says. Each row: written, spoken."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audio.prepare.normalize import normalize_text
from audio.prepare.normalize_es import spoken_date, spoken_domain

ROWS = [
    # years and dates
    ("Nació en 1943 en Buenos Aires.", "Nació en mil novecientos cuarenta y tres en Buenos Aires."),
    ("El 6 de junio de 2025 OpenAI publicó su nuevo modelo.",
     "El seis de junio de dos mil veinticinco OpenAI publicó su nuevo modelo."),
    ("La reunión se aplazó al 15/07/2025.", "La reunión se aplazó al quince de julio de dos mil veinticinco."),
    ("Desde el 1 de mayo de 2024 todo cambió.", "Desde el uno de mayo de dos mil veinticuatro todo cambió."),
    ("Entre 2019 y 2023 se multiplicó por 10.",
     "Entre dos mil diecinueve y dos mil veintitrés se multiplicó por diez."),
    # money
    ("El gobierno invirtió 5 millones de dólares en centros de datos.",
     "El gobierno invirtió cinco millones de dólares en centros de datos."),
    ("La ronda fue de $40 millones.", "La ronda fue de cuarenta millones de dólares."),
    ("La suscripción cuesta $8 al mes y 20 € al año.",
     "La suscripción cuesta ocho dólares al mes y veinte euros al año."),
    ("Pagó US$ 1.500 por la GPU.", "Pagó mil quinientos dólares por la GPU."),
    ("Cuesta €1 por consulta.", "Cuesta un euro por consulta."),
    ("Recaudaron 2,5 millones de euros.", "Recaudaron dos coma cinco millones de euros."),
    # percentages and decimals
    ("La inflación subió un 2,5% en abril.", "La inflación subió un dos coma cinco por ciento en abril."),
    ("El 40 % de los usuarios no paga.", "El cuarenta por ciento de los usuarios no paga."),
    ("El modelo acierta el 99,9% de las veces.", "El modelo acierta el noventa y nueve coma nueve por ciento de las veces."),
    ("La versión 3.5 era más lenta.", "La versión tres punto cinco era más lenta."),
    ("Bajó a -5 grados.", "Bajó a menos cinco grados."),
    # counts before nouns, thousands
    ("Tiene 21 años y 1.200 seguidores.", "Tiene veintiún años y mil doscientos seguidores."),
    ("Uno de cada 10 modelos falla.", "Uno de cada diez modelos falla."),
    ("Hubo 1 millón de descargas.", "Hubo un millón de descargas."),
    ("Se entrenó con 15.000.000 de ejemplos.", "Se entrenó con quince millones de ejemplos."),
    # ordinals and centuries
    ("Es la 2.ª vez que ocurre.", "Es la segunda vez que ocurre."),
    ("Quedó en 1.er lugar en el 3er trimestre.", "Quedó en primer lugar en el tercer trimestre."),
    ("Llegó en 5º puesto.", "Llegó en quinto puesto."),
    ("La mayor revolución del siglo XXI.", "La mayor revolución del siglo veintiuno."),
    # abbreviations
    ("El gobierno de EE. UU. anunció aranceles.", "El gobierno de Estados Unidos anunció aranceles."),
    ("Ganó en EE.UU. El resto de países esperó.", "Ganó en Estados Unidos. El resto de países esperó."),
    ("Hay muchos usos, p. ej. traducir, resumir, etc.",
     "Hay muchos usos, por ejemplo traducir, resumir, etcétera."),
    ("Compara GPT, Claude, etc., en la tabla.", "Compara GPT, Claude, etcétera, en la tabla."),
    ("El Sr. García y la Dra. López lo firmaron.", "El señor García y la doctora López lo firmaron."),
    ("Ver la pág. 12 y el n.º 3.", "Ver la página doce y el número tres."),
    ("Costó aprox. 300 euros.", "Costó aproximadamente trescientos euros."),
    # times
    ("La charla empieza a las 9:30.", "La charla empieza a las nueve y media."),
    ("Abre a las 14:00 h y cierra a las 21:15.", "Abre a las catorce en punto y cierra a las veintiuna y cuarto."),
    ("Nos vemos a la 1:05.", "Nos vemos a la una y cinco."),
    # units, web
    ("Pesa 3 kg y ocupa 80 GB.", "Pesa tres kilos y ocupa ochenta gigas."),
    ("Hizo 30 °C en Madrid.", "Hizo treinta grados en Madrid."),
    ("Más información en https://www.ejemplo.es/articulo.", "Más información en ejemplo punto es."),
    ("Escríbeme a ana@correo.com.", "Escríbeme a correo punto com."),
    # untouched
    ("¿Qué significa esto para Europa?", "¿Qué significa esto para Europa?"),
]


@pytest.mark.parametrize(("written", "spoken"), ROWS)
def test_spanish_table(written: str, spoken: str) -> None:
    assert normalize_text(written, language="es") == spoken


def test_lexicon_words_stay_as_written_and_a_lone_url_is_not_read() -> None:
    assert normalize_text("Kokotajlo publicó 2 artículos.", frozenset({"Kokotajlo"}), "es") == (
        "Kokotajlo publicó dos artículos.")
    assert normalize_text("https://www.ejemplo.es/x", language="es") == ""


def test_intro_date_and_domain_in_spanish() -> None:
    assert spoken_date(datetime(2025, 6, 6, tzinfo=UTC)) == "6 de junio de 2025"
    assert spoken_domain("https://www.interconnects.ai") == "interconnects punto ai"


def test_a_language_without_a_normaliser_keeps_its_words() -> None:
    # Piper's espeak front end reads digits in the voice's own language.
    assert normalize_text("Il a  gagné 5 euros.", language="fr") == "Il a gagné 5 euros."
    assert normalize_text("It cost $5.") == "It cost five dollars."
