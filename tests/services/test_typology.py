"""The shipped typology against INSEE's nomenclature and gammes files."""

from __future__ import annotations

import csv

import pytest

from maillage import InputFileError
from maillage._data import data_path
from maillage.services.typology import FAMILIES, GAMMES, load_typology


def _read(*parts: str) -> list[dict[str, str]]:
    with open(data_path(*parts), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_bpe_2025_type_is_in_the_typology_with_its_label() -> None:
    labels = {r["TYPEQU"]: r["LIB_TYPEQU"].strip() for r in _read("bpe", "typequ-labels-2025.csv")}
    types = load_typology().types.set_index("type")["label"].to_dict()
    # Besides the BPE: childminders' places (CAF), which no BPE type counts.
    assert {code: label for code, label in types.items() if code in labels} == labels
    assert set(types) - set(labels) == {"ASSMAT"}


def test_counts_map_to_typed_families_and_specialised_hospitals_are_never_nearest() -> None:
    typology = load_typology()
    types = typology.types.set_index("type")
    for rule in typology.counts:
        assert types.loc[rule.type, "family"] in FAMILIES, rule.type
        assert rule.rule, rule.type
        assert rule.type in rule.replaced_by
    eurostat = {f: code for code, fs in types["eurostat"].items() for f in fs}
    for facility in (
        "Etablissement de santé privé autorisé en SSR",
        "Etablissement de Soins Longue Durée",
        "Centre Hospitalier Spécialisé lutte Maladies Mentales",
    ):
        assert not types.loc[eurostat[facility], "nearest"], facility
    for facility in ("Centre Hospitalier (C.H.)", "Etablissement de Soins Chirurgicaux"):
        code = eurostat[facility]
        assert types.loc[code, "nearest"] and types.loc[code, "family"] == "soins"


@pytest.mark.parametrize(
    ("gamme", "name"),
    [("proximite", "prox"), ("intermediaire", "intermediaires"), ("superieure", "superieures")],
)
def test_every_2021_gamme_code_maps_to_2025_codes_of_that_gamme(gamme: str, name: str) -> None:
    typology = load_typology()
    old_index = typology.old_code_index()
    gammes = typology.types.set_index("type")["gamme"]
    for row in _read("bpe", f"gamme-{name}-2021-codes.csv"):
        old = row["code_equipement"]
        new_codes = old_index.get(old, [old])
        assert all(gammes[code] == gamme for code in new_codes), old


def test_known_conversions_and_families() -> None:
    typology = load_typology()
    assert typology.old_code_index()["D201"] == ["D265"]  # médecin généraliste
    families = typology.types.dropna(subset=["family"]).groupby("family")["type"].apply(set)
    assert list(sorted(families.index)) == sorted(FAMILIES)
    assert {"A128", "A129", "A122"} <= families["social_emploi"]
    assert {"D265", "D307"} <= families["soins"]
    assert {"D502", "D509"} <= families["petite_enfance"]
    assert set(typology.types["gamme"].dropna()) == set(GAMMES)


def test_a_user_typology_with_an_unknown_family_is_refused(tmp_path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(
        'version = "x"\n[familles.soins]\nlibelle = "Soins"\n'
        '[[types]]\ncode = "D265"\nlibelle = "Médecin"\nfamille = "sante"\n',
        encoding="utf-8",
    )
    with pytest.raises(
        InputFileError,
        match=r"typo\.toml : configuration invalide :\n  - ligne 7, clé « types\[0\]\.famille » "
        r": famille « sante » inconnue ; familles : soins",
    ) as caught:
        load_typology(path)
    assert caught.value.line == 7
