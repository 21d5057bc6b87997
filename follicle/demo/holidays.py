"""Greek public holidays: fixed dates plus those that move with Orthodox Easter."""

from __future__ import annotations

import datetime as dt


def orthodox_easter(year: int) -> dt.date:
    """Orthodox Easter Sunday (Meeus' Julian algorithm, converted to the Gregorian calendar)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month = (d + e + 114) // 31
    day = (d + e + 114) % 31 + 1
    julian = dt.date(year, month, day)
    # The Julian calendar runs 13 days behind the Gregorian from 1900 to 2099.
    return julian + dt.timedelta(days=13)


def greek_public_holidays(year: int) -> list[tuple[dt.date, str]]:
    easter = orthodox_easter(year)
    days = [
        (dt.date(year, 1, 1), "New Year's Day / Πρωτοχρονιά"),
        (dt.date(year, 1, 6), "Epiphany / Θεοφάνεια"),
        (easter - dt.timedelta(days=48), "Clean Monday / Καθαρά Δευτέρα"),
        (dt.date(year, 3, 25), "Independence Day / 25η Μαρτίου"),
        (easter - dt.timedelta(days=2), "Good Friday / Μεγάλη Παρασκευή"),
        (easter + dt.timedelta(days=1), "Easter Monday / Δευτέρα του Πάσχα"),
        (dt.date(year, 5, 1), "Labour Day / Πρωτομαγιά"),
        (easter + dt.timedelta(days=50), "Whit Monday / Αγίου Πνεύματος"),
        (dt.date(year, 8, 15), "Assumption / Δεκαπενταύγουστος"),
        (dt.date(year, 10, 28), "Ochi Day / 28η Οκτωβρίου"),
        (dt.date(year, 12, 25), "Christmas Day / Χριστούγεννα"),
        (dt.date(year, 12, 26), "Synaxis of the Theotokos / Σύναξη της Θεοτόκου"),
    ]
    # A moving holiday can fall on a fixed one (Easter Monday on 1 May): keep the date once.
    unique: dict[dt.date, str] = {}
    for date, name in days:
        unique.setdefault(date, name)
    return sorted(unique.items())
