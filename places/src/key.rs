//! Comparison keys of place names.
//!
//! Policy: both the gazetteer's spellings and the text being resolved go through the same
//! function, so a key only has to be equal for two spellings of one place, never "correct". The
//! personal-name normalisation of `bawaba-matching` does the script work (Unicode clean-up, alef,
//! hamza, ya and taa marbuta forms, diacritics, case, accents, the article written apart); on top
//! of it a place key
//! - drops the words that say what kind of place it is (camp, مخيم, city, مدينة, governorate,
//!   محافظة, village, "and", و…), remembering whether a camp or a governorate word was there;
//! - drops the article from the front of each word (al-, el-, ال), and a hamza on the line;
//! - loosens Latin vowels the way transliterations vary (ou/oo → u, ee/ei/ey/ai/ay → i,
//!   aw/au/ow → u, o → u, e → i, y → i, q → k, doubled letters once, a final vowel + h dropped),
//!   so Beit / Bayt / Bait, Deir / Dayr, Younis / Yunis / Yonis and Lahia / Lahya meet;
//! - joins the words with nothing between them, so خانيونس meets خان يونس and Khanyounis meets
//!   Khan Younis.
//!
//! The cross-script fallback is the consonant skeleton of `bawaba-matching`
//! ([`bawaba_matching::phonetic::skeleton`]) over the same words, joined.

use bawaba_matching::{normalize, phonetic};
use std::sync::OnceLock;

/// What a text says besides the place's name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    /// A camp word (camp, مخيم, refugee, RC) was written.
    pub camp: bool,
    /// A governorate word (governorate, محافظة, province) was written.
    pub governorate: bool,
}

/// The key of a text, with its marks and the kept words (normalised, for the skeleton).
#[derive(Debug, Clone, Default)]
pub(crate) struct Key {
    /// The loose, joined key; empty when the text has no letters or digits.
    pub key: String,
    /// Marks found in the text.
    pub marks: Marks,
    /// The text as normalised, and which of its words were kept (bit i for word i), for the
    /// skeleton, which only a miss needs.
    norm: String,
    kept: u64,
}

impl Key {
    /// The joined consonant skeleton of the kept words (one letter per consonant class).
    pub fn skeleton(&self) -> String {
        let words: Vec<&str> = self
            .norm
            .split(' ')
            .filter(|s| !s.is_empty())
            .enumerate()
            .filter(|(i, _)| *i >= 64 || self.kept & (1 << i) != 0)
            .map(|(_, w)| w)
            .collect();
        let mut s = phonetic::skeleton(&words.join(" "));
        s.retain(|c| c != ' ' && c != '?');
        s
    }
}

/// Kind words as normalised, sorted for binary search.
struct Words {
    camp: Vec<String>,
    governorate: Vec<String>,
    drop: Vec<String>,
}

fn words() -> &'static Words {
    static W: OnceLock<Words> = OnceLock::new();
    W.get_or_init(|| {
        let norm = |list: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = list
                .iter()
                .flat_map(|w| normalize::name(w).split(' ').map(str::to_owned).collect::<Vec<_>>())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        Words {
            camp: norm(&[
                "camp",
                "camps",
                "rc",
                "refugee",
                "refugees",
                "mukhayyam",
                "mukhayam",
                "mokhayam",
                "mukhaym",
                "مخيم",
                "مخيمات",
                "معسكر",
                "لاجئين",
                "للاجئين",
                "اللاجئين",
            ]),
            governorate: norm(&[
                "governorate",
                "governate",
                "governorates",
                "gov",
                "province",
                "district",
                "muhafaza",
                "muhafazat",
                "محافظة",
                "محافظات",
            ]),
            drop: norm(&[
                "city",
                "town",
                "village",
                "municipality",
                "and",
                "of",
                "the",
                "مدينة",
                "بلدة",
                "قرية",
                "بلدية",
                "و",
            ]),
        }
    })
}

/// Whether a normalised word or key is Arabic script.
pub(crate) fn is_arabic(word: &str) -> bool {
    word.chars().next().is_some_and(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

/// Appends the loose form of one Latin word (lowercase ASCII letters and digits).
fn loose_latin(word: &str, tmp: &mut Vec<u8>, out: &mut String) {
    let mut w = word.as_bytes();
    if w.len() >= 5 && (w.starts_with(b"al") || w.starts_with(b"el")) {
        w = &w[2..];
    }
    tmp.clear();
    let mut i = 0;
    while i < w.len() {
        let pair = (w[i], w.get(i + 1).copied());
        let (b, step) = match pair {
            (b'o', Some(b'u' | b'o')) => (b'u', 2),
            (b'e', Some(b'e' | b'i' | b'y')) => (b'i', 2),
            (b'a', Some(b'i' | b'y')) => (b'i', 2),
            (b'a', Some(b'w' | b'u')) => (b'u', 2),
            (b'o', Some(b'w')) => (b'u', 2),
            (b'c', Some(b'k')) => (b'k', 2),
            (b'o', _) => (b'u', 1),
            (b'e' | b'y', _) => (b'i', 1),
            (b'q', _) => (b'k', 1),
            (c, _) => (c, 1),
        };
        if tmp.last() != Some(&b) || b.is_ascii_digit() {
            tmp.push(b);
        }
        i += step;
    }
    if tmp.len() >= 4 && tmp.last() == Some(&b'h') && matches!(tmp[tmp.len() - 2], b'a' | b'i' | b'u') {
        tmp.pop();
    }
    out.extend(tmp.iter().map(|&b| b as char));
}

/// Appends the loose form of one Arabic word (already folded by the name normalisation).
fn loose_arabic(word: &str, out: &mut String) {
    let rest = word.strip_prefix("ال").filter(|r| r.chars().count() >= 2).unwrap_or(word);
    out.extend(rest.chars().filter(|&c| c != 'ء'));
}

/// The key of a place name or of a text to resolve.
pub(crate) fn key(text: &str) -> Key {
    let w = words();
    let norm = normalize::name(text);
    let mut marks = Marks::default();
    let listed = |list: &[String], word: &str| list.binary_search_by(|x| x.as_str().cmp(word)).is_ok();
    let mut kept: u64 = 0;
    for (i, word) in norm.split(' ').filter(|s| !s.is_empty()).enumerate() {
        if listed(&w.camp, word) {
            marks.camp = true;
        } else if listed(&w.governorate, word) {
            marks.governorate = true;
        } else if i >= 64 || !listed(&w.drop, word) {
            kept |= 1u64.checked_shl(i as u32).unwrap_or(0);
        }
    }
    if kept == 0 {
        // Only kind words ("Camp", "المدينة"): keep them, the text is their name.
        kept = u64::MAX;
        marks = Marks::default();
    }
    let mut key = String::with_capacity(norm.len());
    let mut tmp = Vec::with_capacity(32);
    for (i, word) in norm.split(' ').filter(|s| !s.is_empty()).enumerate() {
        if i < 64 && kept & (1 << i) == 0 {
            continue;
        }
        if is_arabic(word) {
            loose_arabic(word, &mut key);
        } else {
            loose_latin(word, &mut tmp, &mut key);
        }
    }
    Key { key, marks, norm, kept }
}

/// Whether two keys are at most one edit apart (insertion, deletion, substitution or a swap of
/// two neighbours), compared by characters. Allocation-free for keys of up to 64 characters.
pub(crate) fn one_edit(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return one_edit_slices(a.as_bytes(), b.as_bytes());
    }
    let mut ca = ['\0'; 64];
    let mut cb = ['\0'; 64];
    let (mut la, mut lb) = (0, 0);
    for c in a.chars() {
        if la == 64 {
            return false;
        }
        ca[la] = c;
        la += 1;
    }
    for c in b.chars() {
        if lb == 64 {
            return false;
        }
        cb[lb] = c;
        lb += 1;
    }
    one_edit_slices(&ca[..la], &cb[..lb])
}

fn one_edit_slices<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if prefix == la && la == lb {
        return true;
    }
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    if la == lb {
        // Substitution, or a swap of two neighbours.
        ra[1..] == rb[1..] || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
    } else if la > lb {
        ra[1..] == *rb
    } else {
        *ra == rb[1..]
    }
}

/// Levenshtein distance of two keys, by characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_spellings_meet() {
        assert_eq!(key("Khan Younis").key, key("Khanyounis").key);
        assert_eq!(key("Khan Younis").key, key("Khan Yunis").key);
        assert_eq!(key("Khan Younis").key, key("khan-yonis").key);
        assert_eq!(key("خانيونس").key, key("خان يونس").key);
        assert_eq!(key("Beit Lahia").key, key("Bayt Lāhyā").key);
        assert_eq!(key("Deir al-Balah").key, key("Dayr al Balaḩ").key);
        assert_eq!(key("Al-Khalil").key, key("El Khalil").key);
        assert_eq!(key("الخليل").key, key("خليل").key);
        assert_eq!(key("قلقيلية").key, key("قلقيليه").key);
        assert_eq!(key("أريحا").key, key("اريحا").key);
    }

    #[test]
    fn kind_words() {
        let k = key("Jabalia Camp");
        assert!(k.marks.camp);
        assert_eq!(k.key, key("Jabalia").key);
        let k = key("مخيم جباليا");
        assert!(k.marks.camp);
        assert_eq!(k.key, key("جباليا").key);
        assert_eq!(key("Gaza City").key, key("Gaza").key);
        assert_eq!(key("مدينة غزة").key, key("غزة").key);
        assert_eq!(key("Hebron Governorate").key, key("Hebron").key);
        assert!(key("محافظة الخليل").marks.governorate);
        assert!(!key("Camp").key.is_empty());
    }

    #[test]
    fn skeleton_crosses_scripts() {
        assert_eq!(key("Khan Younis").skeleton(), key("خان يونس").skeleton());
        assert_eq!(key("Beit Lahia").skeleton(), key("بيت لاهيا").skeleton());
    }

    #[test]
    fn levenshtein() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("نابلس", "نابلص"), 1);
    }

    #[test]
    fn one_edit_distance() {
        assert!(one_edit("yatta", "yata"));
        assert!(one_edit("jabalia", "jablaia"));
        assert!(one_edit("abc", "abd"));
        assert!(one_edit("abc", "abc"));
        assert!(!one_edit("abc", "cba"));
        assert!(!one_edit("abcd", "ab"));
        assert!(one_edit("ab", "abc"));
    }
}
