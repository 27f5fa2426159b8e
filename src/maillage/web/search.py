"""Search text the way people type it: no accents, no case, common abbreviations.

"hôpital", "HOPITAL" and "hopital" find the same services; "st jean" finds
Saint-Jean-de-Maurienne; every word of the query (but "de", "la"...) must start a word
of the service's name, type or commune, in any order.
"""

from __future__ import annotations

import re
import unicodedata

#: Abbreviations written out before comparing (French place and service names).
ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "chu": "centre hospitalier universitaire",
    "mfs": "maison france services",
    "msp": "maison de sante pluriprofessionnelle",
    "pmi": "protection maternelle et infantile",
    "ccas": "centre communal d action sociale",
}
#: Words of a query that need not appear ("Mairie de Modane" finds "Mairie", Modane).
STOP_WORDS = {"de", "du", "des", "d", "la", "le", "les", "l", "et", "a", "au", "aux", "en", "sur"}
_WORD = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces, abbreviations written out.

    Examples
    --------
    >>> normalize("Hôpital de St-Jean-de-Maurienne")
    'hopital de saint jean de maurienne'
    >>> normalize("Ste. Marie")
    'sainte marie'
    """
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(ABBREVIATIONS.get(word, word) for word in _WORD.findall(plain))


def matches(query: str, *fields: str) -> bool:
    """Whether every word of ``query`` starts a word of the fields (normalised).

    Examples
    --------
    >>> matches("st jean", "Mairie", "Saint-Jean-de-Maurienne")
    True
    >>> matches("hôpital", "HOPITAL LOCAL")
    True
    >>> matches("jean", "Mairie", "Jarrier")
    False
    >>> matches("Mairie de Modane", "Mairie", "Modane")
    True
    """
    words = [word for word in normalize(query).split() if word not in STOP_WORDS]
    if not words:
        return True
    haystack = " " + " ".join(normalize(field) for field in fields)
    return all(f" {word}" in haystack for word in words)
