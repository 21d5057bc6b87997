"""The Greek catalogue is complete, compiled, and covers every string the templates translate."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

PACKAGE = Path(__file__).resolve().parents[2]
PO = PACKAGE / "locale" / "el" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
TRANSLATE_TAG = re.compile(r"""{%\s*translate\s+(["'])(.+?)\1""")


def test_catalogue_is_complete():
    catalogue = polib.pofile(str(PO))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    for entry in catalogue.translated_entries():
        # Placeholders survive translation.
        for placeholder in re.findall(r"%\(\w+\)[sd]|{{\s*\w+\s*}}", entry.msgid):
            assert placeholder in entry.msgstr or placeholder in "".join(entry.msgstr_plural.values()), (
                entry.msgid
            )


def test_compiled_catalogue_matches_source():
    compiled = gettext.GNUTranslations(MO.open("rb"))
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, (
                f"stale .mo: run make messages ({entry.msgid!r})"
            )


def test_every_template_string_is_in_the_catalogue():
    known = {entry.msgid for entry in polib.pofile(str(PO))}
    missing = []
    for template in PACKAGE.rglob("templates/**/*.html"):
        for _quote, text in TRANSLATE_TAG.findall(template.read_text(encoding="utf-8")):
            if text not in known:
                missing.append(f"{template.relative_to(PACKAGE)}: {text}")
    assert missing == [], "run make messages and translate: " + "; ".join(missing)


@pytest.mark.django_db
def test_pages_render_in_greek(personas):
    personas["admin"].language = "el"
    personas["admin"].save()
    client = Client()
    client.force_login(personas["admin"])
    body = client.get("/settings/clinic/").content.decode()
    with translation.override("el"):
        assert translation.gettext("Clinic settings") != "Clinic settings"
        assert translation.gettext("Clinic settings") in body
    assert 'lang="el"' in body
