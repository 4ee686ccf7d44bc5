from observatoire.text import normalize


def test_normalize_strips_accents_and_case():
    assert normalize("Brest Métropole") == normalize("brest metropole") == "brest metropole"


def test_normalize_turns_punctuation_and_ligatures_into_words():
    assert normalize("Saint-Étienne-du-Rouvray") == "saint etienne du rouvray"
    assert normalize("Œuvre  d'Île") == "oeuvre d ile"
