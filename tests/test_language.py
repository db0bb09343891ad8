"""Tests for digest.language: the language of a text, from its script and its words."""

# ruff: noqa: RUF001
# (Cyrillic and Greek sample sentences are this module's data.)
from __future__ import annotations

import pytest

from digest.language import detect_language, iso_code, known_language, language_for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The council said that it would open the new library in the spring.", "english"),
        ("UK condom maker SSL International has refused to comment on reports.", "english"),
        ("Windows users could soon be paying Microsoft to keep PCs free of spyware.", "english"),
        ("Der Rat sagte, dass die neue Bibliothek im Frühjahr eröffnet wird.", "german"),
        ("Le conseil a dit que la nouvelle bibliothèque ouvrira au printemps.", "french"),
        ("El consejo dijo que la nueva biblioteca abrirá en la primavera.", "spanish"),
        ("Il consiglio ha detto che la nuova biblioteca aprirà in primavera.", "italian"),
        ("O conselho disse que a nova biblioteca vai abrir na primavera.", "portuguese"),
        ("De raad zei dat de nieuwe bibliotheek in het voorjaar opent.", "dutch"),
        ("Rada powiedziała, że nowa biblioteka zostanie otwarta na wiosnę.", "polish"),
        ("Rådet sa att det nya biblioteket öppnar i vår och att det är bra.", "swedish"),
        ("Совет сказал, что новая библиотека откроется весной, и это хорошо.", "russian"),
        ("Рада сказала, що нова бібліотека відкриється навесні, і це добре.", "ukrainian"),
        ("Το συμβούλιο είπε ότι η νέα βιβλιοθήκη θα ανοίξει την άνοιξη.", "greek"),
        ("市议会说新图书馆将在春天开放。", "chinese"),
        ("市議会は新しい図書館が春に開館すると述べた。", "japanese"),
        ("시의회는 새 도서관이 봄에 문을 연다고 말했다.", "korean"),
        ("قال المجلس إن المكتبة الجديدة ستفتح في الربيع.", "arabic"),
        ("המועצה אמרה שהספרייה החדשה תיפתח באביב.", "hebrew"),
        ("สภาเมืองกล่าวว่าห้องสมุดใหม่จะเปิดในฤดูใบไม้ผลิ", "thai"),
    ],
)
def test_detect_language_of_short_texts(text: str, expected: str) -> None:
    """One sentence: too short for stop-word shares, judged by function words or script."""
    assert known_language(detect_language(text)) == expected


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "Xyzzy plugh frobnicate quux."])
def test_detect_language_of_a_short_text_is_none_when_unsure(text: str) -> None:
    assert detect_language(text) is None


def test_detect_language_reads_only_the_start_of_a_long_text() -> None:
    english = "The council met on Monday and the mayor spoke. " * 30
    text = english + "Der Rat und die Stadt. " * 5000
    assert detect_language(text) == "en"


# --- whole articles: stop words decide ------------------------------------------------

SAMPLES = {
    "en": "The town council voted on Tuesday evening to keep the swimming pool open later "
    "during the summer. Residents will be able to swim until ten at night, but a ticket "
    "will cost one euro more to pay for the extra staff.",
    "de": "Der Gemeinderat hat am Dienstagabend beschlossen, die Öffnungszeiten des "
    "Schwimmbads im Sommer zu verlängern. Die Einwohner können bis zehn Uhr abends "
    "schwimmen, aber der Eintritt wird um einen Euro teurer.",
    "fr": "Le conseil municipal a voté mardi soir pour prolonger les horaires de la piscine "
    "pendant l'été. Les habitants pourront nager jusqu'à vingt-deux heures, mais le prix "
    "du billet augmentera d'un euro pour couvrir les frais du personnel.",
    "es": "El ayuntamiento aprobó el martes por la noche ampliar el horario de la piscina "
    "durante el verano. Los vecinos podrán nadar hasta las diez de la noche, aunque el "
    "precio de la entrada subirá un euro para cubrir los gastos del personal.",
    "it": "Il consiglio comunale ha votato martedì sera per prolungare l'orario della piscina "
    "durante l'estate. I cittadini potranno nuotare fino alle dieci di sera, ma il prezzo "
    "del biglietto aumenterà di un euro per coprire i costi del personale.",
    "pt": "A câmara municipal votou na terça-feira à noite para prolongar o horário da "
    "piscina durante o verão. Os moradores poderão nadar até às dez da noite, mas o preço "
    "do bilhete vai subir um euro para cobrir os custos com o pessoal.",
    "sv": "Kommunfullmäktige röstade på tisdagskvällen för att förlänga badhusets öppettider "
    "under sommaren. Invånarna kan simma till klockan tio på kvällen, men priset för en "
    "biljett höjs med en krona för att täcka kostnaderna för personalen.",
    "ru": "Городской совет во вторник вечером решил продлить часы работы бассейна летом. "
    "Жители смогут плавать до десяти часов вечера, но билет подорожает.",
    "uk": "Міська рада у вівторок ввечері вирішила продовжити години роботи басейну влітку. "
    "Мешканці зможуть плавати до десятої вечора, але квиток подорожчає на одну гривню.",
    "el": "Το δημοτικό συμβούλιο αποφάσισε την Τρίτη να παρατείνει το ωράριο της πισίνας.",
    "ja": "町議会は火曜日の夜、夏の間プールの営業時間を延長することを決めました。",
    "zh": "市议会周二晚上决定在夏季延长游泳池的开放时间。",
    "ko": "시의회는 화요일 저녁 여름 동안 수영장 운영 시간을 연장하기로 했다.",
}


@pytest.mark.parametrize(("code", "text"), SAMPLES.items(), ids=list(SAMPLES))
def test_detect_language_of_articles(code: str, text: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "",  # nothing to go on
        "12 34 56 78",
        # languages without a stop-word list here: unsure rather than wrong
        "Dewan kota memutuskan pada Selasa malam untuk memperpanjang jam buka kolam renang "
        "selama musim panas. Warga bisa berenang sampai pukul sepuluh malam.",
        "De gemeenteraad heeft dinsdagavond besloten de openingstijden van het zwembad in de "
        "zomer te verlengen. Inwoners kunnen tot tien uur 's avonds zwemmen.",
    ],
)
def test_detect_language_of_an_article_is_none_when_unsure(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize(
    ("code_or_name", "expected"),
    [
        ("en", "english"),
        ("en-US", "english"),
        ("en_GB", "english"),
        ("EN", "english"),
        ("eng", "english"),
        ("English", "english"),
        ("de", "german"),
        ("de-AT", "german"),
        ("ger", "german"),
        ("fr", "french"),
        ("pt-BR", "portuguese"),
        ("zh-Hant", "chinese"),
        ("nb", "norwegian"),
        ("cs", "czech"),
        ("sk", "slovak"),
        ("ru", "russian"),
        ("id", "english"),
        ("klingon", "english"),
        ("", "english"),
        (None, "english"),
    ],
)
def test_language_for_maps_codes_to_sumy_names(code_or_name: str | None, expected: str) -> None:
    assert language_for(code_or_name) == expected


@pytest.mark.parametrize(
    ("code_or_name", "expected"),
    [("de-AT", "german"), ("English", "english"), ("xx", None), ("", None), (None, None)],
)
def test_known_language_tells_unknown_codes_apart(
    code_or_name: str | None, expected: str | None
) -> None:
    assert known_language(code_or_name) == expected


@pytest.mark.parametrize(("name", "code"), [("german", "de"), ("english", "en"), ("klingon", None)])
def test_iso_code(name: str, code: str | None) -> None:
    assert iso_code(name) == code
