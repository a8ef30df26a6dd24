#!/usr/bin/env python3
"""Generates pii_fr.json, coffre's French labelled set for PII detection (see README.md).

Deterministic: one seeded random.Random, templates in a fixed order, so running it again gives
the same bytes (tests/e2e/test_pii_data.py checks that the committed file is what this script
writes). Standard library only.

    python3 tests/data/pii_fr/generate.py            writes pii_fr.json beside this script
    python3 tests/data/pii_fr/generate.py --stdout   prints it instead
    python3 tests/data/pii_fr/generate.py --stats    counts per entity type and negative kind

Template syntax, inside the French text of TEMPLATES:
    {TYPE:gen}        a labelled span of TYPE, its value drawn by generator `gen`
    {TYPE:gen@a}      the same, and remember it (and the person or date behind it) as `a`
    {TYPE:gen<a}      a value derived from what `a` holds (an e-mail from a person's name, a
                      NIR from a person's sex and birth date)
    {TYPE@a}          the text remembered as `a`, labelled again
    {TYPE=text}       a labelled span with fixed text
    {NEG:kind}        a hard negative: text that is NOT personal data of any labelled type
    {NEG:kind=text}   a hard negative with fixed text
Negatives are listed in metadata.negatives (kind, value, start, end), so that a scorer can say
which of them a detector took for personal data.
"""
import datetime
import json
import math
import os
import random
import re
import sys
import unicodedata

SEED = 20240312
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pii_fr.json")

TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "FR_NIR", "FR_SIREN",
         "FR_SIRET", "IP_ADDRESS", "URL", "DATE_TIME", "STREET_ADDRESS", "PERSON")

# ---------------------------------------------------------------- check digits

def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(partial):
    """partial + the digit that makes the whole Luhn-valid."""
    for c in "0123456789":
        if luhn_ok(partial + c):
            return partial + c
    raise AssertionError(partial)


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def iban_make(country, bban):
    s = bban + country + "00"
    check = 98 - int("".join(str(int(c, 36)) for c in s)) % 97
    return "%s%02d%s" % (country, check, bban)


def rib_key(bank, branch, account):
    # French RIB key; letters of the account map to digits as the banks' table does.
    table = {c: d for d, letters in enumerate(["", "AJ", "BKS", "CLT", "DMU", "ENV", "FOW",
                                               "GPX", "HQY", "IRZ"]) for c in letters}
    acc = "".join(str(table.get(c, c)) for c in account)
    return 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acc)) % 97


def nir_key(nir13):
    n = nir13.replace("2A", "19").replace("2B", "18")
    return 97 - int(n) % 97


def siret_ok(siret):
    # La Poste's establishments (SIREN 356000000) but its head office: the digits' sum is a
    # multiple of 5 instead of the Luhn check (as python-stdnum checks them).
    if siret.startswith("356000000") and siret != "35600000000048":
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def ean13_complete(partial12):
    s = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(partial12))
    return partial12 + str((10 - s % 10) % 10)

# ---------------------------------------------------------------- word lists

FIRST_M = ["Jean-Pierre", "Karim", "Mohamed", "Thomas", "Nicolas", "Julien", "Antoine",
           "Mamadou", "Lucas", "Hugo", "Laurent", "Sébastien", "François", "Yannick", "Rachid",
           "Kévin", "Stéphane", "Jérôme", "Mathieu", "Théo", "Gaël", "Loïc", "Youssef", "Bruno",
           "Alain", "Philippe", "Éric", "Cédric", "Samuel", "Vincent", "Guillaume", "Jean-Marc",
           "Marc-Antoine", "Ibrahim", "Minh", "Yann", "Tristan", "Baptiste", "Florian", "Didier"]
FIRST_F = ["Marie", "Sophie", "Nathalie", "Isabelle", "Fatoumata", "Aïcha", "Camille", "Léa",
           "Chloé", "Émilie", "Sandrine", "Valérie", "Hélène", "Céline", "Amélie", "Marie-Claire",
           "Anne-Sophie", "Nadia", "Samira", "Inès", "Manon", "Laëtitia", "Christine",
           "Françoise", "Brigitte", "Agnès", "Océane", "Zoé", "Linh", "Sarah", "Margaux",
           "Justine", "Élodie", "Yasmine", "Julie", "Mélanie", "Martine", "Sylvie", "Noémie",
           "Maëlle"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont",
        "Lambert", "Bonnet", "François", "Martinez", "Benali", "Nguyen", "Diallo", "Traoré",
        "Haddad", "Le Gall", "Le Goff", "Da Silva", "Dos Santos", "N'Diaye", "Chevalier",
        "Rousseau", "Guérin", "Muller", "Faure", "Giraud", "Perrin", "Gauthier", "Brunet",
        "Meunier", "Rolland", "Kowalski", "Ferreira", "Pereira", "Cohen", "Lévy", "Bouvier",
        "Sanchez", "Lemaire", "Renaud", "Picard", "Hoarau", "Payet", "Grondin", "Jean-Baptiste",
        "Saint-Aimé", "Ozier-Lafontaine", "Mansouri", "Belkacem", "Tran", "Ba"]

# (postcode, city); Corsica and overseas departments included.
CITIES = [("75002", "Paris"), ("75011", "Paris"), ("75015", "Paris"), ("69003", "Lyon"),
          ("13008", "Marseille"), ("31000", "Toulouse"), ("33000", "Bordeaux"),
          ("59000", "Lille"), ("44000", "Nantes"), ("67000", "Strasbourg"),
          ("34000", "Montpellier"), ("35000", "Rennes"), ("06000", "Nice"), ("76000", "Rouen"),
          ("38000", "Grenoble"), ("21000", "Dijon"), ("49100", "Angers"), ("37000", "Tours"),
          ("63000", "Clermont-Ferrand"), ("29200", "Brest"), ("64200", "Biarritz"),
          ("20000", "Ajaccio"), ("20200", "Bastia"), ("97110", "Pointe-à-Pitre"),
          ("97200", "Fort-de-France"), ("97400", "Saint-Denis"), ("97300", "Cayenne"),
          ("92100", "Boulogne-Billancourt"), ("93200", "Saint-Denis"), ("94300", "Vincennes"),
          ("78000", "Versailles"), ("57000", "Metz"), ("51100", "Reims"), ("80000", "Amiens"),
          ("87000", "Limoges"), ("17000", "La Rochelle"), ("74000", "Annecy"),
          ("84000", "Avignon"), ("30000", "Nîmes"), ("45000", "Orléans"), ("14000", "Caen"),
          ("56100", "Lorient"), ("01000", "Bourg-en-Bresse"), ("97600", "Mamoudzou")]
CEDEX = ["33041 Bordeaux Cedex", "75901 Paris Cedex 15", "69421 Lyon Cedex 03",
         "92099 La Défense Cedex", "59045 Lille Cedex", "31036 Toulouse Cedex 1",
         "44036 Nantes Cedex 1", "13281 Marseille Cedex 06"]
VOIES = ["rue", "rue", "rue", "avenue", "boulevard", "allée", "impasse", "chemin", "place",
         "route", "quai", "cours", "square", "passage"]
STREETS = ["de la Paix", "Victor Hugo", "Jean Jaurès", "de la République", "des Tilleuls",
           "du Général de Gaulle", "Pasteur", "des Lilas", "de la Gare", "du Moulin",
           "des Écoles", "Gambetta", "Émile Zola", "de Verdun", "Saint-Michel", "du Port",
           "Foch", "Carnot", "des Acacias", "du Château", "Jules Ferry", "de Strasbourg",
           "Voltaire", "des Peupliers", "Lamartine", "du Stade", "de l'Église", "des Vignes",
           "Aristide Briand", "des Glycines", "Schœlcher", "de la Liberté"]
COMPLEMENTS = ["appartement 12", "bâtiment B", "escalier C", "appt 4", "résidence Les Glycines",
               "3e étage", "bât. A, porte 21"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "yahoo.fr",
           "sfr.fr", "wanadoo.fr", "outlook.fr", "icloud.com", "proton.me", "bbox.fr"]
PRO_DOMAINS = ["assurances-durand.fr", "cabinet-medical-gambetta.fr", "mutuelle-ouest.fr",
               "transports-rapides.fr", "garage-du-port.com", "ecole-jules-ferry.fr"]
PRO_LOCAL = ["sinistres", "contact", "service.client", "rh", "secretariat", "compta",
             "reclamations", "support"]
COMPANIES = ["Orange", "SFR", "Bouygues Telecom", "Free", "EDF", "Engie", "la Banque Postale",
             "la MAIF", "Crédit Agricole", "la CAF", "Darty", "la SNCF", "Boulanger",
             "Transports Rapides du Sud", "SARL Les Jardins de l'Ouest", "Veolia"]
BIRTH_CITIES = ["Lyon", "Marseille", "Lille", "Brest", "Nantes", "Toulouse", "Dakar", "Alger",
                "Hanoï", "Porto", "Pointe-à-Pitre", "Bastia"]
URLS = ["https://www.ameli.fr/assure/remboursements", "https://www.impots.gouv.fr/accueil",
        "https://espace-client.orange.fr/factures", "https://www.sfr.fr/mon-espace-client/",
        "https://www.labanquepostale.fr/particulier.html", "https://www.caf.fr/allocataires",
        "http://www.mairie-vincennes.fr/etat-civil", "https://suivi.laposte.fr/colis",
        "https://bit.ly/3xYz9Ab", "https://drive.google.com/file/d/1AbCdEfGhIjK/view",
        "https://www.leboncoin.fr/ad/ventes_immobilieres/2456789012",
        "https://monsite-perso.fr/blog?id=12&lang=fr", "www.service-public.fr",
        "https://rdv.doctolib.fr/cabinet-gambetta/teleconsultation/5521",
        "https://particulier.edf.fr/fr/accueil/espace-client.html",
        "https://www.mutuelle-ouest.fr/adherents/remboursements#releves",
        "https://meet.jit.si/cabinet-dupont-8841", "https://www.credit-agricole.fr/ca-paris",
        "https://client.free.fr/assistance/"]

# ---------------------------------------------------------------- generators

def dig(rng, n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


class Ctx:
    def __init__(self):
        self.people = {}   # tag -> (first, last, sex 1|2)
        self.dates = {}    # tag -> datetime.date
        self.text = {}     # (type, tag) -> text


def person(rng, ctx, tag, kind):
    sex = rng.choice((1, 2)) if kind in ("full", "first", "last", "upper") else (1 if kind.endswith("_m") else 2)
    first = rng.choice(FIRST_M if sex == 1 else FIRST_F)
    last = rng.choice(LAST)
    if tag:
        ctx.people[tag] = (first, last, sex)
    if kind.startswith("first"):
        return first
    if kind == "last":
        return last
    if kind.startswith("upper"):
        return "%s %s" % (last.upper(), first)
    return "%s %s" % (first, last)


def group(s, sizes, sep=" "):
    out, i = [], 0
    for n in sizes:
        if s[i:i + n]:
            out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


def phone_fr(rng, prefix):
    """A French number from its first two or four digits, in one of the usual spellings."""
    n = prefix + dig(rng, 10 - len(prefix))
    style = rng.choice(("space", "space", "space", "dot", "none", "dash", "intl", "intl0",
                        "intl_compact"))
    if style == "space":
        return group(n, (2, 2, 2, 2, 2))
    if style == "dot":
        return group(n, (2, 2, 2, 2, 2), ".")
    if style == "dash":
        return group(n, (2, 2, 2, 2, 2), "-")
    if style == "none":
        return n
    if style == "intl":
        return "+33 " + n[1] + " " + group(n[2:], (2, 2, 2, 2))
    if style == "intl0":
        return "+33 (0)" + n[1] + " " + group(n[2:], (2, 2, 2, 2))
    return "+33" + n[1:]


DOM_PREFIXES = {  # department: (landline, mobiles, country code)
    "gp": ("0590", ("0690", "0691"), "590"), "mq": ("0596", ("0696", "0697"), "596"),
    "gf": ("0594", ("0694",), "594"), "re": ("0262", ("0692", "0693"), "262"),
    "yt": ("0269", ("0639",), "262")}


def phone_dom(rng, dept, intl):
    land, mobiles, cc = DOM_PREFIXES[dept]
    prefix = rng.choice((land,) + mobiles)
    n = prefix + dig(rng, 6)
    if intl:
        return "+%s %s %s" % (cc, n[1:4], group(n[4:], (2, 2, 2)))
    return rng.choice((n[:4] + " " + group(n[4:], (2, 2, 2)), group(n, (2, 2, 2, 2, 2)), n))


def phone_foreign(rng, which=None):
    which = which or rng.choice(("be", "be_m", "ch", "uk", "ca", "ma", "de"))
    return {
        "be": lambda: "+32 2 %s %s %s" % (dig(rng, 3), dig(rng, 2), dig(rng, 2)),
        "be_m": lambda: "+32 47%s %s %s %s" % (dig(rng, 1), dig(rng, 2), dig(rng, 2), dig(rng, 2)),
        "ch": lambda: "+41 22 %s %s %s" % (dig(rng, 3), dig(rng, 2), dig(rng, 2)),
        "uk": lambda: "+44 20 7946 0%s" % dig(rng, 3),
        "ca": lambda: "+1 514 555 0%s" % dig(rng, 3),
        "ma": lambda: "+212 6 %s %s %s %s" % (dig(rng, 2), dig(rng, 2), dig(rng, 2), dig(rng, 2)),
        "de": lambda: "+49 30 %s" % dig(rng, 7)}[which]()


def gen_phone(rng, ctx, src, tag, kind):
    if kind == "mobile":
        return phone_fr(rng, rng.choice(("06", "07")))
    if kind == "fixe":
        return phone_fr(rng, rng.choice(("01", "02", "03", "04", "05", "09")))
    if kind == "dom":
        return phone_dom(rng, rng.choice(tuple(DOM_PREFIXES)), rng.random() < 0.4)
    if kind.startswith("dom_"):
        dept, _, intl = kind[4:].partition("_")
        return phone_dom(rng, dept, intl == "intl")
    if kind == "intl":
        return phone_foreign(rng)
    if kind.startswith("intl_"):
        return phone_foreign(rng, kind[5:])
    return gen_phone(rng, ctx, src, tag, rng.choice(("mobile", "mobile", "fixe", "dom", "intl")))


BANKS = ["30004", "30003", "30002", "10278", "20041", "17515", "18206", "11315", "16958",
         "30066", "10107", "12506"]


def iban_fr(rng, valid=True):
    bank, branch = rng.choice(BANKS), dig(rng, 5)
    account = dig(rng, 10) + rng.choice("0123456789" * 3 + "ABCDEFGHJK")
    bban = "%s%s%s%02d" % (bank, branch, account, rib_key(bank, branch, account))
    iban = iban_make("FR", bban)
    if not valid:
        iban = corrupt(rng, iban, iban_ok)
    return iban


def iban_foreign(rng):
    country, n = rng.choice((("DE", 18), ("BE", 12), ("ES", 20), ("IT", 0), ("LU", 16),
                             ("CH", 17)))
    if country == "IT":
        bban = rng.choice("ABCDEFGHKLMNPRSTUVWXYZ") + dig(rng, 10) + dig(rng, 12)
    else:
        bban = dig(rng, n)
    return iban_make(country, bban)


def iban_format(rng, iban):
    return group(iban, [4] * 8) if rng.random() < 0.7 else iban


def corrupt(rng, value, still_ok):
    """value with one digit changed so that its check fails (the check is still_ok)."""
    positions = [i for i, c in enumerate(value) if c.isdigit() and i >= 2]
    while True:
        i = rng.choice(positions[-6:])
        v = value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1:]
        if not still_ok(v):
            return v


def card_number(rng, valid=True):
    brand = rng.choice(("visa", "visa", "visa", "mc", "mc2", "amex"))
    if brand == "visa":
        partial = "4" + dig(rng, 14)
    elif brand == "mc":
        partial = "5" + rng.choice("12345") + dig(rng, 13)
    elif brand == "mc2":
        partial = "2" + rng.choice(("221", "300", "450", "720")) + dig(rng, 11)
    else:
        partial = rng.choice(("34", "37")) + dig(rng, 12)
    num = luhn_complete(partial)
    if not valid:
        num = corrupt(rng, num, luhn_ok)
    return num


def card_format(rng, num):
    if len(num) == 15:
        return group(num, (4, 6, 5)) if rng.random() < 0.8 else num
    style = rng.choice(("space", "space", "space", "dash", "none"))
    if style == "none":
        return num
    return group(num, (4, 4, 4, 4), " " if style == "space" else "-")


DEPTS = ["75", "69", "13", "33", "59", "44", "67", "35", "06", "29", "92", "93", "94", "01",
         "38", "63"]


def nir_value(rng, sex=None, born=None, dept=None, valid=True):
    sex = sex or rng.choice((1, 2))
    if dept is None:
        dept = rng.choice(DEPTS + ["2A", "2B", "971", "974", "99"])
    corsica = dept in ("2A", "2B")
    born = born or datetime.date(rng.randint(1976 if corsica else 1945, 2004), rng.randint(1, 12), 1)
    if corsica and born.year < 1976:          # 2A and 2B exist since 1976; Corsica was 20
        dept = "20"
    if len(dept) == 3:
        place = dept + dig(rng, 2)
    elif dept == "99":                        # born abroad: 99 + a country code
        place = "99" + rng.choice(("350", "352", "139", "243"))
    else:
        place = dept + "%03d" % rng.randint(1, 350)
    body = "%d%02d%02d%s%03d" % (sex, born.year % 100, born.month, place, rng.randint(1, 999))
    key = nir_key(body)
    if not valid:
        key = (key + rng.randint(1, 96)) % 97 or 97
        if key == nir_key(body):
            key = key % 97 + 1
    return body, "%02d" % key


def nir_format(rng, body, key):
    style = rng.choice(("space", "space", "none", "keysep"))
    if style == "space":
        return "%s %s %s %s %s %s %s" % (body[0], body[1:3], body[3:5], body[5:7], body[7:10],
                                         body[10:13], key)
    if style == "keysep":
        return "%s %s" % (body, key)
    return body + key


def gen_nir(rng, ctx, src, tag, kind):
    sex, born = None, None
    if src:
        if src in ctx.people:
            sex = ctx.people[src][2]
        born = ctx.dates.get(src)
    if kind == "nir_f":
        sex = 2
    dept = {"nir_2a": "2A", "nir_2b": "2B", "nir_dom": "971"}.get(kind)
    body, key = nir_value(rng, sex, born, dept)
    return nir_format(rng, body, key)


def siren_value(rng, valid=True):
    s = luhn_complete(str(rng.randint(1, 9)) + dig(rng, 7))
    if not valid:
        s = corrupt(rng, s, luhn_ok)
    return s


def siret_value(rng, poste=False, valid=True):
    if poste:
        while True:
            s = "356000000" + dig(rng, 5)
            if siret_ok(s) == valid:
                return s
    s = luhn_complete(siren_value(rng) + dig(rng, 4))
    if not valid:
        s = corrupt(rng, s, siret_ok)
    return s


def siren_format(rng, s):
    return group(s, (3, 3, 3)) if rng.random() < 0.6 else s


def siret_format(rng, s):
    return group(s, (3, 3, 3, 5)) if rng.random() < 0.6 else s


def gen_ip(rng, ctx, src, tag, kind):
    if kind == "ipv4_private":
        return rng.choice(("192.168.%d.%d" % (rng.randint(0, 10), rng.randint(2, 254)),
                           "10.%d.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255),
                                            rng.randint(2, 254))))
    if kind == "ipv6":
        style = rng.choice(("free", "orange", "full", "link"))
        h = lambda: "%x" % rng.randint(1, 0xffff)
        if style == "free":
            return "2a01:e0a:%s:%s::1" % (h(), h())
        if style == "orange":
            return "2a01:cb00:%s:%s:%s:%s:%s:%s" % (h(), h(), h(), h(), h(), h())
        if style == "full":
            return "2001:0db8:%04x:%04x:0000:0000:%04x:%04x" % tuple(rng.randint(0, 0xffff)
                                                                      for _ in range(4))
        return "fe80::%s:%s:%s:%s" % (h(), h(), h(), h())
    if kind == "any":
        return gen_ip(rng, ctx, src, tag, rng.choice(("ipv4", "ipv4", "ipv4_private", "ipv6")))
    first = rng.choice((2, 5, 31, 37, 46, 62, 77, 78, 80, 81, 82, 86, 88, 90, 91, 109, 176,
                        185, 193, 212))
    return "%d.%d.%d.%d" % (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))


def date_in(rng, y0, y1):
    start = datetime.date(y0, 1, 1).toordinal()
    return datetime.date.fromordinal(rng.randint(start, datetime.date(y1, 12, 31).toordinal()))


def date_long(d, year=True):
    day = "1er" if d.day == 1 else str(d.day)
    return "%s %s %d" % (day, MONTHS[d.month - 1], d.year) if year else \
        "%s %s" % (day, MONTHS[d.month - 1])


def date_text(rng, d, kind):
    style = rng.choice(("long", "long", "num", "num", "dash", "dot", "iso")) \
        if kind != "long" else "long"
    if style == "long":
        return date_long(d)
    if style == "num":
        return d.strftime("%d/%m/%Y")
    if style == "dash":
        return d.strftime("%d-%m-%Y")
    if style == "dot":
        return d.strftime("%d.%m.%Y")
    return d.isoformat()


def gen_date(rng, ctx, src, tag, kind):
    if kind == "dob":
        d = date_in(rng, 1940, 2005)
    elif kind == "dob_post76":
        d = date_in(rng, 1976, 2004)
    elif kind == "dob_young":
        d = date_in(rng, 1998, 2006)
    elif kind == "dob_child":
        d = date_in(rng, 2010, 2019)
    elif kind == "past":
        d = date_in(rng, 1995, 2022)
    else:                                   # recent, recent_long, noyear
        d = date_in(rng, 2023, 2025)
    if tag:
        ctx.dates[tag] = d
    if kind == "noyear":
        return date_long(d, year=False)
    return date_text(rng, d, "long" if kind == "recent_long" else "any")


def address(rng, kind):
    cp, city = rng.choice(CITIES)
    num = str(rng.randint(1, 180)) + (rng.choice((" bis", " ter", "bis", "B")) if rng.random() < 0.15 else "")
    street = "%s %s %s" % (num, rng.choice(VOIES), rng.choice(STREETS))
    if kind == "bp":
        return rng.choice((
            "%s, BP %d, %s" % (street, rng.randint(10, 999), rng.choice(CEDEX)),
            "BP %d, %s" % (rng.randint(10, 99999), rng.choice(CEDEX)),
            "CS %d, %s" % (rng.randint(70000, 79999), rng.choice(CEDEX)),
            "TSA %d, %s" % (rng.randint(10000, 99999), rng.choice(CEDEX))))
    if kind == "dom":
        cp, city = rng.choice([c for c in CITIES if c[0].startswith("97")])
        return rng.choice((
            "%s, %s %s" % (street, cp, city),
            "résidence Les Flamboyants, %s, %s %s" % (street, cp, city),
            "lotissement Les Hibiscus, %s %s" % (cp, city)))
    if kind == "lieudit":
        return "lieu-dit %s, %s %s" % (rng.choice(("Le Moulin", "La Croix Blanche", "Kerbiquet",
                                                   "Les Granges")), cp, city)
    style = rng.choice(("comma", "comma", "nocomma", "complement", "newline"))
    if style == "comma":
        return "%s, %s %s" % (street, cp, city)
    if style == "nocomma":
        return "%s %s %s" % (street, cp, city)
    if style == "complement":
        return "%s, %s, %s %s" % (street, rng.choice(COMPLEMENTS), cp, city)
    return "%s\n%s %s" % (street, cp, city)


def gen_email(rng, ctx, src, tag, kind):
    if kind == "pro":
        return "%s@%s" % (rng.choice(PRO_LOCAL), rng.choice(PRO_DOMAINS))
    if src and src in ctx.people:
        first, last, _ = ctx.people[src]
    else:
        first, last = rng.choice(FIRST_M + FIRST_F), rng.choice(LAST)
    f = strip_accents(first).lower().replace(" ", "").replace("'", "")
    l = strip_accents(last).lower().replace(" ", "").replace("'", "")
    local = rng.choice(("%s.%s" % (f, l), "%s%s" % (f[0], l), "%s.%s%d" % (f, l, rng.randint(1, 99)),
                        "%s_%s" % (f, l), "%s-%s" % (l, f), "%s.%s+banque" % (f[0], l)))
    return "%s@%s" % (local, rng.choice(DOMAINS))


GENS = {
    "PERSON": lambda rng, ctx, src, tag, kind: person(rng, ctx, tag, kind),
    "EMAIL_ADDRESS": gen_email,
    "PHONE_NUMBER": gen_phone,
    "IBAN_CODE": lambda rng, ctx, src, tag, kind: iban_format(
        rng, iban_fr(rng) if kind == "fr" else iban_foreign(rng)),
    "CREDIT_CARD": lambda rng, ctx, src, tag, kind: card_format(rng, card_number(rng)),
    "FR_NIR": gen_nir,
    "FR_SIREN": lambda rng, ctx, src, tag, kind: siren_format(rng, siren_value(rng)),
    "FR_SIRET": lambda rng, ctx, src, tag, kind: siret_format(
        rng, siret_value(rng, poste=kind == "poste")),
    "IP_ADDRESS": gen_ip,
    "URL": lambda rng, ctx, src, tag, kind: rng.choice(URLS),
    "DATE_TIME": gen_date,
    "STREET_ADDRESS": lambda rng, ctx, src, tag, kind: address(rng, kind),
}


def price(rng):
    e, c = int(math.exp(rng.uniform(0, math.log(2500)))), rng.randint(0, 99)
    sp = rng.choice((" ", " ", "\u00a0", "\u202f"))
    euros = "%d %03d" % divmod(e, 1000) if e >= 1000 and rng.random() < 0.7 else str(e)
    return rng.choice(("%s,%02d%s€" % (euros, c, sp), "%s%s€" % (euros, sp),
                       "%s,%02d euros" % (euros, c), "%s,%02d € TTC" % (euros, c)))


def version(rng):
    return rng.choice(("%d.%d.%d" % (rng.randint(1, 17), rng.randint(0, 12), rng.randint(0, 30)),
                       "10.0.%d.%d" % (rng.randint(19041, 22631), rng.randint(1000, 4000)),
                       "v%d.%d" % (rng.randint(1, 9), rng.randint(0, 20)),
                       "%d.%d.%d.%d" % (rng.randint(1, 9), rng.randint(256, 999),
                                        rng.randint(0, 99), rng.randint(1000, 9999))))


def time_of_day(rng, h0, h1):
    h = rng.randint(h0, h1)
    return rng.choice(("%dh%02d" % (h, rng.choice((0, 15, 30, 45))), "%dh" % h,
                       "%02d:%02d" % (h, rng.randint(0, 59)), "%d h %02d" % (h, rng.choice((0, 15, 30)))))


def not_luhn_digits(rng, n, first="0123456789"):
    while True:
        s = rng.choice(first) + dig(rng, n - 1)
        if not luhn_ok(s):
            return s


NEGS = {
    "price": price,
    "time": lambda rng: time_of_day(rng, 8, 19),
    "time_am": lambda rng: time_of_day(rng, 8, 11),
    "time_pm": lambda rng: time_of_day(rng, 13, 19),
    "order": lambda rng: rng.choice(("CMD-%d-%s" % (rng.randint(2022, 2025), dig(rng, 6)),
                                     not_luhn_digits(rng, 10, "123456789"),
                                     "FR%s" % dig(rng, 8), "#%s" % dig(rng, 6))),
    "order_amazon": lambda rng: "%s-%s-%s" % (rng.choice(("402", "403", "171")), dig(rng, 7),
                                              dig(rng, 7)),
    "tracking": lambda rng: rng.choice(("6A", "8R", "6C")) + dig(rng, 11),
    "guid": lambda rng: "%08x-%04x-4%03x-%04x-%012x" % (
        rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
        0x8000 | rng.getrandbits(14), rng.getrandbits(48)),
    "version": version,
    "product_ref": lambda rng: rng.choice(("SM-A536B", "XPS-9310", "MWP22ZM/A", "WH-1000XM4",
                                           "KD-55X85J", "HM-2400-FR", "LV-7719", "RX-580-8G",
                                           "TH-55LX800")),
    "ean": lambda rng: ean13_complete("3" + rng.choice("0123456") + dig(rng, 10)),
    "client_id": lambda rng: rng.choice(("C%s" % dig(rng, 7), not_luhn_digits(rng, 8, "123456789"))),
    "contract": lambda rng: rng.choice(("HAB-%d-%s" % (rng.randint(2015, 2024), dig(rng, 6)),
                                        "CT%s" % dig(rng, 8), "AUTO-%s-B" % dig(rng, 5))),
    "claim_ref": lambda rng: "SIN-%d-%s" % (rng.randint(2023, 2025), dig(rng, 5)),
    "loan_ref": lambda rng: "PR-%s" % dig(rng, 8),
    "employee_id": lambda rng: "M%s" % dig(rng, 5),
    "invoice": lambda rng: "FAC-%d-%02d-%s" % (rng.randint(2023, 2025), rng.randint(1, 12),
                                                dig(rng, 4)),
    "ticket": lambda rng: rng.choice(("#%s" % dig(rng, 5), "INC%s" % dig(rng, 7))),
    "lot": lambda rng: "L%s%s" % (dig(rng, 4), rng.choice("ABCDEF")),
    "promo": lambda rng: rng.choice(("BIENVENUE10", "ETE2024", "NOEL25", "RENTREE15")),
    "reference": lambda rng: rng.choice(("DOS-%s" % dig(rng, 6), "%d-%s" % (rng.randint(2022, 2025),
                                                                            dig(rng, 5)),
                                         "R%sX" % dig(rng, 6))),
    "meter": lambda rng: "%d %03d" % (rng.randint(1, 89), rng.randint(0, 999)),
    "pdl": lambda rng: not_luhn_digits(rng, 14, "01"),
    "year": lambda rng: str(rng.randint(2005, 2022)),
    "company": lambda rng: rng.choice(COMPANIES),
    "operator": lambda rng: rng.choice(("Orange", "SFR", "Free", "Bouygues Telecom")),
    "shop": lambda rng: rng.choice(("Darty", "Fnac", "Cdiscount", "ManoMano", "Rue du Commerce")),
    "city_fr": lambda rng: rng.choice([c for _, c in CITIES if c != "Saint-Denis"]),
    "city": lambda rng: rng.choice(BIRTH_CITIES),
    "card_last4": lambda rng: dig(rng, 4),
    "invalid_iban": lambda rng: iban_format(rng, iban_fr(rng, valid=False)),
    "invalid_card": lambda rng: card_format(rng, card_number(rng, valid=False)),
    "invalid_nir": lambda rng: nir_format(rng, *nir_value(rng, valid=False)),
    "invalid_siren": lambda rng: siren_format(rng, siren_value(rng, valid=False)),
    "invalid_siret": lambda rng: siret_format(rng, siret_value(rng, valid=False)),
    "rio": lambda rng: "%02dP%s" % (rng.randint(1, 9), "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9))),
    "code": lambda rng: dig(rng, 8),
}

# ---------------------------------------------------------------- templates
# (situation, instances, text). Situations: banque, assurance, telecom, energie, ecommerce, rh,
# sante, administration, entreprise, support (negatives only or mostly).

TEMPLATES = [
    # ---- banque
    ("banque", 3, "Bonjour, je m'appelle {PERSON:full_m@a} et je souhaite faire opposition sur ma carte {CREDIT_CARD:card}, perdue hier soir dans le métro."),
    ("banque", 2, "Merci de virer la somme de {NEG:price} sur le compte {IBAN_CODE:fr} au nom de {PERSON:full}."),
    ("banque", 2, "Mon nouvel IBAN est {IBAN_CODE:fr}, pouvez-vous mettre à jour le prélèvement mensuel de {NEG:price} ?"),
    ("banque", 2, "Cliente : {PERSON:full_f@a}, née le {DATE_TIME:dob}, demande un relevé de compte pour le mois de mars."),
    ("banque", 3, "Mme {PERSON:last} conteste un paiement de {NEG:price} effectué le {DATE_TIME:recent} avec la carte {CREDIT_CARD:card}."),
    ("banque", 2, "Pour joindre votre conseiller, M. {PERSON:full_m}, composez le {PHONE_NUMBER:fixe} du lundi au vendredi de {NEG:time_am} à {NEG:time_pm}."),
    ("banque", 1, "Je n'arrive plus à me connecter à mon espace sur {URL=https://www.labanquepostale.fr/particulier.html}, mon identifiant client est {NEG:client_id}."),
    ("banque", 2, "Virement international vers {IBAN_CODE:foreign} (bénéficiaire : {PERSON:full}) refusé, motif : coordonnées incomplètes."),
    ("banque", 2, "Bonjour, suite à notre échange téléphonique, voici mon adresse pour l'envoi du chéquier : {STREET_ADDRESS:addr}."),
    ("banque", 2, "Note d'appel : M. {PERSON:last} rappellera au {PHONE_NUMBER:mobile} pour confirmer le virement de {NEG:price}."),
    ("banque", 2, "Pouvez-vous m'envoyer le RIB de mon compte joint avec {PERSON:full_f} à l'adresse {EMAIL_ADDRESS:email} ?"),
    ("banque", 3, "Connexion suspecte depuis l'adresse IP {IP_ADDRESS:ipv4} le {DATE_TIME:recent} à {NEG:time} : l'accès de {PERSON:full} a été bloqué par précaution."),
    ("banque", 1, "Le crédit immobilier {NEG:loan_ref} de M. et Mme {PERSON:last} sera débloqué après la signature chez le notaire."),
    ("banque", 1, "Ma carte se termine par {NEG:card_last4}, elle a été avalée par le distributeur de l'agence ce matin."),
    ("banque", 2, "Bonjour, je suis {PERSON:full_f@a} ({EMAIL_ADDRESS:email<a}) et je voudrais augmenter le plafond de ma carte à {NEG:price} par semaine."),
    ("banque", 1, "Le chèque de {NEG:price} déposé le {DATE_TIME:recent} n'apparaît toujours pas sur mon compte {IBAN_CODE:fr}."),
    ("banque", 2, "Procuration sur le compte de {PERSON:full_m@a} au profit de sa fille {PERSON:first_f}, domiciliée {STREET_ADDRESS:addr}."),
    ("banque", 1, "Succession de M. {PERSON:full_m}, décédé le {DATE_TIME:past} : les héritiers demandent la clôture du compte."),
    ("banque", 1, "Je vous confirme mon numéro de portable, le {PHONE_NUMBER:mobile}, pour recevoir les codes de validation."),
    ("banque", 2, "Le prélèvement rejeté portait sur l'IBAN {NEG:invalid_iban} : le numéro est erroné, la cliente doit nous renvoyer un RIB."),
    ("banque", 1, "Le numéro de carte {NEG:invalid_card} saisi sur le site ne passe pas le contrôle : le client va vérifier sa carte."),
    ("banque", 2, "Carte bancaire {CREDIT_CARD:card} au nom de {PERSON:upper} : opposition enregistrée, nouvelle carte sous 5 jours ouvrés."),

    # ---- assurance
    ("assurance", 2, "Déclaration de sinistre : dégât des eaux le {DATE_TIME:recent} au {STREET_ADDRESS:addr}, assuré {PERSON:full_m}, contrat {NEG:contract}."),
    ("assurance", 3, "Je soussignée {PERSON:full_f@a}, née le {DATE_TIME:dob@a}, numéro de sécurité sociale {FR_NIR:nir<a}, demande la résiliation de mon contrat habitation."),
    ("assurance", 2, "L'expert, M. {PERSON:last}, passera le {DATE_TIME:recent_long} entre {NEG:time_am} et {NEG:time_pm} ; merci de prévenir le locataire."),
    ("assurance", 2, "Le montant de la franchise est de {NEG:price} ; le remboursement sera versé sur l'IBAN {IBAN_CODE:fr}."),
    ("assurance", 2, "Veuillez transmettre les photos du véhicule à {EMAIL_ADDRESS:pro} en rappelant la référence {NEG:claim_ref}."),
    ("assurance", 1, "Le numéro {NEG:invalid_nir} indiqué sur le formulaire est invalide (clé incorrecte), merci de le corriger."),
    ("assurance", 2, "Accident survenu le {DATE_TIME:recent} : le conducteur adverse, {PERSON:full_m}, est joignable au {PHONE_NUMBER:mobile}."),
    ("assurance", 2, "Mon fils {PERSON:full_m@a}, né le {DATE_TIME:dob_young@a}, doit être ajouté comme conducteur secondaire ; son numéro de sécurité sociale est le {FR_NIR:nir<a}."),
    ("assurance", 2, "Attestation d'assurance pour {NEG:company=Transports Rapides du Sud}, SIRET {FR_SIRET:siret}, responsabilité civile professionnelle."),
    ("assurance", 2, "Changement d'adresse de l'assuré {PERSON:upper_m} à compter du {DATE_TIME:recent} : {STREET_ADDRESS:addr}."),
    ("assurance", 2, "Vous pouvez suivre votre dossier sur {URL:url}, rubrique « Mes sinistres »."),
    ("assurance", 1, "La cotisation annuelle passe de {NEG:price} à {NEG:price} ; l'échéance reste fixée au 1er du mois."),
    ("assurance", 1, "Bonjour, c'est {PERSON:first_f} {PERSON:last}, j'ai eu un bris de glace ; rappelez-moi au {PHONE_NUMBER:any} s'il vous plaît."),

    # ---- telecom
    ("telecom", 2, "Bonjour, ma box ne synchronise plus depuis le {DATE_TIME:recent}, ma ligne fixe est le {PHONE_NUMBER:fixe}."),
    ("telecom", 2, "Portabilité du numéro {PHONE_NUMBER:mobile} demandée par {PERSON:full}, code RIO {NEG:rio}."),
    ("telecom", 3, "Adresse IPv6 attribuée à la box : {IP_ADDRESS:ipv6}, firmware {NEG:version}."),
    ("telecom", 3, "Le client {PERSON:full_m} signale des coupures ; test de ligne OK, IP publique {IP_ADDRESS:ipv4}, débit de 12 Mb/s."),
    ("telecom", 1, "La facture de {NEG:price} du mois de février est disponible sur {URL=https://espace-client.orange.fr/factures}."),
    ("telecom", 2, "Mme {PERSON:last} souhaite recevoir ses factures à {EMAIL_ADDRESS:email} et non plus par courrier au {STREET_ADDRESS:addr}."),
    ("telecom", 2, "Nouveau numéro en Guadeloupe : {PHONE_NUMBER:dom_gp}, à rattacher au contrat {NEG:contract}."),
    ("telecom", 2, "Appel de {PERSON:full_f} depuis La Réunion, au {PHONE_NUMBER:dom_re_intl} : elle ne reçoit plus les SMS depuis la mise à jour {NEG:version}."),
    ("telecom", 1, "Mon téléphone {NEG:product_ref} a été volé ; merci de bloquer la SIM de la ligne {PHONE_NUMBER:mobile}."),
    ("telecom", 1, "Le code PUK de votre carte SIM est {NEG:code} ; ne le communiquez à personne."),
    ("telecom", 2, "Technicien {NEG:operator} attendu le {DATE_TIME:noyear} à {NEG:time} chez {PERSON:full_m}, {STREET_ADDRESS:addr}."),
    ("telecom", 1, "Depuis la Martinique, vous pouvez appeler le {PHONE_NUMBER:dom_mq_intl} ou écrire à {EMAIL_ADDRESS:email}."),
    ("telecom", 2, "La box répond en {IP_ADDRESS=192.168.1.254} sur le réseau local, mais l'adresse IPv6 {IP_ADDRESS:ipv6} ne répond pas au ping."),
    ("telecom", 1, "Résiliation à la demande de {PERSON:full_f}, ligne {PHONE_NUMBER:fixe}, avec effet au {DATE_TIME:recent}."),
    ("telecom", 1, "Ticket {NEG:ticket} : le client de Mayotte, {PERSON:full_m}, joignable au {PHONE_NUMBER:dom_yt}, n'a plus de 4G."),
    ("telecom", 1, "En Guyane, la ligne {PHONE_NUMBER:dom_gf} de {PERSON:full_f} est en dérangement depuis le {DATE_TIME:recent_long}."),

    # ---- energie, eau
    ("energie", 2, "Relevé de compteur : index {NEG:meter} kWh le {DATE_TIME:recent}, PDL {NEG:pdl}, titulaire {PERSON:full}."),
    ("energie", 2, "Emménagement au {STREET_ADDRESS:addr} le {DATE_TIME:recent} : merci d'ouvrir le compteur au nom de {PERSON:full_f}."),
    ("energie", 2, "Échéancier mensuel de {NEG:price} prélevé le 10 de chaque mois sur le compte {IBAN_CODE:fr}."),
    ("energie", 2, "Coupure d'eau signalée au {STREET_ADDRESS:addr} ; le technicien joindra l'abonné au {PHONE_NUMBER:any}."),
    ("energie", 1, "Chèque énergie {NEG:reference} reçu pour M. {PERSON:full_m}, domicilié {STREET_ADDRESS:addr}."),
    ("energie", 1, "Votre espace client est accessible sur {URL=https://particulier.edf.fr/fr/accueil/espace-client.html} avec votre adresse {EMAIL_ADDRESS:email}."),
    ("energie", 1, "M. {PERSON:last} conteste la facture {NEG:invoice} de {NEG:price} : il était absent du logement depuis le {DATE_TIME:recent}."),
    ("energie", 2, "Demande de mise en service pour un local professionnel, SIRET {FR_SIRET:siret}, {STREET_ADDRESS:addr}."),
    ("energie", 1, "Résidence secondaire en Corse : {STREET_ADDRESS=12 route des Sanguinaires, 20000 Ajaccio}, titulaire {PERSON:full_m}."),

    # ---- e-commerce, retours
    ("ecommerce", 2, "Commande {NEG:order} : le colis {NEG:tracking} est revenu à l'expéditeur, l'adresse {STREET_ADDRESS:addr} étant incomplète selon le transporteur."),
    ("ecommerce", 3, "Je souhaite retourner l'article {NEG:product_ref} acheté {NEG:price} ; merci de me rembourser sur ma carte {CREDIT_CARD:card}."),
    ("ecommerce", 2, "Bonjour, je suis {PERSON:full_m}, client depuis {NEG:year}, et je n'ai toujours pas reçu ma commande {NEG:order}."),
    ("ecommerce", 2, "Point relais choisi : {STREET_ADDRESS:addr}. Contact en cas de problème : {PHONE_NUMBER:mobile}."),
    ("ecommerce", 3, "Le vendeur {NEG:shop} (SIREN {FR_SIREN:siren}) n'a pas répondu à mes messages depuis le {DATE_TIME:recent}."),
    ("ecommerce", 1, "Vous pouvez suivre la livraison ici : {URL=https://suivi.laposte.fr/colis}, avec le numéro {NEG:tracking}."),
    ("ecommerce", 1, "Code promo {NEG:promo} appliqué : total de {NEG:price} au lieu de {NEG:price}."),
    ("ecommerce", 2, "Réclamation de {PERSON:full_f@a} ({EMAIL_ADDRESS:email<a}) : écran cassé à la réception, photos jointes."),
    ("ecommerce", 1, "Numéro de commande Amazon : {NEG:order_amazon} ; le remboursement de {NEG:price} est en cours."),
    ("ecommerce", 1, "Livraison à l'attention de {PERSON:full_m}, {STREET_ADDRESS:dom} ; code porte 4521B."),
    ("ecommerce", 3, "Le client {PERSON:full_m} a payé avec la carte {CREDIT_CARD:card} mais le paiement apparaît deux fois, pour {NEG:price} chacun."),
    ("ecommerce", 1, "Mon annonce {URL=https://www.leboncoin.fr/ad/ventes_immobilieres/2456789012} a été supprimée sans explication."),
    ("ecommerce", 1, "L'EAN {NEG:ean} correspond au pack de six bouteilles, pas à la bouteille seule."),
    ("ecommerce", 2, "Facture à établir au nom de {NEG:company=SARL Les Jardins de l'Ouest}, SIRET {FR_SIRET:siret}, livraison au {STREET_ADDRESS:addr}."),
    ("ecommerce", 1, "Échange demandé par {PERSON:full_f} : taille 38 au lieu de 40, référence {NEG:product_ref}."),

    # ---- ressources humaines
    ("rh", 2, "Demande d'attestation employeur pour {PERSON:full}, matricule {NEG:employee_id}, date d'entrée : {DATE_TIME:past}."),
    ("rh", 2, "Merci de mettre à jour mon RIB pour la paie : {IBAN_CODE:fr}. Cordialement, {PERSON:full}"),
    ("rh", 2, "Nouvelle adresse de {PERSON:full_m} à compter du {DATE_TIME:recent} : {STREET_ADDRESS:addr}."),
    ("rh", 3, "Le salarié {PERSON:full_m@a}, né le {DATE_TIME:dob@a} à {NEG:city}, numéro de sécurité sociale {FR_NIR:nir<a}, rejoint l'équipe logistique."),
    ("rh", 2, "Arrêt maladie de Mme {PERSON:last} à partir du {DATE_TIME:recent} pour dix jours ; le certificat a été reçu."),
    ("rh", 2, "Pour le télétravail, l'adresse IP fixe de {PERSON:full} est {IP_ADDRESS:ipv4} (client VPN en version {NEG:version})."),
    ("rh", 2, "Candidature de {PERSON:full_f@a} : {EMAIL_ADDRESS:email<a}, {PHONE_NUMBER:mobile}, disponible à partir du {DATE_TIME:recent_long}."),
    ("rh", 1, "La mutuelle rembourse {NEG:price} par an pour les lunettes ; la demande de {PERSON:full_m} est acceptée."),
    ("rh", 1, "Fiche de paie de mars : salaire net de {NEG:price}, versé le 28 sur le compte {IBAN_CODE:fr}."),
    ("rh", 2, "Mme {PERSON:full_f@a}, née le {DATE_TIME:dob_post76@a} à Bastia, NIR {FR_NIR:nir_2b<a}, est affectée à l'agence de Marseille."),
    ("rh", 2, "M. {PERSON:full_m@a}, né le {DATE_TIME:dob_post76@a} à Ajaccio, a fourni son numéro de sécurité sociale : {FR_NIR:nir_2a<a}."),
    ("rh", 1, "Le badge {NEG:employee_id} de {PERSON:full_m} est désactivé depuis son départ le {DATE_TIME:recent}."),
    ("rh", 2, "Auto-entrepreneur {PERSON:full_m}, SIRET {FR_SIRET:siret}, domicilié {STREET_ADDRESS:addr}, facture ses heures au mois."),

    # ---- sante
    ("sante", 2, "Rendez-vous confirmé avec le Dr {PERSON:last} le {DATE_TIME:recent_long} à {NEG:time}, au cabinet situé {STREET_ADDRESS:addr}."),
    ("sante", 3, "Patiente : {PERSON:full_f@a}, née le {DATE_TIME:dob@a}, NIR {FR_NIR:nir<a}, mutuelle à jour."),
    ("sante", 2, "Pour annuler, appelez le secrétariat au {PHONE_NUMBER:fixe} au moins 24 heures à l'avance."),
    ("sante", 1, "Le laboratoire enverra les résultats à {EMAIL_ADDRESS:email} ; dossier {NEG:reference}."),
    ("sante", 1, "Téléconsultation : le lien {URL=https://meet.jit.si/cabinet-dupont-8841} sera actif dix minutes avant le rendez-vous."),
    ("sante", 2, "Le petit {PERSON:first_m} est rattaché à la carte Vitale de sa mère, NIR {FR_NIR:nir_f}."),
    ("sante", 2, "Patient né en Guadeloupe, {PERSON:full_m@a}, né le {DATE_TIME:dob@a}, NIR {FR_NIR:nir_dom<a}."),
    ("sante", 1, "Ordonnance au nom de {PERSON:upper_f}, née le {DATE_TIME:dob}, à présenter en pharmacie avant le {DATE_TIME:recent}."),
    ("sante", 1, "Prise de rendez-vous en ligne : {URL=https://rdv.doctolib.fr/cabinet-gambetta/teleconsultation/5521}."),
    ("sante", 1, "Bonjour docteur, je suis {PERSON:full_f}, enceinte de 5 mois, pouvez-vous me rappeler au {PHONE_NUMBER:mobile} ?"),
    ("sante", 1, "Remboursement de {NEG:price} sur le compte {IBAN_CODE:fr} pour la consultation du {DATE_TIME:recent}."),

    # ---- administration
    ("administration", 1, "Déclaration de revenus : connectez-vous sur {URL=https://www.impots.gouv.fr/accueil} avec votre numéro fiscal."),
    ("administration", 2, "Dossier CAF de {PERSON:full}, allocataire {NEG:reference}, adresse {STREET_ADDRESS:addr}."),
    ("administration", 1, "Acte de naissance demandé pour {PERSON:full_m}, né le {DATE_TIME:dob} à Nantes, à envoyer au {STREET_ADDRESS:addr}."),
    ("administration", 1, "Les formulaires sont sur {URL=www.service-public.fr}, rubrique « Papiers - Citoyenneté »."),
    ("administration", 1, "Courrier à adresser au service des réclamations, {STREET_ADDRESS:bp}."),
    ("administration", 2, "Merci d'envoyer votre dossier complet à {STREET_ADDRESS:bp}, avant le {DATE_TIME:recent_long}."),
    ("administration", 1, "L'habitant du {STREET_ADDRESS:lieudit}, M. {PERSON:full_m}, signale un arbre tombé sur la route."),
    ("administration", 1, "Mme {PERSON:full_f}, domiciliée {STREET_ADDRESS:dom}, demande un rendez-vous pour son passeport."),

    # ---- entreprises (SIREN, SIRET)
    ("entreprise", 3, "Le SIREN {FR_SIREN:siren} correspond à l'entreprise individuelle de {PERSON:full}, plombier."),
    ("entreprise", 3, "Bureau de poste de {NEG:city_fr} : SIRET {FR_SIRET:poste}, à reporter sur le bon de commande."),
    ("entreprise", 1, "Le fournisseur nous a transmis le SIRET {NEG:invalid_siret}, qui ne passe pas le contrôle de clé."),
    ("entreprise", 1, "Le SIREN {NEG:invalid_siren} n'existe pas dans la base Sirene ; merci de vérifier le Kbis."),
    ("entreprise", 3, "Fournisseur référencé : SIREN {FR_SIREN:siren}, SIRET du siège {FR_SIRET:siret}, contact {EMAIL_ADDRESS:pro}."),
    ("entreprise", 2, "Le colis sera déposé à La Poste (SIRET {FR_SIRET:poste}) puis acheminé vers {STREET_ADDRESS:bp}."),
    ("entreprise", 2, "Kbis reçu pour la micro-entreprise de Mme {PERSON:full_f}, SIREN {FR_SIREN:siren}, créée le {DATE_TIME:past}."),
    ("entreprise", 2, "Pour toute question sur la facture {NEG:invoice}, écrivez à {EMAIL_ADDRESS:pro} en indiquant votre SIRET, {FR_SIRET:siret}."),

    # ---- international
    ("international", 1, "Notre client belge, {PERSON:full}, est joignable au {PHONE_NUMBER:intl_be} ou au {PHONE_NUMBER:intl_be_m}."),
    ("international", 1, "Pour la Suisse, contactez {PERSON:full_f} au {PHONE_NUMBER:intl_ch} ou par courriel à {EMAIL_ADDRESS:email}."),
    ("international", 1, "Le transfert vers Londres se fait au {PHONE_NUMBER:intl_uk}, la succursale de Montréal au {PHONE_NUMBER:intl_ca}."),
    ("international", 1, "Mon frère au Maroc, {PERSON:full_m}, n'arrive pas à recevoir le virement sur {IBAN_CODE:foreign} ; son numéro est le {PHONE_NUMBER:intl_ma}."),
    ("international", 1, "Compte à l'étranger {IBAN_CODE:foreign}, titulaire {PERSON:full_f}, téléphone {PHONE_NUMBER:intl_de}."),

    # ---- messages de support complets (plusieurs types)
    ("support", 1, "Appel entrant de {PERSON:full_f@a} (tél. {PHONE_NUMBER:mobile}) : elle a changé d'adresse, nouvelle adresse {STREET_ADDRESS:addr}, et demande que les courriers partent à {EMAIL_ADDRESS:email<a}."),
    ("support", 1, "Objet : résiliation\nBonjour,\nJe soussigné {PERSON:full_m@a}, né le {DATE_TIME:dob}, demande la résiliation de mon abonnement. Merci de me rembourser sur {IBAN_CODE:fr}.\n{PERSON@a}"),
    ("support", 2, "Ticket {NEG:ticket} – connexion refusée depuis {IP_ADDRESS:ipv4} et {IP_ADDRESS:ipv6} pour l'utilisateur {EMAIL_ADDRESS:email}, navigateur en version {NEG:version}."),
    ("support", 2, "Compte rendu : {PERSON:full_m} rappelle pour la troisième fois ; sa carte {CREDIT_CARD:card} est toujours débitée de {NEG:price} chaque mois malgré la résiliation du {DATE_TIME:recent}."),
    ("support", 1, "Merci de noter mes coordonnées : {PERSON:full_f}, {STREET_ADDRESS:addr}, {PHONE_NUMBER:fixe}, {EMAIL_ADDRESS:email}."),
    ("support", 1, "Message vocal de M. {PERSON:last} à {NEG:time_am} : il souhaite être rappelé au {PHONE_NUMBER:mobile} avant {NEG:time_pm}."),
    ("support", 2, "Session {NEG:guid} ouverte depuis {IP_ADDRESS:any} ; le client {PERSON:full} dit ne pas reconnaître cette connexion."),
    ("support", 1, "Bonjour, je m'appelle {PERSON=Karim Benali}, né le {DATE_TIME=4 juillet 1979}, et j'habite au {STREET_ADDRESS=12 bis rue de la Paix, 75002 Paris}."),
    ("support", 1, "Mme {PERSON=Dubois} a envoyé son dossier au {STREET_ADDRESS=3 allée des Tilleuls 69003 Lyon} par erreur."),
    ("support", 1, "Le dossier de M. {PERSON=Jean-Pierre Martin} est suivi par {PERSON=Fatoumata Diallo}, joignable au {PHONE_NUMBER=+33 6 12 34 56 78}."),
    ("support", 1, "Rendez-vous fixé au {DATE_TIME=12 mars 2024} ; le client est né le {DATE_TIME=12/03/1985}."),
    ("support", 1, "Appelez-moi plutôt au {PHONE_NUMBER=0590 12 34 56} ou sur mon portable réunionnais, le {PHONE_NUMBER=+262 692 12 34 56}."),
    ("support", 1, "Mon IBAN : {IBAN_CODE=FR76 3000 6000 0112 3456 7890 189}. Merci de ne plus utiliser l'ancien."),
    ("support", 1, "Mme {PERSON=Le Gall}, votre conseillère, vous recontactera le {DATE_TIME=1er avril 2025}."),
    ("support", 1, "Le courrier recommandé de M. {PERSON=Ozier-Lafontaine} est bloqué au centre de tri, {STREET_ADDRESS=CS 70001, 92099 La Défense Cedex}."),
    ("support", 1, "Voici mon adresse : {STREET_ADDRESS=27 rue du 8 Mai 1945, 94300 Vincennes}, et non au numéro 29."),

    # ---- plus de situations (location, école, voyage, sport, associations)
    ("ecommerce", 3, "Paiement refusé avec la carte {CREDIT_CARD:card} ; la cliente, {PERSON:full_f}, a réessayé trois fois."),
    ("voyage", 3, "Réservation d'hôtel garantie par la carte {CREDIT_CARD:card} au nom de {PERSON:full}, arrivée le {DATE_TIME:recent_long}."),
    ("banque", 3, "Fraude : des achats en ligne ont été faits avec ma carte {CREDIT_CARD:card} alors que je l'ai toujours sur moi."),
    ("sport", 2, "Abonnement à la salle de sport : prélèvement de {NEG:price} sur la carte {CREDIT_CARD:card} de {PERSON:full_m}."),
    ("support", 2, "Ne nous écrivez jamais votre numéro de carte complet ({CREDIT_CARD:card}) dans un e-mail, même au service client."),
    ("sante", 3, "Feuille de soins : assuré {PERSON:upper_m@a}, numéro de sécurité sociale {FR_NIR:nir<a}."),
    ("rh", 3, "Pour la DPAE de {PERSON:full@a}, il me manque encore son numéro de sécurité sociale : {FR_NIR:nir<a}, c'est bien ça ?"),
    ("assurance", 2, "Mutuelle : le NIR {FR_NIR:nir} du bénéficiaire ne correspond pas au nom {PERSON:full} inscrit sur la carte."),
    ("administration", 2, "France Travail : l'inscription de {PERSON:full_m@a} (NIR {FR_NIR:nir<a}) est validée depuis le {DATE_TIME:recent}."),
    ("sante", 2, "Patient né à Porto-Vecchio : {PERSON:full@a}, NIR {FR_NIR:nir_2a<a}."),
    ("sante", 2, "Patiente originaire de Corte : {PERSON:full_f@a}, née le {DATE_TIME:dob_post76@a}, NIR {FR_NIR:nir_2b<a}."),
    ("entreprise", 3, "Notre société est immatriculée au RCS de Lyon sous le numéro {FR_SIREN:siren}."),
    ("entreprise", 3, "Le devis de l'artisan {PERSON:full_m} porte le SIRET {FR_SIRET:siret} et une TVA de 10 %."),
    ("entreprise", 3, "Mise à jour de la fiche fournisseur : SIRET {FR_SIRET:siret}, IBAN {IBAN_CODE:fr}, contact {EMAIL_ADDRESS:pro}."),
    ("entreprise", 2, "SIREN {FR_SIREN:siren} – {NEG:company=Transports Rapides du Sud} – relance pour la facture {NEG:invoice} de {NEG:price}."),
    ("entreprise", 2, "L'établissement secondaire de Lille a pour SIRET {FR_SIRET:siret}, le siège reste à Paris."),
    ("entreprise", 2, "Facture de La Poste, SIRET {FR_SIRET:poste}, pour l'affranchissement du mois de mai."),
    ("entreprise", 2, "Le numéro SIREN de l'auto-entreprise de Mme {PERSON:last} est le {FR_SIREN:siren}, pas le {NEG:invalid_siren}."),
    ("support", 3, "Trop de tentatives de connexion depuis {IP_ADDRESS:ipv4} ; adresse bloquée pendant une heure."),
    ("telecom", 3, "Le serveur de jeu de {PERSON:first_m} est sur {IP_ADDRESS:ipv4_private}, il faut ouvrir le port 25565 sur la box."),
    ("support", 2, "Journal : échec d'authentification pour {EMAIL_ADDRESS:email} depuis {IP_ADDRESS:ipv6} à {NEG:time}."),
    ("rh", 2, "Poste de travail de {PERSON:full} : adresse {IP_ADDRESS:ipv4_private}, logiciel de sauvegarde en version {NEG:version}."),
    ("support", 3, "Pour réinitialiser votre mot de passe, rendez-vous sur {URL:url} et suivez les instructions."),
    ("ecommerce", 1, "Le lien {URL=https://bit.ly/3xYz9Ab} reçu par SMS est-il vraiment de votre part ?"),
    ("support", 1, "J'ai partagé les justificatifs ici : {URL=https://drive.google.com/file/d/1AbCdEfGhIjK/view} (lien valable 7 jours)."),
    ("support", 1, "Mon blog {URL=https://monsite-perso.fr/blog?id=12&lang=fr} a été bloqué par votre filtre."),
    ("assurance", 1, "Les garanties sont détaillées sur {URL=https://www.mutuelle-ouest.fr/adherents/remboursements#releves}."),
    ("immobilier", 2, "Le loyer de {NEG:price} est à virer sur le compte du propriétaire, {PERSON:full}, IBAN {IBAN_CODE:fr}."),
    ("association", 1, "Cotisation annuelle de {NEG:price} : merci d'effectuer le virement sur {IBAN_CODE:fr} en indiquant le prénom de l'enfant, {PERSON:first}."),
    ("ecole", 2, "Les parents de {PERSON:first} peuvent écrire à {EMAIL_ADDRESS:email} pour l'inscription à la cantine."),
    ("immobilier", 1, "Le syndic, {NEG:company=Foncia}, transmettra l'appel de fonds à {EMAIL_ADDRESS:email}."),
    ("immobilier", 2, "État des lieux de sortie le {DATE_TIME:recent_long} au {STREET_ADDRESS:addr}, en présence de {PERSON:full_f}."),
    ("immobilier", 1, "Le gardien, M. {PERSON:last}, est joignable au {PHONE_NUMBER:fixe} pour récupérer les clés."),
    ("ecole", 1, "Élève : {PERSON:full_m}, né le {DATE_TIME:dob_child}, responsable légal {PERSON:full_f}, {PHONE_NUMBER:mobile}."),
    ("voyage", 1, "Passager {PERSON:upper_m}, vol du {DATE_TIME:recent_long}, bagage perdu ; adresse de livraison : {STREET_ADDRESS:addr}."),
    ("voyage", 1, "Contact sur place pendant le séjour : {PERSON:full}, {PHONE_NUMBER:intl}."),

    ("entreprise", 2, "Vérifiez le SIREN {FR_SIREN:siren} sur {URL=annuaire-entreprises.data.gouv.fr} avant de payer la facture."),
    ("entreprise", 2, "Client professionnel : {NEG:company}, SIREN {FR_SIREN:siren}, interlocuteur {PERSON:full}."),
    ("ecommerce", 3, "Le vendeur professionnel affiche le SIREN {FR_SIREN:siren} mais aucune adresse postale."),
    ("telecom", 3, "Consultez l'état du réseau sur {URL:url} avant de nous appeler."),
    ("administration", 2, "Simulation des droits disponible sur {URL:url} ; prévoyez votre dernier avis d'imposition."),
    ("administration", 1, "Le formulaire {URL=https://www.caf.fr/allocataires} refuse mon numéro d'allocataire."),
    ("ecommerce", 1, "Photos du colis endommagé : {URL=https://photos.app.goo.gl/Xy12AbCd34}."),
    ("administration", 1, "Le site {URL=http://www.mairie-vincennes.fr/etat-civil} indique des horaires différents des vôtres."),

    # ---- messages avec émojis (hors du plan multilingue de base : un décalage en UTF-16 se voit)
    ("support", 1, "Toujours pas de remboursement 😡😡 ! Ma commande {NEG:order} a été payée avec la carte {CREDIT_CARD:card}, rappelez-moi au {PHONE_NUMBER:mobile}."),
    ("support", 1, "Merci beaucoup 🙏 {PERSON:full_f}, tout est rentré dans l'ordre ; mon adresse reste {STREET_ADDRESS:addr}."),
    ("support", 1, "👉 Nouveau RIB : {IBAN_CODE:fr} 👈 à utiliser dès le {DATE_TIME:recent_long}, merci ! {PERSON:full_m}"),

    # ---- noms qui sont aussi des mots courants
    ("support", 1, "Mme {PERSON=Petit} a commandé le {NEG:common_word=petit} modèle, mais c'est le grand qui a été livré."),
    ("support", 1, "{PERSON=Pierre Boulanger} nous signale que le {NEG:common_word=boulanger} d'à côté reçoit ses colis par erreur."),
    ("support", 1, "La {NEG:common_word=rose} offerte à {PERSON=Rose Marchand} est arrivée fanée ; elle demande un remboursement de {NEG:price}."),
    ("support", 1, "Je m'appelle {PERSON=Olivier Fontaine} et l'{NEG:common_word=olivier} commandé le {DATE_TIME=3 février 2025} n'a jamais été livré."),
    ("support", 1, "M. {PERSON=Blanc} a reçu un linge {NEG:common_word=blanc} au lieu du gris ; il souhaite un échange."),
    ("support", 1, "La {NEG:common_word=marguerite} et le muguet de la jardinerie sont vendus {NEG:price} le pot."),
    ("support", 1, "Le mur en {NEG:common_word=pierre} de la cliente est fissuré ; le devis s'élève à {NEG:price}."),
    ("support", 1, "Mme {PERSON=Marguerite Roux} souhaite savoir si la {NEG:common_word=marguerite} est une plante vivace."),
    ("support", 1, "Un {NEG:common_word=martin}-pêcheur a niché dans le compteur extérieur, signale {PERSON=Martin Leroy}."),
    ("support", 1, "Le {NEG:common_word=chevalier} de la pièce d'échecs manque dans le coffret ; {PERSON=Camille Chevalier} demande un remplacement."),
    ("support", 1, "Les {NEG:common_word=lilas} du jardin ont été taillés par erreur ; la cliente habite {STREET_ADDRESS=5 impasse des Lilas, 35000 Rennes}."),
    ("support", 1, "Le {NEG:common_word=meunier} du moulin à vent organise des visites ; Mme {PERSON=Meunier} veut réserver pour quatre personnes."),
    ("support", 1, "Le client vient de {NEG:city=Lyon} et travaille à {NEG:city=Paris}, mais il n'a pas indiqué d'adresse."),
    ("support", 1, "Notre agence de {NEG:city=Bordeaux} est fermée le lundi ; celle de {NEG:city=Nantes} ouvre à {NEG:time_am}."),
    ("support", 1, "{NEG:company=Orange} et {NEG:company=Free} ont tous les deux facturé la même ligne en janvier."),
    ("support", 1, "Le magasin {NEG:company=Boulanger} de la zone commerciale reprend l'ancien lave-linge gratuitement."),

    # ---- sans donnée personnelle (négatifs)
    ("support", 2, "Votre commande {NEG:order} sera livrée entre {NEG:time_am} et {NEG:time_pm}."),
    ("support", 2, "Mettez à jour l'application en version {NEG:version} puis redémarrez le téléphone."),
    ("support", 2, "L'identifiant de session {NEG:guid} a expiré, veuillez vous reconnecter."),
    ("support", 1, "Le produit {NEG:product_ref} est en rupture de stock jusqu'à nouvel ordre."),
    ("support", 2, "Facture {NEG:invoice} : montant de {NEG:price}, échéance à 30 jours."),
    ("support", 1, "Ticket {NEG:ticket} : l'utilisateur ne peut plus imprimer depuis la mise à jour {NEG:version}."),
    ("support", 1, "Le code d'activation {NEG:guid} est à usage unique."),
    ("support", 1, "Le colis pèse 2,5 kg, mesure 40 x 30 x 20 cm et coûte {NEG:price} à expédier."),
    ("support", 1, "Nos bureaux sont ouverts du lundi au vendredi de {NEG:time_am} à {NEG:time_pm}, et le samedi matin."),
    ("support", 1, "La remise de 15 % s'applique dès {NEG:price} d'achat, hors frais de port."),
    ("support", 1, "Le numéro de lot {NEG:lot} est concerné par le rappel produit ; ne consommez pas ces yaourts."),
    ("support", 2, "La carte {NEG:invalid_card} a été refusée car le numéro est invalide."),
    ("support", 2, "Le RIB fourni, {NEG:invalid_iban}, comporte une erreur de clé."),
    ("support", 2, "La clé du numéro de sécurité sociale {NEG:invalid_nir} ne correspond pas au reste du numéro."),
    ("support", 1, "Le SIRET {NEG:invalid_siret} a été rejeté par le portail de facturation."),
    ("support", 1, "Le serveur a répondu avec le code 503 pendant 12 minutes à partir de {NEG:time}."),
    ("support", 1, "Le build {NEG:version} du logiciel de caisse corrige le bug d'arrondi sur les montants de {NEG:price}."),
    ("support", 1, "Compteur Linky PRM {NEG:pdl} : index de {NEG:meter} kWh relevé à distance."),
    ("support", 1, "Réf. {NEG:ean} : cafetière à capsules, garantie deux ans."),
    ("support", 1, "Le contrat {NEG:contract} est renouvelé par tacite reconduction ; la cotisation reste de {NEG:price}."),
    ("support", 1, "Votre demande {NEG:reference} a bien été enregistrée, délai de traitement de 5 jours ouvrés."),
    ("support", 1, "Le prélèvement de {NEG:price} aura lieu le 5 de chaque mois, sauf jour férié."),
    ("support", 1, "Pour une réponse plus rapide, indiquez le numéro client {NEG:client_id} dans l'objet de votre message."),
]

# ---------------------------------------------------------------- rendering

SLOT = re.compile(r"\{(?P<type>[A-Z_]+)(?::(?P<gen>[a-z0-9_]+))?(?:<(?P<src>[a-z]))?"
                  r"(?:@(?P<tag>[a-z]))?(?:=(?P<lit>[^}]*))?\}")


VOWELS = "AEIOUHÉÈÊÂÎÔaeiouéèêâîô"       # first names with H here have a silent h


def render(rng, template):
    ctx = Ctx()
    out, spans, negs, masked = [], [], [], []
    pos, at = 0, 0
    for m in SLOT.finditer(template):
        lit = template[at:m.start()]
        at = m.end()
        typ, gen, src, tag, fixed = m.group("type", "gen", "src", "tag", "lit")
        if typ == "NEG":
            value = fixed if fixed is not None else NEGS[gen](rng)
        elif typ not in TYPES:
            raise ValueError("unknown type %s in %r" % (typ, template))
        elif fixed is not None:
            value = fixed
        elif gen is not None:
            value = GENS[typ](rng, ctx, src, tag, gen)
        else:
            value = ctx.text[(typ, tag)]
        if lit.endswith(" de ") and value[:1] in VOWELS:     # de Élodie -> d'Élodie
            lit = lit[:-4] + " d'"
        out.append(lit)
        masked.append(lit)
        pos += len(lit)
        if typ == "NEG":
            negs.append({"kind": gen, "value": value, "start": pos, "end": pos + len(value)})
            masked.append(value)
        else:
            if tag:
                ctx.text[(typ, tag)] = value
            spans.append({"entity_type": typ, "entity_value": value,
                          "start_position": pos, "end_position": pos + len(value)})
            masked.append("{{%s}}" % typ)
        out.append(value)
        pos += len(value)
    out.append(template[at:])
    masked.append(template[at:])
    return "".join(out), "".join(masked), spans, negs


def build():
    rng = random.Random(SEED)
    items = []
    for tid, (situation, n, template) in enumerate(TEMPLATES):
        for _ in range(n):
            text, masked, spans, negs = render(rng, template)
            for s in spans:
                assert text[s["start_position"]:s["end_position"]] == s["entity_value"]
            for ng in negs:
                assert text[ng["start"]:ng["end"]] == ng["value"]
            items.append({"full_text": text, "masked": masked, "spans": spans,
                          "template_id": tid,
                          "metadata": {"language": "fr", "situation": situation,
                                       "negatives": negs}})
    return items


def dump(items):
    return json.dumps(items, ensure_ascii=False, indent=1) + "\n"


def main(argv):
    items = build()
    if "--stats" in argv:
        from collections import Counter
        types = Counter(s["entity_type"] for it in items for s in it["spans"])
        negs = Counter(n["kind"] for it in items for n in it["metadata"]["negatives"])
        print("%d sentences, %d templates, %d spans, %d negatives"
              % (len(items), len(TEMPLATES), sum(types.values()), sum(negs.values())))
        for t in TYPES:
            print("  %-15s %4d" % (t, types[t]))
        print("negatives: " + ", ".join("%s %d" % kv for kv in sorted(negs.items())))
        return 0
    data = dump(items)
    if "--stdout" in argv:
        sys.stdout.write(data)
    else:
        with open(OUT, "w", encoding="utf-8") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
