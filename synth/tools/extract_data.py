#!/usr/bin/env python3
"""Builds synth/data/faker_names.tsv and synth/data/latin_variants.tsv from /work/shared/data.

Run from synth/: python3 tools/extract_data.py
"""
import re, unicodedata

SHARED = "/work/shared/data"
DIAC = re.compile("[\u064b-\u065f\u0670\u0640]")

def clean_ar(s):
    return DIAC.sub("", unicodedata.normalize("NFC", s)).strip()

# 1. faker subset: first names (ar_AA male/female) and Palestinian last names.
rows = []
for line in open(f"{SHARED}/faker_ar_person_names.tsv", encoding="utf-8"):
    parts = line.rstrip("\n").split("\t")
    if len(parts) != 3 or parts[0] == "locale":
        continue
    loc, field, name = parts
    if (loc, field) in {("ar_AA", "first_names_male"), ("ar_AA", "first_names_female"), ("ar_PS", "last_names")}:
        n = clean_ar(name)
        if n and (field, n) not in {(f, x) for f, x in rows}:
            rows.append((field, n))
with open("data/faker_names.tsv", "w", encoding="utf-8") as f:
    f.write("# field\tname (from faker 40.54.0 ar_AA/ar_PS person providers, MIT; diacritics removed)\n")
    for field, n in rows:
        f.write(f"{field}\t{n}\n")

# 2. names we use
names = set()
for fn in ["data/first_male.tsv", "data/first_female.tsv", "data/families.tsv"]:
    for line in open(fn, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        names.add(line.split("\t")[0].strip())
for _, n in rows:
    names.add(n)

def fold(s):
    s = re.sub("[أإآ]", "ا", s)
    return s.replace(" ", "")

AR_SK = {"ب": "B", "ت": "T", "ث": "T", "ج": "J", "ح": "H", "خ": "K", "د": "D", "ذ": "D", "ر": "R", "ز": "Z",
         "س": "S", "ش": "S", "ص": "S", "ض": "D", "ط": "T", "ظ": "Z", "غ": "J", "ف": "F", "ق": "K", "ك": "K",
         "ل": "L", "م": "M", "ن": "N", "ه": "H"}
def ar_skel(s):
    out = []
    for ch in s:
        c = AR_SK.get(ch)
        if c and (not out or out[-1] != c):
            out.append(c)
    return "".join(out)

LAT_DI = [("kh", "K"), ("sh", "S"), ("ch", "S"), ("th", "T"), ("dh", "D"), ("gh", "J"), ("dj", "J"), ("ph", "F")]
LAT_SK = {"b": "B", "t": "T", "j": "J", "g": "J", "h": "H", "d": "D", "r": "R", "z": "Z", "s": "S", "f": "F",
          "q": "K", "k": "K", "c": "K", "l": "L", "m": "M", "n": "N", "x": "K", "v": "F", "p": "B"}
def lat_skel(s):
    s = s.replace("'", "").replace("-", "").replace(" ", "")
    for a, b in LAT_DI:
        s = s.replace(a, b)
    out = []
    for ch in s:
        c = ch if ch.isupper() else LAT_SK.get(ch)
        if c and (not out or out[-1] != c):
            out.append(c)
    return "".join(out)

def lev(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]

BANNED = {"abdoulaye", "abdullahi", "amadou", "muhammadu", "mehmed", "mehmud", "mahomad", "mahammed", "muhameda", "ahmod", "mohd", "mehmet", "mahmut", "avraham", "amine", "omina", "machmud", "ebubekir", "aisyah", "asyraf", "asror", "mahomet", "mohamet", "yoseph", "miriam"}

def ok(arabic, latin):
    if latin in BANNED:
        return False
    f = fold(arabic)
    if re.match(r"^(al|el|al|ul)[- ]", latin) and not f.startswith("ال"):
        return False
    if re.search("(oo|ou)", latin) and "و" not in f:
        return False
    if re.search("(ee|ei|ey)", latin) and "ي" not in f:
        return False
    if latin[-1] == "s" and f[-1] not in "سصش":
        return False
    if latin[-1] in "aeiou" and f[-1] not in "اةهىيو":
        return False
    a, l = ar_skel(f.rstrip("هة")), lat_skel(latin)
    # ح must show up in Latin; a final or article h/l often does not.
    l2 = l.rstrip("H")
    tol = 0 if len(a) <= 3 else 1
    return lev(a, l2) <= tol or lev(a, l) <= tol

LATIN_OK = re.compile(r"^[a-z][a-z' -]*[a-z]$")
index = {}
for line in open(f"{SHARED}/rigour_persons_arabic.txt", encoding="utf-8"):
    if "=>" not in line:
        continue
    forms = [x.strip() for x in line.split("=>")[0].split(",")]
    ar = [clean_ar(x) for x in forms if re.search("[\u0600-\u06ff]", x)]
    lat = [x for x in forms if LATIN_OK.match(x) and len(x.split()) <= 3]
    for a in ar:
        index.setdefault(fold(a), []).append(lat)

out = {}
for n in sorted(names):
    keys = {fold(n)}
    if n.startswith("ال"):
        keys.add(fold(n[2:]))
    seen = []
    for k in keys:
        for group in index.get(k, []):
            for l in group:
                if l not in seen and ok(n, l):
                    seen.append(l)
    if seen:
        out[n] = seen[:16]
with open("data/latin_variants.tsv", "w", encoding="utf-8") as f:
    f.write("# arabic\tlatin spellings seen for it in rigour 1.8.2 persons.txt (Wikidata, CC0; package MIT), filtered to plain ASCII forms whose consonant skeleton fits the Arabic\n")
    for n, ls in out.items():
        f.write(f"{n}\t{'|'.join(ls)}\n")
print(len(rows), "faker rows;", len(names), "names;", len(out), "with latin variants")
