from observatoire.text import normalize


def test_normalize_ignores_accents_or_case():
    assert normalize("Brest Métropole") == normalize("brest metropole") == "brest metropole"


def test_normalize_turns_hyphens_into_spaces():
    assert normalize("Saint-Étienne-du-Rouvray") == "saint etienne du rouvray"


def test_normalize_spells_out_ligatures():
    assert normalize("Œuvre  d'Île") == "oeuvre d ile"
