"""Search keys: accents, case, final sigma and Greek↔Latin all meet in one form."""

import pytest

from follicle.core.text import light_key, query_terms, search_key, search_text


def matches(stored: str, query: str) -> bool:
    text = search_text(stored)
    return all(light in text or folded in text for light, folded in query_terms(query))


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("Γιώργος Παπαδόπουλος", "giorgos papadopoulos"),
        ("Γιώργος Παπαδόπουλος", "Yiorgos"),
        ("Γιώργος Παπαδόπουλος", "ΓΙΩΡΓΟΣ"),
        ("Γιώργος Παπαδόπουλος", "γιωργος παπαδοπουλοσ"),  # no accents, non-final sigma typed at the end
        ("George Papadopoulos", "Παπαδόπουλος"),
        ("Κωνσταντίνου", "Konstan"),  # prefixes while typing
        ("Βασιλείου", "Vasiliou"),
        ("Χρήστος", "Hristos"),
        ("Χρήστος", "Christos"),
        ("Μπακογιάννη", "Bakoyanni"),
        ("Ντόρα", "Dora"),
        ("Φίλιππος", "Philippos"),
        ("Ζωή", "Zoi"),
        ("José Ñúñez", "jose nunez"),
        ("Σοφία Δημητρίου", "sof dim"),
    ],
)
def test_names_match_across_scripts_accents_and_case(stored, query):
    assert matches(stored, query)


@pytest.mark.parametrize(("stored", "query"), [("Γιώργος", "Maria"), ("Ελένη", "Ελλάδα"), ("Nikos", "Niki")])
def test_different_names_do_not_match(stored, query):
    assert not matches(stored, query)


def test_final_sigma_and_case_fold():
    assert light_key("ΟΔΥΣΣΕΑΣ") == light_key("Οδυσσέας") == light_key("οδυσσεασ")
    assert search_key("Ὀδυσσεύς") == search_key("Odysseus")
