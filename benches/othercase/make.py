"""A caseload written by other hands: households and records made without `bawaba-synth`.

    python3 benches/othercase/make.py HOUSEHOLDS SEED OUT.jsonl

The project's own generator (`synth/`) and the matcher were written by the same people, so a
matcher can come to fit its generator's habits. This one is written apart from both, to judge
the matcher on variation it was not shaped on. It shares no code or table with `synth/`: its
names come from `../shared/data/` by other routes (faker's Palestinian and generic Arabic lists,
a hand list of common first names, Latin spellings from google/transliteration's `ar2en` table
or, where that has none, a romaniser with each agency's own habits), and its households,
agencies and errors follow its own model:

- clans: a town's households share a few family names (Zipf), brothers head households of
  their own with the same father and grandfather, and sons are named after their grandfather,
  so cousins are namesakes down to the third name;
- households: head and spouse, children, sometimes a grandparent; widows and divorced women
  heading their own; a man with two wives in one household; households that move;
- five agencies with their own habits: a ministry directorate (four-part Arabic names, IDs),
  a UN agency (Latin script, three parts, IDs mostly), a local NGO (Arabic typed quickly:
  ة/ه, أ/ا, ى/ي, doubled letters, dropped grandfather, compounds split or joined), an
  international NGO (Latin, first and family name only, phones, no IDs), and a zakat committee
  (Arabic, sometimes family name first, heads only, birth year only);
- identifiers: IDs missing, mistyped (one digit, or two swapped), phones in every format;
  birth dates exact, year only, or day and month swapped.

Each line: `{"agency", "body", "truth": {"household", "members": [person, …]}}`, the form
`bawaba dedup` and `synth` use. Records are in posting order (by period start).
"""

import json
import os
import random
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
def shared_data():
    """`../shared/data` beside the repository (or above it), or `$SHARED`."""
    if os.environ.get("SHARED"):
        return os.environ["SHARED"]
    d = os.path.abspath(os.path.join(HERE, "..", ".."))
    while d != os.path.dirname(d):
        d = os.path.dirname(d)
        if os.path.isdir(os.path.join(d, "shared", "data")):
            return os.path.join(d, "shared", "data")
    sys.exit("../shared/data not found: set SHARED")


SHARED = shared_data()

MALE_COMMON = (
    "محمد أحمد محمود علي يوسف إبراهيم خالد عمر مصطفى حسن حسين سامي ناصر جمال عادل رائد إياد نضال وائل "
    "فادي عماد ماهر سعيد منير زياد كمال صالح طارق باسم هاني موسى عيسى سليمان إسماعيل يحيى زكريا بلال "
    "أنس معتز مهند أسامة حمزة عثمان نبيل رامي شادي فراس"
).split() + ["عبد الله", "عبد الرحمن", "عبد الكريم", "عبد الرحيم", "عبد العزيز", "نور الدين", "علاء الدين"]
FEMALE_COMMON = (
    "فاطمة مريم عائشة خديجة آمنة زينب سارة نور هبة رنا سناء منى نادية سميرة أسماء إيمان ولاء آلاء رهام "
    "دعاء ياسمين لينا هالة سهى حنان رحاب وفاء سلمى ليلى أمل هدى عبير ميساء رغد شيماء إسراء"
).split()
CLANS_PS = (
    "الشاعر الجعبري التميمي النتشة الرجبي القواسمي الزعتري الحروب العمايرة الهور المصري الأسطل الفرا "
    "النجار الحلو الكرد الحسيني الخطيب الدجاني البرغوثي الشريف العويوي الطويل الجمل حمدان عوض "
    "سلامة منصور"
).split() + ["أبو عرام", "أبو سنينة", "أبو شمالة", "أبو شرخ", "أبو ريا", "أبو عيد", "عوض الله", "أبو الحاج"]
GOVS = [
    ("الخليل", "Hebron", ["الخليل", "يطا", "دورا", "حلحول", "بني نعيم", "السموع", "مخيم العروب"]),
    ("بيت لحم", "Bethlehem", ["بيت لحم", "بيت ساحور", "مخيم عايدة", "تقوع"]),
    ("نابلس", "Nablus", ["نابلس", "مخيم عسكر", "بيتا", "حوارة"]),
    ("جنين", "Jenin", ["جنين", "مخيم جنين", "قباطية", "يعبد"]),
    ("غزة", "Gaza", ["غزة", "مخيم الشاطئ", "الشجاعية"]),
    ("خان يونس", "Khan Younis", ["خان يونس", "بني سهيلا", "عبسان الكبيرة"]),
    ("رفح", "Rafah", ["رفح", "مخيم رفح"]),
    ("دير البلح", "Deir al-Balah", ["دير البلح", "مخيم النصيرات", "مخيم المغازي"]),
]

DIACRITICS = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670", "\u0640"}


def plain(s):
    return "".join(c for c in unicodedata.normalize("NFC", s) if c not in DIACRITICS).strip()


def load_faker():
    first_m, first_f, last = [], [], []
    with open(os.path.join(SHARED, "faker_ar_person_names.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                continue
            loc, field, name = parts
            name = plain(name)
            if not name or len(name.split()) > 2 or "(" in name or loc not in ("ar_PS", "ar_AA", "ar_SA"):
                continue
            {"first_names_male": first_m, "first_names_female": first_f, "last_names": last}.get(field, []).append(name)
    return first_m, first_f, last


def load_ar2en():
    table = {}
    with open(os.path.join(SHARED, "google_ar2en.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[1].replace("'", "").replace("-", "").isalpha():
                table.setdefault(plain(parts[0]), parts[1])
    return table


# --- Romanisation, each agency with its own habits -------------------------------------------

# The spellings of the commonest names, as forms and registrars write them (this project's own
# list, from common usage; the table and the romaniser below cover the rest).
COMMON_LATIN = {
    "محمد": ["Mohammed", "Mohammad", "Muhammad", "Mohamed", "Mohamad", "Mhammad"],
    "أحمد": ["Ahmad", "Ahmed", "Ahmet"], "محمود": ["Mahmoud", "Mahmud", "Mahmood"],
    "علي": ["Ali", "Aly"], "يوسف": ["Yousef", "Yusuf", "Youssef", "Yosef"],
    "إبراهيم": ["Ibrahim", "Ebrahim", "Ibraheem"], "خالد": ["Khaled", "Khalid"],
    "عمر": ["Omar", "Omer", "Umar"], "مصطفى": ["Mustafa", "Moustafa", "Mostafa"],
    "حسن": ["Hasan", "Hassan"], "حسين": ["Hussein", "Husain", "Hossein", "Hussain"],
    "سامي": ["Sami", "Samy"], "ناصر": ["Nasser", "Naser"], "جمال": ["Jamal", "Gamal"],
    "عادل": ["Adel", "Adil"], "رائد": ["Raed", "Ra'ed"], "إياد": ["Iyad", "Eyad"],
    "نضال": ["Nidal", "Nedal"], "وائل": ["Wael", "Wa'il"], "فادي": ["Fadi", "Fady"],
    "عماد": ["Imad", "Emad"], "ماهر": ["Maher", "Mahir"], "سعيد": ["Saeed", "Said", "Sa'id"],
    "موسى": ["Musa", "Mousa", "Moussa"], "عيسى": ["Issa", "Eisa"], "إسماعيل": ["Ismail", "Esmail"],
    "فاطمة": ["Fatima", "Fatma", "Fatmeh", "Fatimah"], "مريم": ["Maryam", "Mariam", "Mariem"],
    "عائشة": ["Aisha", "Aysha", "Aesha"], "خديجة": ["Khadija", "Khadijeh", "Khadeeja"],
    "آمنة": ["Amna", "Amneh", "Amina"], "زينب": ["Zainab", "Zeinab", "Zaynab"],
    "سارة": ["Sara", "Sarah"], "نور": ["Nour", "Noor", "Nur"], "هبة": ["Heba", "Hiba"],
    "أسماء": ["Asmaa", "Asma"], "إيمان": ["Iman", "Eman"], "ولاء": ["Walaa", "Wala"],
}

# letter -> choices (the first is the "official" one an agency may prefer)
ROMAN = {
    "ا": ["a"], "أ": ["a", "'a"], "إ": ["i", "e"], "آ": ["aa", "a"], "ب": ["b"], "ت": ["t"],
    "ث": ["th", "s", "t"], "ج": ["j", "g", "dj"], "ح": ["h", "h", "h", "7"], "خ": ["kh", "ch"], "د": ["d"],
    "ذ": ["dh", "th", "z"], "ر": ["r"], "ز": ["z"], "س": ["s"], "ش": ["sh", "ch"], "ص": ["s"],
    "ض": ["d", "dh"], "ط": ["t"], "ظ": ["z", "dh"], "ع": ["a", "'", "e", ""], "غ": ["gh", "g"],
    "ف": ["f"], "ق": ["q", "k", "g"], "ك": ["k"], "ل": ["l"], "م": ["m"], "ن": ["n"],
    "ه": ["h"], "ة": ["a", "ah", "eh"], "و": ["w", "o", "ou", "u"], "ي": ["y", "i", "ee"],
    "ى": ["a"], "ء": ["'", ""], "ؤ": ["'", "o"], "ئ": ["'", "i"],
}
SHORT_VOWELS = ["a", "a", "e", "i", "o", "u"]


def romanise_token(tok, rng, style):
    """A Latin spelling of one Arabic token, written by ear (no table): a short vowel after the
    first consonant and wherever two consonants would otherwise meet a third."""
    if tok == "آل":
        return rng.choice(["Al", "Aal", "Al"])
    out = []
    chars = [c for c in tok if c in ROMAN]
    run = 0  # consonants written since the last vowel
    for i, c in enumerate(chars):
        ch = ROMAN[c]
        last = i == len(chars) - 1
        pick = ch[0] if rng.random() < style["official"] else rng.choice(ch)
        if c == "و" and i > 0:
            pick = rng.choice(["u", "o", "ou"]) if last else ("ou" if rng.random() < style["official"] else rng.choice(["o", "ou", "u", "w"]))
        if c == "ي" and i > 0:
            pick = rng.choice(["i", "y", "ee"]) if last else ("i" if rng.random() < style["official"] else rng.choice(["i", "ee", "ei", "y"]))
        out.append(pick)
        vowel = c in "اأإآىةع" or (c in "وي" and i > 0)
        run = 0 if vowel else run + 1
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        next_consonant = nxt and nxt not in "اويةىأإآع"
        if not vowel and next_consonant and (i == 0 or run >= 2):
            out.append(style["vowel"] if rng.random() < 0.75 else rng.choice(SHORT_VOWELS))
            run = 0
    word = "".join(out).replace("''", "'").strip("'")
    return word[:1].upper() + word[1:] if word else word


def romanise_name(tokens, rng, style, ar2en):
    words = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "عبد" and i + 1 < len(tokens):
            rest = tokens[i + 1]
            if rest == "الله":
                words.append(rng.choice(["Abdullah", "Abdallah", "Abd Allah", "Abdalla", "Abdulla"]))
                i += 2
                continue
            rest = rest[2:] if rest.startswith("ال") else rest
            stem = romanise_token(rest, rng, style)
            form = rng.choice(style["abd"])
            words.append(form.replace("X", stem))
            i += 2
            continue
        if t in ("أبو", "ابو") and i + 1 < len(tokens):
            words.append(rng.choice(["Abu", "Abou", "Abo"]) + " " + latin_of(tokens[i + 1], rng, style, ar2en))
            i += 2
            continue
        words.append(latin_of(t, rng, style, ar2en))
        i += 1
    return " ".join(w for w in words if w)


def latin_of(tok, rng, style, ar2en):
    article = tok.startswith("ال") and len(tok) > 3
    stem = tok[2:] if article else tok
    common = COMMON_LATIN.get(tok)
    if common and rng.random() < 0.95:
        return common[0] if rng.random() < style["official"] else rng.choice(common)
    known = ar2en.get(tok) or ar2en.get(stem)
    if known and rng.random() < style["table"]:
        w = known.replace("'", "") if rng.random() < 0.5 else known
        w = w[:1].upper() + w[1:]
        if w.lower().startswith(("al-", "el-", "al ")):
            w = w[3:]
            w = w[:1].upper() + w[1:]
    else:
        w = romanise_token(stem, rng, style)
    if article:
        form = rng.choice(style["article"])
        return form.replace("X", w)
    return w


# --- Arabic typing slips -----------------------------------------------------------------

SLIPS = [("ة", "ه", 0.35), ("أ", "ا", 0.25), ("إ", "ا", 0.2), ("آ", "ا", 0.1), ("ى", "ي", 0.15),
         ("ي", "ى", 0.03), ("ص", "س", 0.01), ("ط", "ت", 0.01), ("ض", "د", 0.01), ("ظ", "ز", 0.01)]


def slip(name, rng, rate):
    if rng.random() > rate:
        return name
    out = name
    for a, b, p in SLIPS:
        if a in out and rng.random() < p:
            out = out.replace(a, b, 1)
    r = rng.random()
    if r < 0.06:
        out = out + out[-1]  # doubled last letter
    elif r < 0.1:
        out = out.replace("عبد ال", "عبدال", 1) if "عبد ال" in out else out.replace("عبدال", "عبد ال", 1)
    elif r < 0.13:
        out = out.replace("أبو ", "ابو", 1) if "أبو " in out else out
    elif r < 0.15:
        out = "ا" + out if out.startswith("ا") else out
    return out


# --- The population ----------------------------------------------------------------------

def zipf_pick(rng, items, s=1.05):
    # inverse-CDF over precomputed weights kept on the list object
    key = (id(items), s)
    cdf = ZIPF_CACHE.get(key)
    if cdf is None:
        total, cdf = 0.0, []
        for i in range(len(items)):
            total += 1.0 / (i + 1) ** s
            cdf.append(total)
        ZIPF_CACHE[key] = cdf
    x = rng.random() * cdf[-1]
    lo, hi = 0, len(cdf) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return items[lo]


ZIPF_CACHE = {}


class People:
    def __init__(self, rng):
        fm, ff, fl = load_faker()
        self.rng = rng
        self.male = MALE_COMMON + [n for n in fm if n not in MALE_COMMON]
        self.female = FEMALE_COMMON + [n for n in ff if n not in FEMALE_COMMON]
        self.clans = CLANS_PS + [n for n in fl if n not in CLANS_PS]
        self.persons = []  # person id -> dict

    def person(self, **kw):
        kw["id"] = len(self.persons)
        self.persons.append(kw)
        return kw


def birth(rng, lo, hi):
    y = rng.randint(lo, hi)
    m = rng.randint(1, 12)
    d = rng.randint(1, 28)
    return (y, m, d)


def national_id(rng, used):
    while True:
        v = rng.choice("489") + "".join(rng.choice("0123456789") for _ in range(8))
        if v not in used:
            used.add(v)
            return v


def make_households(n, rng):
    pop = People(rng)
    used_ids = set()
    households = []
    # towns: each with its own clan list (a few large clans, a long tail)
    towns = []
    for gov_ar, gov_en, locs in GOVS:
        for loc in locs:
            clans = pop.clans[:]
            rng.shuffle(clans)
            big = clans[:6]
            towns.append({"gov": gov_ar, "gov_en": gov_en, "loc": loc, "clans": big + clans[6:60]})
    # families of brothers: a grandfather and his sons, each son heading a household
    while len(households) < n:
        town = rng.choice(towns)
        clan = zipf_pick(rng, town["clans"], 1.2)
        grandfather = zipf_pick(rng, pop.male)
        father = zipf_pick(rng, pop.male)
        brothers = rng.choice([1, 1, 2, 2, 3, 4])
        used_first = set()
        for _ in range(brothers):
            if len(households) >= n:
                break
            first = zipf_pick(rng, pop.male)
            while first in used_first:
                first = zipf_pick(rng, pop.male)
            used_first.add(first)
            households.append(make_household(pop, rng, used_ids, town, clan, first, father, grandfather))
            # a second wife, in the same household, now and then
            h0 = households[-1]
            if rng.random() < 0.02 and h0["members"][0]["sex"] == "M":
                second_wife(pop, rng, used_ids, town, h0)
    return pop, households


def make_household(pop, rng, used_ids, town, clan, first, father, grandfather):
    rng_ = rng
    kind = rng_.random()
    hh = {"town": town, "members": [], "moved_to": None}
    if rng_.random() < 0.04:
        hh["moved_to"] = rng_.choice(GOVS)
    head_birth = birth(rng_, 1950, 1998)
    if kind < 0.12:
        # a widow or divorced woman heads the household, under her own father's names
        wfather, wgrand = zipf_pick(rng_, pop.male), zipf_pick(rng_, pop.male)
        wclan = zipf_pick(rng_, town["clans"], 1.2)
        head = pop.person(first=zipf_pick(rng_, pop.female), father=wfather, grand=wgrand, family=wclan,
                          sex="F", birth=head_birth, nid=national_id(rng_, used_ids), role="head")
        hh["members"].append(head)
        kids_father = first  # the late husband
        kids_grand = father
        kids_family = clan
    else:
        head = pop.person(first=first, father=father, grand=grandfather, family=clan, sex="M",
                          birth=head_birth, nid=national_id(rng_, used_ids), role="head")
        hh["members"].append(head)
        if rng_.random() < 0.93:
            wclan = clan if rng_.random() < 0.3 else zipf_pick(rng_, town["clans"], 1.2)
            wb = birth(rng_, max(1950, head_birth[0] - 2), min(2004, head_birth[0] + 12))
            hh["members"].append(pop.person(first=zipf_pick(rng_, pop.female), father=zipf_pick(rng_, pop.male),
                                             grand=zipf_pick(rng_, pop.male), family=wclan, sex="F", birth=wb,
                                             nid=national_id(rng_, used_ids), role="spouse"))
        kids_father, kids_grand, kids_family = first, father, clan
    children = rng_.choice([0, 1, 2, 3, 3, 4, 4, 5, 6, 7])
    born = max(head_birth[0] + 18, 1975)
    named_after_grandfather = False
    for _ in range(children):
        if born > 2025:
            break
        cb = birth(rng_, born, min(2025, born + 3))
        born = cb[0] + 1
        sex = rng_.choice("MF")
        if sex == "M" and not named_after_grandfather and rng_.random() < 0.7:
            name = kids_grand  # the first son carries his grandfather's name
            named_after_grandfather = True
        else:
            name = zipf_pick(rng_, pop.male if sex == "M" else pop.female)
        nid = national_id(rng_, used_ids) if cb[0] < 2016 or rng_.random() < 0.5 else None
        hh["members"].append(pop.person(first=name, father=kids_father, grand=kids_grand, family=kids_family,
                                         sex=sex, birth=cb, nid=nid, role="child"))
    if rng_.random() < 0.06:
        # the husband's widowed mother lives with them
        hh["members"].append(pop.person(first=zipf_pick(rng_, pop.female), father=zipf_pick(rng_, pop.male),
                                         grand=zipf_pick(rng_, pop.male), family=zipf_pick(rng_, town["clans"], 1.2),
                                         sex="F", birth=birth(rng_, 1935, 1955), nid=national_id(rng_, used_ids),
                                         role="other"))
    hh["phone"] = "059" + "".join(rng_.choice("0123456789") for _ in range(7)) if rng_.random() < 0.8 else None
    return hh


def second_wife(pop, rng, used_ids, town, h0):
    """A second, younger wife joins the household; some agencies list her, some the first."""
    wife = pop.person(first=zipf_pick(rng, pop.female), father=zipf_pick(rng, pop.male),
                      grand=zipf_pick(rng, pop.male), family=zipf_pick(rng, town["clans"], 1.2),
                      sex="F", birth=birth(rng, 1978, 2002), nid=national_id(rng, used_ids), role="spouse")
    h0["members"].insert(1 if rng.random() < 0.5 else 2, wife)


# --- Agencies ----------------------------------------------------------------------------

AGENCIES = {
    "MOSD": dict(script="ar", parts=4, id_rate=0.95, id_typo=0.01, phone_rate=0.5, slips=0.05,
                 members="all", dob="full", order="given", share=0.35),
    "UNAG": dict(script="la", parts=3, id_rate=0.85, id_typo=0.02, phone_rate=0.6, slips=0.0,
                 members="all", dob="full", order="given", share=0.2,
                 style=dict(official=0.8, vowel="a", table=0.7, article=["Al-X", "Al X"],
                            abd=["Abdul X", "Abd Al-X", "Abdel X"])),
    "LNGO": dict(script="ar", parts=3, id_rate=0.6, id_typo=0.05, phone_rate=0.9, slips=0.6,
                 members="core", dob="mixed", order="given", share=0.2),
    "INGO": dict(script="la", parts=2, id_rate=0.25, id_typo=0.03, phone_rate=0.95, slips=0.0,
                 members="core", dob="mixed", order="given", share=0.15,
                 style=dict(official=0.5, vowel="e", table=0.4, article=["El-X", "Al-X", "AlX", "El X"],
                            abd=["Abdel X", "Abdul X", "Abed X"])),
    "ZAKAT": dict(script="ar", parts=3, id_rate=0.7, id_typo=0.03, phone_rate=0.7, slips=0.3,
                  members="head", dob="year", order="mixed", share=0.1),
}
TYPES = [("cash", 0.5), ("food", 0.3), ("voucher", 0.2)]


def pick_weighted(rng, pairs):
    x = rng.random() * sum(w for _, w in pairs)
    for v, w in pairs:
        x -= w
        if x <= 0:
            return v
    return pairs[-1][0]


def id_typo(rng, nid):
    d = list(nid)
    if rng.random() < 0.5:
        i = rng.randrange(1, len(d))
        d[i] = rng.choice([c for c in "0123456789" if c != d[i]])
    else:
        i = rng.randrange(1, len(d) - 1)
        d[i], d[i + 1] = d[i + 1], d[i]
    return "".join(d)


def phone_form(rng, p):
    rest = p[1:]
    return rng.choice([p, "+970" + rest, "00970 " + rest[:2] + " " + rest[2:], p[:3] + "-" + p[3:6] + "-" + p[6:]])


def name_of(person, ag, rng, ar2en, household_head):
    parts = [person["first"], person["father"], person["grand"], person["family"]]
    n = ag["parts"]
    if n == 3:
        parts = [parts[0], parts[1], parts[3]]
    elif n == 2:
        parts = [parts[0], parts[3]]
    if n == 4 and rng.random() < 0.1:
        parts = [parts[0], parts[1], parts[3]]  # grandfather left out now and then
    if ag["order"] == "mixed" and rng.random() < 0.3:
        parts = parts[-1:] + parts[:-1]  # family name first
    tokens = " ".join(parts).split()
    if ag["script"] == "la":
        return romanise_name(tokens, rng, ag["style"], ar2en)
    return " ".join(slip(p, rng, ag["slips"]) for p in parts)


def dob_of(person, ag, rng):
    y, m, d = person["birth"]
    mode = ag["dob"]
    if mode == "year" or (mode == "mixed" and rng.random() < 0.25):
        return f"{y:04d}"
    if mode == "mixed" and rng.random() < 0.05 and d <= 12 and d != m:
        m, d = d, m  # day and month swapped
    if rng.random() < 0.02:
        d = min(28, max(1, d + rng.choice([-1, 1])))
    return f"{y:04d}-{m:02d}-{d:02d}"


def record(hh, agency, ag, rng, ar2en, serial, month, kind):
    members = hh["members"]
    if ag["members"] == "head":
        chosen = members[:1]
    elif ag["members"] == "core":
        chosen = members[:2] if rng.random() < 0.5 else members[: rng.randint(1, len(members))]
    else:
        chosen = members if rng.random() < 0.9 else members[: max(1, len(members) - 1)]
    out, truth = [], []
    for m in chosen:
        o = {"role": m["role"], "name": name_of(m, ag, rng, ar2en, members[0])}
        if m["nid"] and rng.random() < ag["id_rate"]:
            o["national_id"] = id_typo(rng, m["nid"]) if rng.random() < ag["id_typo"] else m["nid"]
        if rng.random() < 0.9:
            o["date_of_birth"] = dob_of(m, ag, rng)
        if rng.random() < 0.85:
            o["sex"] = m["sex"]
        if m["role"] == "head" and hh["phone"] and rng.random() < ag["phone_rate"]:
            o["phone"] = phone_form(rng, hh["phone"])
        out.append(o)
        truth.append(m["id"])
    town = hh["town"]
    gov, loc = town["gov"], town["loc"]
    if hh["moved_to"] and month >= 6:
        gov, _, locs = hh["moved_to"]
        loc = locs[0]
    if ag["script"] == "la":
        gov_name = next((en for ar, en, _ in GOVS if ar == gov), gov)
        location = {"governorate": gov_name}
    else:
        location = {"governorate": gov, "locality": loc}
    start = f"2026-{month:02d}-01"
    end = f"2026-{month:02d}-28" if kind != "food" else f"2026-{min(12, month + 1):02d}-28"
    body = {
        "external_id": f"{agency}-{serial}",
        "assistance": {"type": kind, "program": f"{agency} {kind}", "amount": rng.choice([300, 500, 750, 1000]),
                       "currency": "ILS", "period_start": start, "period_end": end},
        "location": location,
        "members": out,
    }
    return body, truth


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    out_path = sys.argv[3] if len(sys.argv) > 3 else f"/tmp/othercase-{n}-{seed}.jsonl"
    rng = random.Random(seed)
    ar2en = load_ar2en()
    pop, households = make_households(n, rng)
    names = list(AGENCIES)
    shares = [(a, AGENCIES[a]["share"]) for a in names]
    lines = []
    serial = 0
    for hi, hh in enumerate(households):
        # how many agencies serve this household, and how often
        k = pick_weighted(rng, [(1, 0.5), (2, 0.3), (3, 0.14), (4, 0.06)])
        served = set()
        while len(served) < k:
            served.add(pick_weighted(rng, shares))
        for agency in sorted(served):
            ag = AGENCIES[agency]
            months = sorted(rng.sample(range(1, 13), rng.choice([1, 1, 1, 2, 3])))
            kind = pick_weighted(rng, TYPES)
            for month in months:
                serial += 1
                body, truth = record(hh, agency, ag, rng, ar2en, serial, month, kind)
                lines.append((body["assistance"]["period_start"], rng.random(),
                              {"agency": agency, "body": body, "truth": {"household": hi, "members": truth}}))
    lines.sort(key=lambda x: (x[0], x[1]))
    with open(out_path, "w", encoding="utf-8") as f:
        for _, _, line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(lines)} records of {n} households, {len(pop.persons)} persons -> {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
