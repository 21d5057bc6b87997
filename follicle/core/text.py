"""Search keys that behave the same on SQLite and PostgreSQL.

A name typed in Greek or in Latin letters, with or without accents, in any case, finds the same
patient: both the stored name and the query go through `search_key`, which strips accents, folds
case (final sigma included), transliterates Greek to Latin (ELOT 743 style) and then folds the
spellings that Greek names commonly take in Latin letters (Giorgos / Georgios / Yiorgos → "giorgos").
"""

from __future__ import annotations

import re
import unicodedata

# Greek digraphs first (longest match), then single letters; input is accent-free lower case.
_GREEK_DIGRAPHS = {
    "ου": "ou",
    "αι": "ai",
    "ει": "ei",
    "οι": "oi",
    "υι": "yi",
    "μπ": "mp",
    "ντ": "nt",
    "γκ": "gk",
    "γγ": "ng",
    "τσ": "ts",
    "τζ": "tz",
    "αυ": "av",
    "ευ": "ev",
}
_GREEK_LETTERS = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
}
_DIGRAPH_RE = re.compile("|".join(sorted(_GREEK_DIGRAPHS, key=len, reverse=True)))
# Latin spellings of the same Greek sounds, folded to one form (applied to both sides).
_FOLDS = [
    (re.compile(r"(?<=[ae])u"), "v"),  # αυ/ευ: "Evangelos"/"Euangelos", "Odysseus"/"Odyssevs"
    (re.compile(r"ou"), "u"),
    (re.compile(r"ei|oi|yi|y|ee"), "i"),
    (re.compile(r"ch|kh|h"), "h"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"th"), "t"),
    (re.compile(r"ks"), "x"),
    (re.compile(r"b"), "mp"),
    (re.compile(r"d"), "nt"),
    (re.compile(r"gk|gg|ng(?=[kg])"), "g"),
    (re.compile(r"w"), "o"),
    (re.compile(r"\bge(?=o)"), "gi"),  # Georgios, Giorgos
    (re.compile(r"gi(?=[aeiou])"), "i"),  # Giorgos, Yiorgos, Bakogianni, Bakoyanni
    (re.compile(r"(.)\1+"), r"\1"),  # double letters
]


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def transliterate_greek(text: str) -> str:
    text = _DIGRAPH_RE.sub(lambda m: _GREEK_DIGRAPHS[m.group(0)], text)
    return "".join(_GREEK_LETTERS.get(ch, ch) for ch in text)


def light_key(text: str) -> str:
    """Accents stripped, case folded (final sigma too), Greek transliterated; nothing else."""
    text = strip_accents(text or "").casefold()
    text = transliterate_greek(text)
    text = re.sub(r"['’`]", "", text)  # O'Brien, D’Angelo
    text = re.sub(r"[^a-z0-9@+\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def search_key(text: str) -> str:
    """The light key with common Latin spellings of Greek sounds folded to one form."""
    text = light_key(text)
    for pattern, replacement in _FOLDS:
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+", " ", text).strip()


def search_text(*parts: str) -> str:
    """What a record stores for search: both keys of every part, so a query matches either."""
    words = " ".join(p for p in parts if p)
    return f"{light_key(words)} | {search_key(words)}"


def query_terms(query: str) -> list[tuple[str, str]]:
    """Each word of a query as (light, folded): a record matches a word if it holds either."""
    return [(light_key(word), search_key(word)) for word in (query or "").split() if light_key(word)]


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")
