//! Cross-script keys: a consonant skeleton shared by Arabic and Latin spellings of one name, and
//! the Arabic–Latin name table built from Wikidata name groups.
//!
//! The skeleton maps both scripts to 14 consonant classes (vowels, ع, ء and the glides و/ي, w/y
//! dropped; doubled classes collapsed), so Mohammed, Muhammad, Mohamad and محمد all give `mhmd`,
//! Fatmeh and فاطمة give `ftm`, Ibrahim, Ebrahim and إبراهيم give `brhm`. It is lossy on purpose
//! (محمد and محمود share it): it serves blocking, term frequencies and a fallback comparison,
//! never a final decision on its own. The name table says which spellings are the same name.

use crate::normalize::{self, *};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// A fast non-cryptographic hasher (FxHash) for byte-string and integer keys.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const FX_K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut v = [0u8; 8];
            v[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(v));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(FX_K);
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub(crate) type FxSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

/// Mixes a 64-bit value (splitmix64 finaliser): for blocking keys.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// Consonant classes (one nibble each).
const B: u8 = 1;
const T: u8 = 2;
const J: u8 = 3;
const H: u8 = 4;
const K: u8 = 5;
const D: u8 = 6;
const R: u8 = 7;
const Z: u8 = 8;
const S: u8 = 9;
const X: u8 = 10;
const F: u8 = 11;
const L: u8 = 12;
const M: u8 = 13;
const N: u8 = 14;

/// Letters of a class, for display.
pub(crate) fn class_letter(c: u8) -> char {
    match c {
        B => 'b',
        T => 't',
        J => 'j',
        H => 'h',
        K => 'k',
        D => 'd',
        R => 'r',
        Z => 'z',
        S => 's',
        X => 'x',
        F => 'f',
        L => 'l',
        M => 'm',
        N => 'n',
        _ => '?',
    }
}

fn arabic_class(b: u8, last: bool) -> u8 {
    match b {
        BA => B,
        TA | THA | TAH => T,
        JIM | GHAIN => J,
        HHA => H,
        HA => {
            if last {
                0
            } else {
                H
            }
        }
        KHA | QAF | KAF => K,
        DAL | THAL | DAD => D,
        RA => R,
        ZAY | ZAH => Z,
        SIN | SAD => S,
        SHIN => X,
        FA => F,
        LAM => L,
        MIM => M,
        NUN => N,
        _ => 0,
    }
}

/// Consonant classes of a token (compact bytes), doubled classes collapsed. At most 15 kept.
pub(crate) fn classes(code: &[u8], out: &mut [u8; 16]) -> usize {
    let mut n = 0usize;
    let mut push = |c: u8, n: &mut usize| {
        if c != 0 && *n < 15 && (*n == 0 || out[*n - 1] != c) {
            out[*n] = c;
            *n += 1;
        }
    };
    let len = code.len();
    let mut i = 0;
    while i < len {
        let b = code[i];
        if is_ar(b) {
            push(arabic_class(b, i + 1 == len), &mut n);
            i += 1;
            continue;
        }
        let nx = code.get(i + 1).copied();
        let (c, step) = match (b, nx) {
            (b'k', Some(b'h')) => (K, 2),
            (b's', Some(b'c')) if code.get(i + 2) == Some(&b'h') => (X, 3),
            (b's', Some(b'h')) | (b'c', Some(b'h')) => (X, 2),
            (b't', Some(b'h')) => (T, 2),
            (b'd', Some(b'h')) => (D, 2),
            (b'g', Some(b'h')) => (J, 2),
            (b'p', Some(b'h')) => (F, 2),
            (b'd', Some(b'j')) => (J, 2),
            (b'c', Some(b'k')) => (K, 2),
            (b'c', Some(b'e' | b'i' | b'y')) => (S, 1),
            (b'h', _) => {
                // A final h after a or e is a ta marbuta ending (Fatimah, Fatmeh), not after
                // u or i (Nouh نوح, Sabih صبيح).
                let final_after_vowel = i + 1 == len && i > 0 && matches!(code[i - 1], b'a' | b'e');
                (if final_after_vowel { 0 } else { H }, 1)
            }
            (b'b' | b'p', _) => (B, 1),
            (b'c' | b'k' | b'q' | b'x', _) => (K, 1),
            (b'd', _) => (D, 1),
            (b'f' | b'v', _) => (F, 1),
            (b'g' | b'j', _) => (J, 1),
            (b'l', _) => (L, 1),
            (b'm', _) => (M, 1),
            (b'n', _) => (N, 1),
            (b'r', _) => (R, 1),
            (b's', _) => (S, 1),
            (b't', _) => (T, 1),
            (b'z', _) => (Z, 1),
            (b'7', _) => (H, 1),
            (b'5', _) => (K, 1),
            _ => (0, 1),
        };
        push(c, &mut n);
        i += step;
    }
    n
}

/// Whether a token starts with the article (ال, al, el) followed by at least three letters.
pub(crate) fn article_len(code: &[u8]) -> usize {
    let arabic = code.len() >= 5 && code[0] == ALEF && code[1] == LAM;
    let latin = code.len() >= 5 && (code.starts_with(b"al") || code.starts_with(b"el"));
    if arabic || latin { 2 } else { 0 }
}

/// Packs classes into a u64 (nibbles, first class highest); 0 for an empty skeleton.
pub(crate) fn pack(cls: &[u8]) -> u64 {
    let mut v: u64 = 0;
    for &c in cls.iter().take(15) {
        v = (v << 4) | u64::from(c);
    }
    v
}

/// Unpacks a skeleton into classes.
pub(crate) fn unpack(mut v: u64, out: &mut [u8; 16]) -> usize {
    let mut tmp = [0u8; 16];
    let mut n = 0;
    while v != 0 && n < 16 {
        tmp[n] = (v & 0xF) as u8;
        v >>= 4;
        n += 1;
    }
    for i in 0..n {
        out[i] = tmp[n - 1 - i];
    }
    n
}

/// The skeleton of a token without its article, and with it.
pub(crate) fn skeletons(code: &[u8]) -> (u64, u64) {
    let mut cls = [0u8; 16];
    let n = classes(code, &mut cls);
    let full = pack(&cls[..n]);
    let art = article_len(code);
    if art == 0 {
        return (full, full);
    }
    let n2 = classes(&code[art..], &mut cls);
    let bare = pack(&cls[..n2]);
    if bare == 0 { (full, full) } else { (bare, full) }
}

/// Display form of a skeleton (`mhmd`).
pub(crate) fn skeleton_string(v: u64) -> String {
    let mut cls = [0u8; 16];
    let n = unpack(v, &mut cls);
    cls[..n].iter().map(|&c| class_letter(c)).collect()
}

/// The consonant skeleton of a name, one key per part, for blocking across scripts.
///
/// ```
/// use bawaba_matching::phonetic::skeleton;
/// assert_eq!(skeleton("Mohammed Ahmad Al-Shaer"), skeleton("محمد أحمد الشاعر"));
/// assert_eq!(skeleton("Fatmeh"), skeleton("فاطمة"));
/// assert_eq!(skeleton("Ebrahim"), skeleton("إبراهيم"));
/// ```
pub fn skeleton(name: &str) -> String {
    let toks = normalize::name_tokens(name);
    let mut out = String::new();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&skeleton_string(skeletons(&t.code).0));
    }
    out
}

/// Arabic–Latin name table, anchored on Arabic spellings: every distinct (normalised) Arabic
/// form of the table has an id; an Arabic token's groups are its own id, a Latin token's groups
/// are the ids of every Arabic form it is listed with. So a Latin and an Arabic token are the
/// same name when the Latin spelling is listed with that Arabic form, and two Latin spellings
/// are the same name when they share an Arabic form (Mohammad / Muhammad via محمد, but not
/// Mohammed / Mahmoud). Two Arabic spellings are never made equal by the table (أمل / آمال).
pub(crate) struct NameTable {
    map: FxMap<Box<[u8]>, Box<[u32]>>,
}

static TABLE_SRC: &str = include_str!("../data/names_ar_latin.txt");

impl NameTable {
    fn build() -> NameTable {
        let mut ar_ids: FxMap<Vec<u8>, u32> = FxMap::default();
        let mut latin: FxMap<Vec<u8>, Vec<u32>> = FxMap::default();
        let mut line_ar: Vec<u32> = Vec::new();
        let mut line_lat: Vec<Vec<u8>> = Vec::new();
        for line in TABLE_SRC.lines() {
            line_ar.clear();
            line_lat.clear();
            for form in line.split(", ") {
                let toks = normalize::name_tokens(form);
                if toks.len() != 1 {
                    continue;
                }
                let Some(t) = toks.into_iter().next() else {
                    continue;
                };
                if t.code.len() < 2 {
                    continue;
                }
                if t.arabic() {
                    let next = ar_ids.len() as u32;
                    line_ar.push(*ar_ids.entry(t.code).or_insert(next));
                } else {
                    line_lat.push(t.code);
                }
            }
            for l in line_lat.drain(..) {
                latin.entry(l).or_default().extend_from_slice(&line_ar);
            }
        }
        let mut map: FxMap<Box<[u8]>, Box<[u32]>> = FxMap::default();
        for (code, id) in ar_ids {
            map.insert(code.into_boxed_slice(), vec![id].into_boxed_slice());
        }
        for (code, mut ids) in latin {
            ids.sort_unstable();
            ids.dedup();
            if !ids.is_empty() {
                map.insert(code.into_boxed_slice(), ids.into_boxed_slice());
            }
        }
        NameTable { map }
    }

    /// The table, built on first use.
    pub(crate) fn get() -> &'static NameTable {
        static T: OnceLock<NameTable> = OnceLock::new();
        T.get_or_init(NameTable::build)
    }

    /// Group ids of a normalised token (sorted), empty if unknown.
    pub(crate) fn groups(&self, code: &[u8]) -> &[u32] {
        self.map.get(code).map(|g| &g[..]).unwrap_or(&[])
    }
}

/// Whether two sorted id lists share an element.
pub(crate) fn intersects(a: &[u32], b: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sk(s: &str) -> String {
        skeleton(s)
    }

    #[test]
    fn skeletons_meet_across_scripts() {
        for (a, b) in [
            ("Mohammed", "محمد"),
            ("Muhammad", "محمد"),
            ("Mohamad", "محمد"),
            ("Ahmad", "أحمد"),
            ("Ahmed", "احمد"),
            ("Al-Shaer", "الشاعر"),
            ("Ash-Shaer", "الشاعر"),
            ("Fatmeh", "فاطمة"),
            ("Fatima", "فاطمه"),
            ("Ibrahim", "إبراهيم"),
            ("Ebrahim", "ابراهيم"),
            ("Yousef", "يوسف"),
            ("Youssef", "يوسف"),
            ("Hussein", "حسين"),
            ("Khaled", "خالد"),
            ("Mustafa", "مصطفى"),
            ("Abdullah", "عبد الله"),
            ("Abdel Rahman", "عبدالرحمن"),
            ("Nour Eddin", "نور الدين"),
            ("Omar", "عمر"),
            ("Aisha", "عائشة"),
            ("Chadi", "شادي"),
        ] {
            assert_eq!(sk(a), sk(b), "{a} / {b}");
        }
        assert_eq!(sk("محمد"), "mhmd");
    }

    #[test]
    fn table_links_spellings() {
        let t = NameTable::get();
        let g = |s: &str| {
            let toks = normalize::name_tokens(s);
            t.groups(&toks[0].code).to_vec()
        };
        assert!(intersects(&g("ibrahim"), &g("إبراهيم")));
        assert!(intersects(&g("Mohammed"), &g("محمد")));
        assert!(intersects(&g("Fatima"), &g("فاطمة")));
        assert!(!intersects(&g("Mahmoud"), &g("محمد")));
        assert!(intersects(&g("Mohammad"), &g("Muhammad")));
        assert!(!intersects(&g("Mohammed"), &g("Mahmoud")));
        assert!(!intersects(&g("أمل"), &g("آمال")));
    }
}
