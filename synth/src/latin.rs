//! Latin spellings of Arabic names: real variants from a table (rigour / Wikidata spellings
//! plus hand-picked Levantine forms) and a rule romaniser with several house styles.

use crate::data::tables;
use rand::Rng;
use serde::Serialize;

/// A romanisation house style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Simple ALA-LC-ish: q, kh, sh, dh, ' for ع and hamza, u/i for long vowels.
    Ala,
    /// English-phonetic as on UN lists: ou/ee, ع dropped, Al-.
    English,
    /// French-ish: ou, ch, dj, k for ق, El.
    French,
    /// Casual Levantine: e for short vowels, eh for ة, k for ق, z for ذ/ظ.
    Casual,
}

/// Hand-picked common Levantine spellings of the most frequent names.
const PREFERRED: &[(&str, &[&str])] = &[
    ("محمد", &["Mohammed", "Mohammad", "Muhammad", "Mohamed", "Mohamad", "Muhammed"]),
    ("أحمد", &["Ahmad", "Ahmed", "Ahmad", "Ahmed", "Ahmmad"]),
    ("محمود", &["Mahmoud", "Mahmud", "Mahmood"]),
    ("عبد الله", &["Abdallah", "Abdullah", "Abd Allah", "Abdalla", "Abdulla", "Abed Allah"]),
    ("عبد الرحمن", &["Abdelrahman", "Abdulrahman", "Abd Al-Rahman", "Abdel Rahman", "Abdurrahman"]),
    ("خالد", &["Khaled", "Khalid"]),
    ("علي", &["Ali", "Aly"]),
    ("يوسف", &["Yousef", "Yusuf", "Youssef", "Yousif", "Yosef"]),
    ("إبراهيم", &["Ibrahim", "Ebrahim", "Ibraheem", "Ibrahem"]),
    ("عمر", &["Omar", "Umar", "Omer"]),
    ("مصطفى", &["Mustafa", "Mostafa", "Moustafa", "Mustapha"]),
    ("حسن", &["Hasan", "Hassan"]),
    ("حسين", &["Hussein", "Hussain", "Husain", "Hossein"]),
    ("إسماعيل", &["Ismail", "Ismael", "Esmail", "Isma'il"]),
    ("سعيد", &["Saeed", "Said", "Saed", "Sa'id"]),
    ("سامي", &["Sami", "Samy"]),
    ("ناصر", &["Nasser", "Naser", "Nasir"]),
    ("إياد", &["Iyad", "Eyad", "Ayad"]),
    ("أيمن", &["Ayman", "Aiman", "Aymen"]),
    ("يحيى", &["Yahya", "Yehya", "Yahia"]),
    ("فاطمة", &["Fatima", "Fatmeh", "Fatimah", "Fatma", "Fatme"]),
    ("مريم", &["Mariam", "Maryam", "Mariem", "Miriam"]),
    ("آمنة", &["Amna", "Amneh", "Amena", "Aminah"]),
    ("عائشة", &["Aisha", "Aysha", "Aicha", "Ayesha", "A'isha"]),
    ("خديجة", &["Khadija", "Khadijeh", "Khadeejah", "Khadeeja"]),
    ("زينب", &["Zainab", "Zeinab", "Zaynab"]),
    ("أسماء", &["Asmaa", "Asma", "Asma'"]),
    ("إيمان", &["Iman", "Eman", "Imane"]),
    ("هدى", &["Huda", "Hoda", "Houda"]),
    ("نور", &["Nour", "Noor", "Nur"]),
    ("آلاء", &["Alaa", "Ala'", "Ala"]),
    ("إسراء", &["Israa", "Esraa", "Isra"]),
    ("دعاء", &["Doaa", "Duaa", "Du'a"]),
    ("ولاء", &["Walaa", "Wala'", "Wala"]),
    ("هبة", &["Heba", "Hiba", "Hibah"]),
    ("سناء", &["Sanaa", "Sana'", "Sana"]),
];

fn is_vowel_letter(c: char) -> bool {
    matches!(c, 'ا' | 'و' | 'ي' | 'ى' | 'ة' | 'آ')
}

fn pick<'a, R: Rng + ?Sized>(rng: &mut R, opts: &[&'a str]) -> &'a str {
    opts[rng.random_range(0..opts.len())]
}

fn consonant<R: Rng + ?Sized>(c: char, style: Style, rng: &mut R) -> Option<&'static str> {
    use Style::*;
    Some(match c {
        'ب' => "b",
        'ت' | 'ط' => "t",
        'ث' => match style {
            Casual | French => pick(rng, &["s", "th", "t"]),
            _ => "th",
        },
        'ج' => match style {
            French => "dj",
            _ if rng.random_bool(0.03) => "g",
            _ => "j",
        },
        'ح' | 'ه' => "h",
        'خ' => "kh",
        'د' | 'ض' => "d",
        'ذ' | 'ظ' => match style {
            Ala => {
                if c == 'ذ' {
                    "dh"
                } else {
                    "z"
                }
            }
            English => {
                if c == 'ذ' {
                    pick(rng, &["th", "dh", "z"])
                } else {
                    "z"
                }
            }
            French | Casual => pick(rng, &["z", "d", "dh"]),
        },
        'ر' => "r",
        'ز' => "z",
        'س' | 'ص' => "s",
        'ش' => match style {
            French => "ch",
            _ => "sh",
        },
        'ع' => match style {
            Ala => "'",
            _ => "",
        },
        'غ' => match style {
            French => pick(rng, &["gh", "r"]),
            _ => "gh",
        },
        'ف' => "f",
        'ق' => match style {
            Ala => "q",
            English => pick(rng, &["q", "q", "k"]),
            French | Casual => pick(rng, &["k", "q", "'"]),
        },
        'ك' => "k",
        'ل' => "l",
        'م' => "m",
        'ن' => "n",
        'ء' | 'ئ' | 'ؤ' => match style {
            Ala => "'",
            _ => pick(rng, &["'", "", ""]),
        },
        _ => return None,
    })
}

fn short_vowel<R: Rng + ?Sized>(style: Style, rng: &mut R) -> &'static str {
    match style {
        Style::Ala => "a",
        Style::English => {
            if rng.random_bool(0.7) {
                "a"
            } else {
                "e"
            }
        }
        Style::French => {
            if rng.random_bool(0.6) {
                "a"
            } else {
                "e"
            }
        }
        Style::Casual => {
            if rng.random_bool(0.5) {
                "a"
            } else {
                "e"
            }
        }
    }
}

/// Romanises one Arabic word (no spaces) in a style; lower case.
pub fn romanize_word<R: Rng + ?Sized>(word: &str, style: Style, rng: &mut R) -> String {
    let c: Vec<char> = word.chars().filter(|ch| !matches!(ch, '\u{064B}'..='\u{065F}' | 'ـ')).collect();
    let mut out = String::with_capacity(c.len() * 2);
    let mut last_vowel = false; // whether the last thing written was a vowel
    for i in 0..c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        let prev = if i > 0 { Some(c[i - 1]) } else { None };
        let final_ = next.is_none();
        let vowel_before = last_vowel;
        match ch {
            'ا' | 'أ' | 'إ' | 'آ' if i == 0 => {
                out.push_str(match ch {
                    'إ' => {
                        if matches!(style, Style::English | Style::Casual) && rng.random_bool(0.4) {
                            "e"
                        } else {
                            "i"
                        }
                    }
                    'آ' if rng.random_bool(0.3) => "aa",
                    _ => "a",
                });
                last_vowel = true;
                continue;
            }
            'ا' | 'آ' => {
                out.push_str(if style == Style::English && rng.random_bool(0.05) { "aa" } else { "a" });
                last_vowel = true;
                continue;
            }
            'أ' | 'إ' => {
                if style == Style::Ala {
                    out.push('\'');
                }
                out.push_str(if ch == 'إ' { "i" } else { "a" });
                last_vowel = true;
                continue;
            }
            'و' => {
                if i == 0
                    || next == Some('ا')
                    || prev == Some('ا')
                    || (last_vowel && !final_ && next.is_some_and(is_vowel_letter))
                {
                    out.push('w');
                    last_vowel = false;
                } else {
                    out.push_str(match style {
                        Style::Ala => "u",
                        Style::English => pick(rng, &["ou", "ou", "o", "u"]),
                        Style::French => "ou",
                        Style::Casual => pick(rng, &["o", "ou", "oo"]),
                    });
                    last_vowel = true;
                    continue;
                }
            }
            'ي' => {
                if i == 0 || next == Some('ا') || next == Some('و') || prev == Some('ا') && !final_ {
                    out.push('y');
                    last_vowel = false;
                } else {
                    out.push_str(if final_ {
                        match style {
                            Style::Casual => pick(rng, &["i", "y", "ee"]),
                            _ => "i",
                        }
                    } else {
                        match style {
                            Style::Ala | Style::French => "i",
                            Style::English => pick(rng, &["i", "ee", "i"]),
                            Style::Casual => pick(rng, &["ee", "i", "e"]),
                        }
                    });
                    last_vowel = true;
                    continue;
                }
            }
            'ة' => {
                out.push_str(match style {
                    Style::Ala => pick(rng, &["a", "ah"]),
                    Style::English => pick(rng, &["a", "ah", "a"]),
                    Style::French => "a",
                    Style::Casual => pick(rng, &["eh", "a", "e"]),
                });
                last_vowel = true;
                continue;
            }
            'ى' => {
                out.push('a');
                last_vowel = true;
                continue;
            }
            'ع' if style != Style::Ala => {
                // No letter for ع: it shows as a vowel (Shaer, Saeed) or vanishes.
                if i == 0 {
                    out.push('a');
                } else if !final_ {
                    out.push_str(if last_vowel { "e" } else { "a" });
                } else {
                    out.push('a');
                }
                last_vowel = true;
                continue;
            }
            _ => {
                match consonant(ch, style, rng) {
                    Some(s) => out.push_str(s),
                    None => continue,
                }
                last_vowel = false;
            }
        }
        // After a consonant: insert a short vowel if a consonant follows and this one opens a syllable.
        if let Some(n) = next
            && !is_vowel_letter(n)
            && n != 'أ'
            && n != 'إ'
            && !vowel_before
        {
            out.push_str(short_vowel(style, rng));
            last_vowel = true;
        }
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut up = true;
    for ch in s.chars() {
        if up && ch.is_ascii_alphabetic() {
            out.push(ch.to_ascii_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
        if ch == ' ' || ch == '-' {
            up = true;
        }
    }
    out
}

fn table_variant<R: Rng + ?Sized>(name: &str, rng: &mut R, use_rigour: f64) -> Option<String> {
    if let Some((_, v)) = PREFERRED.iter().find(|(a, _)| *a == name)
        && !rng.random_bool(use_rigour * 0.5)
    {
        return Some(pick(rng, v).to_string());
    }
    let t = tables();
    let v = t.latin.get(name)?;
    if rng.random_bool(use_rigour) {
        // Favour the first listed spellings a little: they are the commoner ones.
        let n = v.len();
        let i = rng.random_range(0..n).min(rng.random_range(0..n));
        Some(capitalize(v[i]))
    } else {
        None
    }
}

/// A Latin article for a family name, in a given agency style.
pub fn article<R: Rng + ?Sized>(style: Style, rng: &mut R) -> &'static str {
    match style {
        Style::Ala => pick(rng, &["al-", "Al-", "Al-", "al "]),
        Style::English => pick(rng, &["Al-", "Al ", "Al", "El-", "Al-"]),
        Style::French => pick(rng, &["El ", "El-", "el-", "Al "]),
        Style::Casual => pick(rng, &["Al", "El ", "Al ", "Al-", "El"]),
    }
}

/// One name part (it may be a compound with a space) in Latin script.
pub fn latin_part<R: Rng + ?Sized>(
    part: &str,
    is_family: bool,
    style: Style,
    use_rigour: f64,
    drop_article: bool,
    rng: &mut R,
) -> String {
    // Family names with the article go through the article styles below.
    if !(is_family && part.starts_with("ال"))
        && let Some(v) = table_variant(part, rng, use_rigour)
    {
        return capitalize(&v);
    }
    // Family names with the article.
    if let Some(core) = part.strip_prefix("ال").filter(|c| c.chars().count() >= 3 && !part.starts_with("الله")) {
        let core_l = table_variant(core, rng, use_rigour).unwrap_or_else(|| romanize_word(core, style, rng));
        if drop_article {
            return capitalize(&core_l);
        }
        let art = article(style, rng);
        let joined = format!("{art}{}", capitalize(&core_l));
        return if art.ends_with(['-', ' ']) { capitalize_after_sep(&joined) } else { joined };
    }
    let words: Vec<&str> = part.split(' ').collect();
    if words.len() == 2 {
        let (a, b) = (words[0], words[1]);
        if a == "عبد" {
            let rest = b.strip_prefix("ال").unwrap_or(b);
            let rest_l = table_variant(rest, rng, use_rigour).unwrap_or_else(|| romanize_word(rest, style, rng));
            let pre = match style {
                Style::Ala => pick(rng, &["Abd al-", "Abdul", "Abd al "]),
                Style::English => pick(rng, &["Abdel", "Abdul", "Abdel ", "Abdul ", "Abd El-"]),
                Style::French => pick(rng, &["Abdel", "Abdel ", "Abd El "]),
                Style::Casual => pick(rng, &["Abed ", "Abdel", "Abd ", "Abdul "]),
            };
            return capitalize_join(pre, &rest_l);
        }
        if a == "أبو" || a == "ابو" {
            let rest_l = latin_part(b, false, style, use_rigour, drop_article, rng);
            let pre = match style {
                Style::French => pick(rng, &["Abou ", "Abou-", "Abu "]),
                Style::Casual => pick(rng, &["Abu ", "Abo ", "Abu"]),
                _ => pick(rng, &["Abu ", "Abu-", "Abu "]),
            };
            return capitalize_join(pre, &rest_l);
        }
        if b == "الدين" {
            let first = latin_part(a, false, style, use_rigour, drop_article, rng);
            let suf = pick(rng, &[" Eddin", " el-Din", " al-Din", "eddin", " Al Deen", "uddin"]);
            return format!("{first}{suf}");
        }
        let x = latin_part(a, false, style, use_rigour, drop_article, rng);
        let y = latin_part(b, b.starts_with("ال"), style, use_rigour, drop_article, rng);
        return format!("{x} {y}");
    }
    capitalize(&romanize_word(part, style, rng))
}

fn capitalize_after_sep(s: &str) -> String {
    // "al-shaer" → "al-Shaer": capitalise the core only.
    let mut out = String::with_capacity(s.len());
    let mut up = false;
    for ch in s.chars() {
        if up && ch.is_ascii_alphabetic() {
            out.push(ch.to_ascii_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
        if ch == '-' || ch == ' ' {
            up = true;
        }
    }
    out
}

fn capitalize_join(pre: &str, rest: &str) -> String {
    if pre.ends_with(' ') || pre.ends_with('-') {
        format!("{pre}{}", capitalize(rest))
    } else {
        format!("{pre}{}", rest.to_ascii_lowercase())
    }
}

/// A Latin typing slip: a dropped, doubled or swapped letter, or a vowel changed.
pub fn typo<R: Rng + ?Sized>(name: &mut String, rng: &mut R) {
    let mut c: Vec<char> = name.chars().collect();
    let letters: Vec<usize> = (0..c.len()).filter(|&i| c[i].is_ascii_alphabetic()).collect();
    if letters.len() < 4 {
        return;
    }
    let i = letters[rng.random_range(1..letters.len())];
    match rng.random_range(0..4) {
        0 => {
            c.remove(i);
        }
        1 => c.insert(i, c[i]),
        2 => {
            if i + 1 < c.len() && c[i + 1].is_ascii_alphabetic() {
                c.swap(i, i + 1);
            }
        }
        _ => {
            if let Some(v) = "aeiou".find(c[i].to_ascii_lowercase()) {
                let to = "eaoiu".as_bytes()[v] as char;
                c[i] = if c[i].is_ascii_uppercase() { to.to_ascii_uppercase() } else { to };
            } else {
                c.insert(i, 'e');
            }
        }
    }
    *name = c.into_iter().collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn romanises_plausibly() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for (ar, want) in [("خليل", "khalil"), ("جرار", "jarar"), ("دغمش", "daghmash"), ("قشطة", "qashta")]
        {
            assert_eq!(romanize_word(ar, Style::Ala, &mut rng), want);
        }
        let s = latin_part("الشاعر", true, Style::English, 0.0, false, &mut rng);
        assert!(s.to_lowercase().contains("sha"), "{s}");
        let s = latin_part("عبد الكريم", false, Style::English, 0.0, false, &mut rng);
        assert!(s.starts_with("Abd"), "{s}");
    }
}
