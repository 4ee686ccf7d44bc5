import pytest

from observatoire.errors import SourceFileError
from observatoire.sources import comparateur
from tests.conftest import FIXTURES

EXTRACT = FIXTURES / "comparateur_extract.csv"


def test_reads_real_extract_with_codes_as_strings():
    df = comparateur.read_comparateur(EXTRACT)
    assert len(df) == 19
    assert df["CODGEO"].dtype == "string"
    assert "2A004" in set(df["CODGEO"])
    brest = df[df["CODGEO"] == "29019"].iloc[0]
    # Brest, RP 2018: 139 602 inhabitants (INSEE)
    assert brest["P18_POP"] == 139602


def test_wrong_header_error_locates_the_header_in_its_file(tmp_path):
    bad = tmp_path / "bad.csv"
    text = EXTRACT.read_bytes().decode("latin-1").replace("P18_POP", "POP18", 1)
    bad.write_bytes(text.encode("latin-1"))
    with pytest.raises(SourceFileError) as err:
        comparateur.read_comparateur(bad)
    assert "bad.csv" in str(err.value) and "ligne 1" in str(err.value)
    assert "P18_POP" in str(err.value)


def test_non_numeric_value_error_gives_its_position(tmp_path):
    lines = EXTRACT.read_bytes().decode("latin-1").split("\r\n")
    fields = lines[3].split(";")
    fields[1] = "douze"
    lines[3] = ";".join(fields)
    bad = tmp_path / "nonnum.csv"
    bad.write_bytes("\r\n".join(lines).encode("latin-1"))
    with pytest.raises(SourceFileError) as err:
        comparateur.read_comparateur(bad)
    msg = str(err.value)
    assert "ligne 4" in msg and "P18_POP" in msg and "douze" in msg


def test_truncated_last_line_is_refused(tmp_path):
    raw = EXTRACT.read_bytes()
    bad = tmp_path / "trunc.csv"
    bad.write_bytes(raw[: len(raw) - 40])
    with pytest.raises(SourceFileError) as err:
        comparateur.read_comparateur(bad)
    assert "tronquée" in str(err.value) and "ligne 20" in str(err.value)


def test_missing_file_says_so(tmp_path):
    with pytest.raises(SourceFileError, match="introuvable"):
        comparateur.read_comparateur(tmp_path / "absent.zip")
