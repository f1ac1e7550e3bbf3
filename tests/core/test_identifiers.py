import pytest
from django.core.exceptions import ValidationError

from fairplace.core.identifiers import clean_siret, siren_of


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("73282932000074", "73282932000074"),
        ("732 829 320 00074", "73282932000074"),
        (" 732.829.320-00074 ", "73282932000074"),
        ("35600000000048", "35600000000048"),  # La Poste head office: an ordinary Luhn number
        ("35600000049837", "35600000049837"),  # La Poste establishment: digit sum multiple of 5, not Luhn
    ],
)
def test_valid_sirets_are_accepted_and_compacted(typed, expected):
    assert clean_siret(typed) == expected


@pytest.mark.parametrize(
    "typed, code, fragment",
    [
        ("", "required", "Indiquez le numéro SIRET"),
        ("73282932000075", "checksum", "mal recopié"),
        ("35600000049838", "checksum", "mal recopié"),  # La Poste rule broken (sum not multiple of 5)
        ("732829320", "length", "vous en avez saisi 9"),
        ("7328293200007", "length", "vous en avez saisi 13"),
        ("732829320000745", "length", "vous en avez saisi 15"),
        ("7328293200007A", "format", "que des chiffres"),
    ],
)
def test_invalid_sirets_get_a_french_reason(typed, code, fragment):
    with pytest.raises(ValidationError) as caught:
        clean_siret(typed)
    assert caught.value.code == code
    assert fragment in caught.value.messages[0]


def test_siren_is_the_first_nine_digits():
    assert siren_of("73282932000074") == "732829320"
