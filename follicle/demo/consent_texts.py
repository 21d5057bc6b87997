"""The demo clinics' consent texts: treatment and photo use, in Greek and English.

They are written to be usable as a starting point, but a clinic must have its own texts reviewed
before real use.
"""

from __future__ import annotations

# (kind, language) -> (title, body)
CONSENT_TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("treatment", "el"): (
        "Συναίνεση για μεσοθεραπεία τριχωτού της κεφαλής για την τριχόπτωση",
        """
Ενημερώθηκα για τη μεσοθεραπεία για την τριχόπτωση και είχα την ευκαιρία να κάνω ερωτήσεις πριν υπογράψω.

Τι περιλαμβάνει: μια σειρά συνεδριών, συνήθως με μεσοδιάστημα μερικών εβδομάδων, κατά τις οποίες εγχέονται \
μικρές ποσότητες διαλύματος ακριβώς κάτω από το δέρμα του τριχωτού της κεφαλής, με λεπτές βελόνες ή ειδική \
συσκευή. Ο θεράπων ιατρός μού εξηγεί ποια συστατικά χρησιμοποιούνται στην περίπτωσή μου και για ποιο λόγο.

Χρήση εκτός ένδειξης: τα περισσότερα σκευάσματα που εγχέονται στο τριχωτό για την τριχόπτωση δεν έχουν \
έγκριση για αυτή τη χρήση· χρησιμοποιούνται εκτός εγκεκριμένων ενδείξεων (off-label), με βάση την κρίση του \
ιατρού και περιορισμένες μελέτες. Τα αποτελέσματα διαφέρουν από άτομο σε άτομο: ορισμένοι δεν έχουν καμία ή \
έχουν ελάχιστη βελτίωση, και όποιο όφελος συνήθως χρειάζεται συνεδρίες συντήρησης.

Ανεπιθύμητες ενέργειες: συχνές και συνήθως παροδικές είναι ο πόνος κατά τις ενέσεις, το οίδημα, η \
ερυθρότητα, μικροί μώλωπες ή σημειακή αιμορραγία και πονοκέφαλος για μία έως δύο ημέρες. Λιγότερο συχνές \
είναι η λοίμωξη, η αλλεργική αντίδραση, η παροδική αύξηση της τριχόπτωσης και, σπάνια, αλλοιώσεις του \
δέρματος ή ουλές στα σημεία των ενέσεων. Θα ενημερώσω αμέσως το ιατρείο για πυρετό, ερυθρότητα που \
επεκτείνεται, πύον ή έντονο πόνο.

Απάντησα με ειλικρίνεια στις ερωτήσεις του ιατρικού ιστορικού και θα ενημερώνω το ιατρείο για κάθε αλλαγή: \
νέα φάρμακα, εγκυμοσύνη ή σχέδια εγκυμοσύνης, ασθένειες.

Η συμμετοχή μου είναι δική μου επιλογή. Μπορώ να διακόψω τη θεραπεία ή να ανακαλέσω αυτή τη συναίνεση \
οποιαδήποτε στιγμή, χωρίς να δώσω εξηγήσεις και χωρίς συνέπειες για την υπόλοιπη φροντίδα μου.
""",
    ),
    ("treatment", "en"): (
        "Consent to scalp mesotherapy for hair loss",
        """
I have been told about mesotherapy for hair loss and have had the chance to ask questions before signing.

What it involves: a course of sessions, usually a few weeks apart, in which small amounts of a solution are \
injected just under the skin of the scalp with fine needles or an injection device. The practitioner \
explains which ingredients are used in my case and why.

Off-label use: most of the products injected into the scalp for hair loss are not licensed for this use. \
They are used off-label, on the practitioner's judgement and on the basis of limited studies. Results vary \
from person to person: some people see little or no improvement, and any benefit usually needs maintenance \
sessions.

Side effects: common and usually short-lived are pain during the injections, swelling, redness, small \
bruises or pinpoint bleeding, and a headache for a day or two. Less common are infection, an allergic \
reaction, a temporary increase in shedding and, rarely, skin changes or scarring where the injections were \
given. I will tell the clinic at once about fever, spreading redness, pus or severe pain.

I have answered the medical-history questions truthfully and will tell the clinic about any change: new \
medicines, pregnancy or plans for pregnancy, illness.

Taking part is my choice. I may stop the treatment or withdraw this consent at any time, without giving a \
reason and without any effect on the rest of my care.
""",
    ),
    ("photo", "el"): (
        "Συναίνεση για κλινικές φωτογραφίες του τριχωτού της κεφαλής",
        """
Για να παρακολουθείται το αποτέλεσμα της θεραπείας, το ιατρείο λαμβάνει τυποποιημένες φωτογραφίες του \
τριχωτού της κεφαλής μου, από τις ίδιες γωνίες, με τον ίδιο φωτισμό και την ίδια απόσταση, καθώς και \
μεγεθυμένες εικόνες (τριχοσκόπηση), στην αρχή και κατά τη διάρκεια της θεραπείας.

Οι φωτογραφίες αποτελούν μέρος του ιατρικού μου φακέλου. Φυλάσσονται με ασφάλεια μαζί με τον υπόλοιπο \
φάκελο, τις βλέπει μόνο το προσωπικό που συμμετέχει στη φροντίδα μου και χρησιμοποιούνται μόνο για την \
εκτίμηση της τριχόπτωσης και της ανταπόκρισης στη θεραπεία. Δεν θα προβληθούν ποτέ δημόσια, δεν θα \
αναρτηθούν στο διαδίκτυο και δεν θα χρησιμοποιηθούν για διαφήμιση, εκπαίδευση ή δημοσίευση. Κάθε άλλη χρήση \
απαιτεί χωριστή, γραπτή συναίνεσή μου.

Όπου είναι δυνατόν, οι φωτογραφίες λαμβάνονται χωρίς να φαίνεται το πρόσωπό μου.

Μπορώ να ανακαλέσω αυτή τη συναίνεση οποιαδήποτε στιγμή, ενημερώνοντας το ιατρείο. Από τότε δεν θα \
λαμβάνονται νέες φωτογραφίες· όσες έχουν ήδη ληφθεί παραμένουν στον ιατρικό μου φάκελο για όσο χρόνο ορίζει \
ο νόμος για τα ιατρικά αρχεία, χωρίς να χρησιμοποιούνται για άλλο σκοπό. Η άρνηση ή η ανάκληση αυτής της \
συναίνεσης δεν επηρεάζει τη θεραπεία μου.
""",
    ),
    ("photo", "en"): (
        "Consent to clinical photographs of the scalp",
        """
To follow the effect of treatment, the clinic takes standardised photographs of my scalp, from the same \
angles, with the same lighting and at the same distance, and close-up (trichoscopy) images, at the start \
and during the course of treatment.

The photographs are part of my medical record. They are stored securely with the rest of my record, seen \
only by the staff involved in my care, and used only to assess my hair loss and how it responds to \
treatment. They will never be shown publicly, posted online, or used for advertising, teaching or \
publication. Any other use would need my separate, written consent.

Wherever possible, the photographs are taken without showing my face.

I may withdraw this consent at any time by telling the clinic. No new photographs will then be taken; those \
already taken stay in my medical record for as long as the law requires medical records to be kept, and are \
not used for anything else. Refusing or withdrawing this consent does not affect my treatment.
""",
    ),
}
