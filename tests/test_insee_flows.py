"""Tests of the INSEE « base flux » reader (observatoire.sources.insee_flows).

Expected values come from the fixtures' text (read here with the csv module), from
shared/data/raw/SOURCES.md and DATA.md, never from the reader's own output.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import io
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observatoire.errors import ObservatoireError
from observatoire.sources.insee_flows import (
    FlowFileError,
    parse_flow_header,
    read_flows,
    read_idf_mode_csp,
    read_insee_flows,
    read_metropoles_flows,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "flows"
SHARED = Path(__file__).resolve().parents[2] / "shared"
RAW = SHARED / "data" / "raw"
needs_shared = pytest.mark.skipif(not RAW.is_dir(), reason="../shared/data/raw absent")

ISERE = FIXTURES / "mobpro_isere2017_30rows.csv"
ISERE_ORIGINAL = FIXTURES / "mobpro_isere2017_original_10rows.csv"
MRE31 = FIXTURES / "mre31_2008_12rows.csv"
MIG_REBUILT = FIXTURES / "insee_migrations_c19_pop01p_rebuilt.csv"
SCO_REBUILT = FIXTURES / "insee_scolaire_c22_scol02p_rebuilt.csv"
METRO_PROFESS = FIXTURES / "metropoles_profess_clean_sample.csv"
METRO_MIG = FIXTURES / "metropoles_migrations_clean_sample.csv"
METRO_SCO = FIXTURES / "metropoles_scolaire_clean_sample.csv"
IDF = FIXTURES / "idf_2012_mode_csp_sample.csv.gz"
HEADER = "CODGEO;LIBGEO;DCLT;L_DCLT;NBFLUX_C17_ACTOCC15P"
MEASURE = "NBFLUX_C17_ACTOCC15P"


# ----------------------------------------------------------------------------- helpers
def isere_rows() -> list[list[str]]:
    """The 30 data rows of the Isère fixture, split by the csv module (the oracle)."""
    with ISERE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == HEADER.split(";")
    return rows[1:]


def isere_text(rows: list[list[str]] | None = None, sep: str = ";", eol: str = "\n") -> str:
    rows = isere_rows() if rows is None else rows
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator=eol)
    writer.writerow(HEADER.split(";"))
    writer.writerows(rows)
    return buf.getvalue()


def lines_with(replacements: dict[int, str]) -> bytes:
    """The Isère fixture with some editor lines (1-based) replaced."""
    lines = ISERE.read_text("utf-8").splitlines()
    for number, text in replacements.items():
        lines[number - 1] = text
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_zip(name: str, payload: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, payload)
        for other, data in (extra or {}).items():
            zf.writestr(other, data)
    return buf.getvalue()


def to_xlsx(rows: list[list[object]], header: list[str], title_rows: bool = True) -> bytes:
    """An xlsx laid out like INSEE's: title rows, a row of long labels, then the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Flux_2017"
    if title_rows:
        ws.append(["Mobilités professionnelles en 2017 : déplacements domicile - lieu de travail"])
        ws.append(["Source : Insee, RP2017 exploitation complémentaire, lieu de résidence"])
        ws.append([])
        ws.append(
            [
                "Code de la commune",
                "Libellé",
                "Code du lieu de travail",
                "Libellé",
                "Flux",
            ]
        )
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def isere_xlsx(title_rows: bool = True) -> bytes:
    rows = [[r[0], r[1], r[2], r[3], float(r[4])] for r in isere_rows()]
    return to_xlsx(rows, HEADER.split(";"), title_rows)


def error_of(source, **kwargs) -> FlowFileError:
    with pytest.raises(FlowFileError) as info:
        read_insee_flows(source, **kwargs)
    return info.value


VARIANTS = {
    "utf8_lf": lambda: ISERE.read_bytes(),
    "latin1_crlf": lambda: isere_text(eol="\r\n").encode("latin-1"),
    "cp1252_cr_only": lambda: isere_text(eol="\r").encode("cp1252"),
    "utf8_bom": lambda: b"\xef\xbb\xbf" + ISERE.read_bytes(),
    "utf16_tab": lambda: isere_text(sep="\t", eol="\r\n").encode("utf-16"),
    "comma_separator": lambda: isere_text(sep=",").encode("utf-8"),
    "decimal_comma": lambda: isere_text([r[:4] + [r[4].replace(".", ",")] for r in isere_rows()]).encode(
        "utf-8"
    ),
    "quoted_fields": lambda: isere_text().replace("38185;", '"38185";').encode("utf-8"),
    "zip": lambda: to_zip("flux.csv", ISERE.read_bytes()),
    "zip_with_metadata": lambda: to_zip(
        "base-flux.csv",
        ISERE.read_bytes(),
        {"meta_base-flux.csv": b"COD_VAR;LIB_VAR\n"},
    ),
    "gz": lambda: gzip.compress(ISERE.read_bytes()),
    "xlsx_title_rows": lambda: isere_xlsx(),
    "xlsx_in_zip": lambda: to_zip("flux.xlsx", isere_xlsx()),
}


# ------------------------------------------------------------------ content and variants
def test_isere_fixture_values_match_the_csv_module_reading():
    flows = read_insee_flows(ISERE)
    expected = [(r[0], r[2], float(r[4])) for r in isere_rows()]
    got = list(zip(flows.df["origin"], flows.df["destination"], flows.df["value"], strict=True))
    assert got == expected


def test_grenoble_to_grenoble_row_is_read_with_full_precision():
    df = read_insee_flows(ISERE).df
    row = df[(df["origin"] == "38185") & (df["destination"] == "38185")]
    assert row["value"].tolist() == [37886.4895181103]


def test_frame_columns_have_the_expected_types():
    df = read_insee_flows(ISERE).df
    assert list(df.columns) == ["origin", "destination", "value"]
    assert df["origin"].dtype == "str"
    assert df["destination"].dtype == "str"
    assert df["value"].dtype == "float64"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_of_the_same_content_gives_the_same_frame(variant):
    base = read_insee_flows(ISERE)
    other = read_insee_flows(VARIANTS[variant](), name=f"isere.{variant}")
    pd.testing.assert_frame_equal(other.df, base.df)
    assert other.names == base.names
    assert (other.kind, other.year, other.measure) == (
        base.kind,
        base.year,
        base.measure,
    )


@pytest.mark.parametrize("variant", ["latin1_crlf", "cp1252_cr_only"])
def test_latin1_file_keeps_accented_names(variant):
    flows = read_insee_flows(VARIANTS[variant](), name="x.csv")
    assert flows.names["38151"] == "Échirolles"
    assert flows.names["38421"] == "Saint-Martin-d'Hères"
    assert "1252" in flows.report["encoding"] or "8859" in flows.report["encoding"]


def test_names_come_from_the_label_columns():
    names = read_insee_flows(ISERE).names
    expected = {r[0]: r[1] for r in isere_rows()} | {r[2]: r[3] for r in isere_rows()}
    assert names == expected


def test_sha256_is_the_hash_of_the_input_bytes_before_decompression():
    payload = gzip.compress(ISERE.read_bytes())
    flows = read_insee_flows(payload, name="x.csv.gz")
    assert flows.sha256 == hashlib.sha256(payload).hexdigest()


def test_report_counts_the_rows():
    flows = read_insee_flows(ISERE)
    assert flows.rows_read == 30
    assert flows.report["rows_read"] == 30
    assert flows.report["rows_kept"] == 30
    assert flows.report["fixes"] == []


def test_xlsx_title_rows_are_skipped():
    flows = read_insee_flows(isere_xlsx(), name="flux.xlsx")
    assert flows.report["header_line"] == 5


def test_skipped_xlsx_title_rows_are_reported_in_french():
    flows = read_insee_flows(isere_xlsx(), name="flux.xlsx")
    assert any("ligne(s) de titre ignorée(s)" in w for w in flows.report["warnings"])


def test_zip_with_two_data_files_asks_which_one_to_read():
    payload = to_zip("a.csv", ISERE.read_bytes(), {"b.csv": ISERE.read_bytes()})
    err = error_of(payload, name="deux.zip")
    assert "deux.zip" in str(err)
    assert "a.csv" in str(err) and "b.csv" in str(err)


def test_zip_member_argument_picks_the_member():
    other = lines_with({2: "38001;Les Abrets en Dauphiné;38001;Les Abrets en Dauphiné;1.5"})
    payload = to_zip("a.csv", ISERE.read_bytes(), {"b.csv": other})
    flows = read_insee_flows(payload, name="deux.zip", member="b.csv")
    assert flows.df["value"].iloc[0] == 1.5


# ----------------------------------------------------------------- codes and zero-padding
def _four_digit_ain_flows():
    text = "CODGEO;LIBGEO;DCLT;L_DCLT;NBFLUX_C19_ACTOCC15P\n1001;L'Abergement;1004;Ambérieu;12.5\n"
    return read_insee_flows(text.encode(), name="ain.csv")


def test_zero_padding_is_reported_as_a_fix():
    flows = _four_digit_ain_flows()
    assert flows.report["zero_padded"] == {"CODGEO": 1, "DCLT": 1}
    assert any("1001 → 01001" in fix for fix in flows.report["fixes"])


def test_four_digit_code_is_zero_padded():
    flows = _four_digit_ain_flows()
    assert flows.df["origin"].tolist() == ["01001"]
    assert flows.df["destination"].tolist() == ["01004"]
    assert flows.names == {"01001": "L'Abergement", "01004": "Ambérieu"}


def test_numeric_xlsx_codes_are_read_as_padded_strings():
    payload = to_xlsx(
        [[1001, "L'Abergement", 38185, "Grenoble", 3.0]],
        "CODGEO LIBGEO DCLT L_DCLT NBFLUX_C19_ACTOCC15P".split(),
    )
    df = read_insee_flows(payload, name="x.xlsx").df
    assert df["origin"].tolist() == ["01001"]
    assert df["destination"].tolist() == ["38185"]


def test_corsican_codes_stay_strings():
    df = read_insee_flows(SCO_REBUILT).df
    assert "2A247" in df["destination"].tolist()
    assert "2B033" in df["destination"].tolist()
    assert df["destination"].dtype == "str"


def test_lower_case_corsican_code_is_upper_cased():
    text = "CODGEO;DCLT;NBFLUX_C19_ACTOCC15P\n2a004;2b033;4\n"
    df = read_insee_flows(text.encode(), name="x.csv").df
    assert df[["origin", "destination"]].values.tolist() == [["2A004", "2B033"]]


def test_label_columns_are_optional():
    text = "CODGEO;DCLT;NBFLUX_C19_ACTOCC15P\n38185;38421;4\n"
    flows = read_insee_flows(text.encode(), name="x.csv")
    assert flows.names == {}
    assert flows.df["value"].tolist() == [4.0]


def test_extra_columns_are_listed_as_ignored_in_the_report():
    flows = read_insee_flows(ISERE_ORIGINAL)
    assert flows.report["ignored_columns"] == ["dept_O", "dept_D", "fij"]
    assert any("dept_O, dept_D, fij" in w for w in flows.report["warnings"])


def test_original_isere_file_names_are_repaired():
    original = read_insee_flows(ISERE_ORIGINAL)
    assert original.names["38151"] == "Échirolles"
    assert original.names["38001"] == "Les Abrets en Dauphiné"


def test_original_isere_file_gives_the_same_values():
    original = read_insee_flows(ISERE_ORIGINAL)
    clean = read_insee_flows(ISERE).df
    pairs = set(zip(original.df["origin"], original.df["destination"], strict=True))
    subset = clean[[p in pairs for p in zip(clean["origin"], clean["destination"], strict=True)]]
    pd.testing.assert_frame_equal(
        original.df.sort_values(["origin", "destination"]).reset_index(drop=True),
        subset.sort_values(["origin", "destination"]).reset_index(drop=True),
    )


# ------------------------------------------------------------------ kind and year detection
def test_commuting_header_is_read_as_travail_2017():
    flows = read_insee_flows(ISERE)
    assert (flows.kind, flows.year, flows.measure) == ("travail", 2017, MEASURE)
    assert flows.period_years is None


def test_2008_migration_header_gives_a_five_year_period():
    flows = read_insee_flows(MRE31)
    assert (flows.kind, flows.year, flows.measure) == (
        "residentiel",
        2008,
        "NBFLUX_C08_POP05P",
    )
    assert flows.period_years == 5


def test_one_year_migration_header_gives_a_one_year_period():
    flows = read_insee_flows(MIG_REBUILT)
    assert (flows.kind, flows.year, flows.period_years) == ("residentiel", 2019, 1)


def test_school_header_is_read_as_etudes_2022():
    flows = read_insee_flows(SCO_REBUILT)
    assert (flows.kind, flows.year, flows.measure) == (
        "etudes",
        2022,
        "NBFLUX_C22_SCOL02P",
    )


def test_migration_origin_is_the_former_residence_dcran():
    # MRE31 line 8: "31555;Toulouse;31002;Aignes;8.650786": lives in Toulouse, lived in Aignes
    df = read_insee_flows(MRE31).df
    row = df[df["value"] == 8.650786]
    assert row[["origin", "destination"]].values.tolist() == [["31002", "31555"]]


def test_insee_migration_layout_matches_the_clean_file_direction():
    insee = read_insee_flows(MIG_REBUILT).df
    with METRO_MIG.open(encoding="utf-8-sig", newline="") as fh:
        clean = [r for r in csv.DictReader(fh) if r["annee"] == "2019"]
    expected = sorted((r["code_origine"], r["code_destination"], float(r["flux"])) for r in clean)
    assert sorted(zip(insee["origin"], insee["destination"], insee["value"], strict=True)) == expected


def test_school_origin_is_the_residence_codgeo():
    df = read_insee_flows(SCO_REBUILT).df
    assert ("38185", "2A247") in set(zip(df["origin"], df["destination"], strict=True))


def test_explicit_kind_year_agreeing_with_the_file_are_accepted():
    flows = read_insee_flows(MRE31, kind="résidentiel", year=2008)
    assert flows.kind == "residentiel"


def test_explicit_kind_disagreeing_with_header_raises():
    err = error_of(ISERE, kind="etudes")
    assert "mobpro_isere2017_30rows.csv" in str(err)
    assert "ligne 1, colonne NBFLUX_C17_ACTOCC15P" in str(err)
    assert "domicile-travail" in str(err)


def test_explicit_year_disagreeing_with_header_raises():
    err = error_of(ISERE, year=2019)
    assert "ligne 1, colonne NBFLUX_C17_ACTOCC15P" in str(err)
    assert "2017" in str(err) and "2019" in str(err)


def test_unknown_kind_argument_raises_in_french():
    err = error_of(ISERE, kind="fret")
    assert "Type de flux inconnu « fret »" in str(err)


def test_destination_column_incompatible_with_measure_raises():
    with pytest.raises(FlowFileError, match="DCLT .* NBFLUX_C19_POP01P"):
        parse_flow_header(["CODGEO", "DCLT", "NBFLUX_C19_POP01P"], filename="x.csv")


def test_header_matching_is_case_insensitive():
    header = parse_flow_header(["codgeo", "libgeo", "dcran", "l_dcran", "nbflux_c19_pop01p"])
    assert (header.kind, header.year, header.origin_column) == (
        "residentiel",
        2019,
        "dcran",
    )


# ------------------------------------------------------------------------------- errors
def test_missing_measure_column_names_line_1():
    payload = b"CODGEO;LIBGEO;DCLT;L_DCLT\n38185;Grenoble;38185;Grenoble\n"
    err = error_of(payload, name="sans_mesure.csv")
    assert str(err).startswith("Fichier « sans_mesure.csv », ligne 1 :")
    assert "colonne de mesure absente" in str(err)


def test_unknown_measure_error_gives_its_position():
    payload = lines_with({1: "CODGEO;LIBGEO;DCLT;L_DCLT;NBFLUX_C17_EMPLOIS"})
    err = error_of(payload, name="f.csv")
    assert "ligne 1, colonne NBFLUX_C17_EMPLOIS : mesure non reconnue" in str(err)


def test_missing_header_is_reported_on_line_1():
    payload = "\n".join(ISERE.read_text("utf-8").splitlines()[1:]).encode()
    err = error_of(payload, name="sans_entete.csv")
    assert "Fichier « sans_entete.csv », ligne 1 : en-tête manquant" in str(err)


def test_non_numeric_value_error_gives_its_position():
    err = error_of(
        lines_with({5: "38053;Bourgoin-Jallieu;38053;Bourgoin-Jallieu;abc"}),
        name="f.csv",
    )
    assert f"ligne 5, colonne {MEASURE} : valeur non numérique « abc »" in str(err)
    assert err.errors == [{"line": 5, "column": MEASURE, "message": "valeur non numérique « abc »"}]


def test_negative_flow_error_gives_its_position():
    err = error_of(lines_with({7: "38130;La Côte-Saint-André;38130;La Côte;-3.5"}), name="f.csv")
    assert f"ligne 7, colonne {MEASURE} : flux négatif « -3.5 »" in str(err)


def test_empty_code_error_gives_its_position():
    err = error_of(lines_with({3: "38001;Les Abrets;;Grenoble;110"}), name="f.csv")
    assert "ligne 3, colonne DCLT : code commune vide" in str(err)


def test_malformed_code_error_gives_its_position():
    err = error_of(lines_with({4: "38185X;Grenoble;38185;Grenoble;3"}), name="f.csv")
    assert "ligne 4, colonne CODGEO : code commune invalide « 38185X »" in str(err)


def test_truncated_last_line_with_fewer_fields_is_reported():
    err = error_of(lines_with({31: "38563;Voiron;385"}), name="f.csv")
    assert "ligne 31, colonne L_DCLT : dernière ligne tronquée : 3 champs au lieu de 5" in str(err)


def test_truncated_last_line_missing_its_final_value_is_reported():
    payload = lines_with({31: "38563;Voiron;38563;Voiron;"}).rstrip(b"\n")
    err = error_of(payload, name="f.csv")
    assert f"ligne 31, colonne {MEASURE} : dernière ligne tronquée : valeur manquante" in str(err)


def test_incomplete_line_in_the_middle_is_not_called_the_last():
    err = error_of(lines_with({10: "38151;Échirolles;38151"}), name="f.csv")
    assert "ligne 10, colonne L_DCLT : ligne incomplète" in str(err)


def test_line_with_too_many_fields_is_reported():
    err = error_of(lines_with({6: "38053;Bourgoin;38185;Grenoble;109.7;en trop"}), name="f.csv")
    assert "ligne 6, colonne n° 6 : 6 champs au lieu de 5" in str(err)


def test_line_numbers_count_blank_lines_with_crlf_endings():
    lines = ISERE.read_text("utf-8").splitlines()
    lines[19] = "38185;Grenoble;38185;Grenoble;n/a"  # editor line 20
    lines.insert(9, "")  # blank editor line 10: the bad line moves to 21
    payload = "\r\n".join(lines).encode("utf-8")
    err = error_of(payload, name="f.csv")
    assert f"ligne 21, colonne {MEASURE} : valeur non numérique « n/a »" in str(err)


def test_line_numbers_in_xlsx_are_spreadsheet_rows():
    rows = [[r[0], r[1], r[2], r[3], float(r[4])] for r in isere_rows()]
    rows[2][4] = "beaucoup"  # third data row: header on row 5, so spreadsheet row 8
    err = error_of(to_xlsx(rows, HEADER.split(";")), name="f.xlsx")
    assert f"ligne 8, colonne {MEASURE} : valeur non numérique « beaucoup »" in str(err)


def test_several_errors_are_listed_in_one_exception_in_line_order():
    payload = lines_with({12: "38151;É;38421;S;x", 4: "38002;A;;G;1", 25: "38229;M;38185;G;-1"})
    err = error_of(payload, name="f.csv")
    assert [e["line"] for e in err.errors] == [4, 12, 25]
    assert "3 erreurs ; aucune ligne n'a été importée" in str(err)


def test_errors_beyond_fifty_are_counted_not_listed():
    rows = [[f"38{i:03d}", "X", "38185", "Grenoble", "abc"] for i in range(1, 121)]
    err = error_of(isere_text(rows).encode(), name="f.csv")
    assert len(err.errors) == 50
    assert err.total_errors == 120
    assert "… et 70 autres erreurs non affichées." in str(err)
    assert err.errors[0]["line"] == 2


def test_too_large_file_is_refused_before_reading():
    class Upload(io.RawIOBase):
        name = "enorme.csv"
        size = 600_000_000

        def read(self, *args):
            raise AssertionError("the file must not be read")

    err = error_of(Upload())
    assert "Fichier « enorme.csv » trop volumineux" in str(err)
    assert "600,0 Mo" in str(err) and "500,0 Mo" in str(err)


def test_max_bytes_is_checked_on_a_path_before_reading(monkeypatch):
    def boom(self):
        raise AssertionError("the file must not be read")

    monkeypatch.setattr(Path, "read_bytes", boom)
    err = error_of(ISERE, max_bytes=100)
    assert "trop volumineux" in str(err)


def test_gzip_that_inflates_beyond_max_bytes_is_refused():
    payload = gzip.compress(b"CODGEO;DCLT;NBFLUX_C19_ACTOCC15P\n" + b"38185;38185;1\n" * 5000)
    err = error_of(payload, name="bombe.csv.gz", max_bytes=20_000)
    assert "trop volumineux une fois décompressé" in str(err)


def test_binary_garbage_is_not_a_text_file():
    garbage = random.Random(0).randbytes(4096)
    err = error_of(garbage, name="image.csv")
    assert "Fichier « image.csv » : ce n'est pas un fichier texte" in str(err)


def test_old_xls_format_is_refused_with_advice():
    err = error_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, name="flux.xls")
    assert ".xls" in str(err) and "xlsx" in str(err)


def test_empty_file_is_refused():
    err = error_of(b"", name="vide.csv")
    assert str(err) == "Fichier « vide.csv » vide (0 octet)."


def test_header_only_file_is_refused():
    err = error_of((HEADER + "\n\n").encode(), name="entete.csv")
    assert "aucune ligne de données après l'en-tête (ligne 1)" in str(err)


def test_missing_file_is_reported_in_french(tmp_path):
    err = error_of(tmp_path / "absent.csv")
    assert "Fichier « absent.csv » introuvable" in str(err)


def test_flow_file_error_is_an_observatoire_error():
    err = error_of(b"", name="vide.csv")
    assert isinstance(err, ObservatoireError)


# ---------------------------------------------------------------- other real layouts
def test_metropoles_commuting_file_is_split_by_year():
    tables = read_metropoles_flows(METRO_PROFESS)
    assert [(t.kind, t.year, t.rows_read) for t in tables] == [
        ("travail", 2019, 7),
        ("travail", 2022, 1),
    ]
    y2019, y2022 = tables
    assert y2022.df[["origin", "destination", "value"]].values.tolist() == [["38185", "38185", 39629.17]]
    assert ("34057", "2A004", 1.1) in set(
        zip(y2019.df["origin"], y2019.df["destination"], y2019.df["value"], strict=True)
    )
    assert y2019.names["2A004"] == "Ajaccio"
    assert y2019.report["ignored_columns"] == ["dep_residence", "dep_travail"]


def test_metropoles_migration_file_with_bom_keeps_origin_as_former_residence():
    tables = read_metropoles_flows(METRO_MIG)
    assert [(t.kind, t.year, t.period_years) for t in tables] == [
        ("residentiel", 2019, 1),
        ("residentiel", 2022, 1),
    ]
    df = tables[1].df
    abroad = df[df["origin"] == "99999"]
    assert abroad[["destination", "value"]].values.tolist() == [["38185", 2360.16]]
    assert tables[1].report["abroad_rows"] == 1


def test_metropoles_school_kind_is_deduced_from_columns_when_the_name_says_nothing(
    tmp_path,
):
    renamed = tmp_path / "extrait.csv"
    renamed.write_bytes(METRO_SCO.read_bytes())
    tables = read_metropoles_flows(renamed)
    assert {t.kind for t in tables} == {"etudes"}
    assert sum(t.rows_read for t in tables) == 9


def test_metropoles_year_argument_keeps_one_year():
    (only,) = read_metropoles_flows(METRO_SCO, year=2022)
    assert only.year == 2022
    assert sorted(only.df["value"]) == [4.43, 9.16, 39939.78]


def test_metropoles_year_absent_from_file_raises():
    with pytest.raises(FlowFileError, match="l'année 2020 n'y figure pas .*2019, 2022"):
        read_metropoles_flows(METRO_SCO, year=2020)


def test_metropoles_commuting_file_refuses_another_kind():
    with pytest.raises(FlowFileError, match="ligne 1"):
        read_metropoles_flows(METRO_PROFESS, kind="etudes")


def test_idf_file_keeps_its_mode_csp_dimensions_as_strings():
    flows = read_idf_mode_csp(IDF)
    df = flows.df
    assert list(df.columns) == ["origin", "destination", "value", "mode", "csp"]
    assert df["mode"].dtype == "str" and df["csp"].dtype == "str"
    tc5 = df[(df["origin"] == "93066") & (df["mode"] == "TC") & (df["csp"] == "5")]
    assert tc5[["destination", "value"]].values.tolist() == [["75108", 459.6374497904733]]
    assert (flows.kind, flows.year, flows.measure) == ("travail", 2012, "FLOW")


def test_idf_file_without_year_in_name_needs_a_year():
    payload = IDF.read_bytes()
    with pytest.raises(FlowFileError, match="précisez l'année"):
        read_idf_mode_csp(payload, name="flux.csv.gz")
    assert read_idf_mode_csp(payload, name="flux.csv.gz", year=2012).year == 2012


def test_read_flows_detects_each_layout():
    assert [f.kind for f in read_flows(ISERE)] == ["travail"]
    assert [f.year for f in read_flows(METRO_MIG)] == [2019, 2022]
    assert read_flows(IDF)[0].report["layout"] == "idf"


def test_read_flows_rejects_an_unknown_header():
    with pytest.raises(FlowFileError, match="ligne 1 : en-tête manquant ou non reconnu"):
        read_flows(b"a;b;c\n1;2;3\n", name="autre.csv")


# ------------------------------------------------------------------- property-based
code = st.one_of(
    st.integers(1000, 95999).map(lambda n: f"{n:05d}"),
    st.tuples(st.sampled_from(["2A", "2B"]), st.integers(1, 999)).map(lambda t: f"{t[0]}{t[1]:03d}"),
)
row = st.tuples(code, code, st.decimals(0, 10**6, places=6, allow_nan=False).map(str))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(row, min_size=1, max_size=40),
    sep=st.sampled_from([";", ","]),
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]),
)
def test_any_valid_rows_round_trip_exactly(rows, sep, encoding):
    header = sep.join(["CODGEO", "DCLT", "NBFLUX_C21_ACTOCC15P"])
    text = "\n".join([header, *(sep.join(r) for r in rows)]) + "\n"
    df = read_insee_flows(text.encode(encoding), name="p.csv").df
    assert df["origin"].tolist() == [r[0] for r in rows]
    assert df["destination"].tolist() == [r[1] for r in rows]
    assert df["value"].tolist() == [float(r[2]) for r in rows]


# -------------------------------------------------------------------- module hygiene
def test_importing_the_reader_loads_neither_streamlit_nor_duckdb():
    code = (
        "import sys, observatoire.sources.insee_flows;"
        "print(sorted(m for m in ('streamlit', 'duckdb', 'openpyxl') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_benchmark_generator_writes_a_readable_insee_file(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "gen_synthetic_flows", ROOT / "bench" / "gen_synthetic_flows.py"
    )
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    out = tmp_path / "synth.csv"
    gen.generate(out, 2000, 7, gen.default_codes())
    flows = read_insee_flows(out)
    assert flows.rows_read == 2000
    assert (flows.kind, flows.year) == ("travail", 2020)
    assert flows.report["duplicate_pairs"] == 0
    assert all(re.fullmatch(r"(\d{5}|2[AB]\d{3})", c) for c in flows.df["origin"])


# ----------------------------------------------------------------- full real files
@needs_shared
def test_full_isere_2017_file_matches_the_documented_figures():
    flows = read_insee_flows(RAW / "mobpro-isere-2017" / "mobpro_isere2017_utf8.csv")
    df = flows.df
    assert flows.rows_read == 13067
    assert df["value"].sum() == pytest.approx(444_656.44, abs=1)
    grenoble = df[(df["origin"] == "38185") & (df["destination"] == "38185")]["value"]
    assert grenoble.tolist() == [pytest.approx(37_886.5, abs=0.05)]


@needs_shared
@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        (
            "flows-5-metropoles-2019-2022/Mobilite_profess_clean.csv",
            {2019: (18771, 909_784), 2022: (18831, 969_966)},
        ),
        (
            "flows-5-metropoles-2019-2022/Migrations_resid_clean.csv",
            {2019: (16853, 2_268_848), 2022: (15411, 2_323_420)},
        ),
        (
            "flows-5-metropoles-2019-2022/Mobilite_scolaire_clean.csv",
            {2019: (6391, 624_432), 2022: (6366, 639_416)},
        ),
        ("migcom-2008-dep31-44-46/MRE31.csv", {2008: (8220, 968_217)}),
        ("migcom-2008-dep31-44-46/MRE46.csv", {2008: (2088, 140_305)}),
        (
            "mobpro-idf-2012-by-mode-csp/idf_commute_flows_2012_mode_csp.csv.gz",
            {2012: (383932, 5_323_745)},
        ),
    ],
)
def test_full_real_files_match_the_totals_in_sources_md(relative, expected):
    tables = read_flows(RAW / relative)
    got = {t.year: (t.rows_read, t.df["value"].sum()) for t in tables}
    assert set(got) == set(expected)
    for y, (rows, total) in expected.items():
        assert got[y][0] == rows
        assert got[y][1] == pytest.approx(total, abs=1)
