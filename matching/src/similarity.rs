//! String similarity on compact name tokens, with no allocation.
//!
//! [`jaro_winkler`] and [`osa`] (Damerau–Levenshtein, optimal string alignment) are the strsim
//! measures re-implemented over byte slices with stack buffers, so that the scoring loop does not
//! allocate; a property test checks them against strsim. [`arabic_cost`] is an edit distance with
//! a letter-class cost table for the confusions seen in real Palestinian name lists (NAMES.md):
//! final-vowel letters, hamza seats, س/ص, ت/ط, ح/ه, د/ض, ز/ظ, ذ/ز/د, ث/س/ت, ق/ك/ج, dotted shapes,
//! dropped or inserted long vowels, doubled letters, a prothetic alef, transpositions.

use crate::normalize::*;

const MAXL: usize = MAX_TOKEN + 1;

/// Jaro–Winkler similarity of two byte strings (prefix scale 0.1, prefix up to 4).
pub(crate) fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let j = jaro(a, b);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    j + 0.1 * prefix as f64 * (1.0 - j)
}

/// Jaro similarity of two byte strings.
pub(crate) fn jaro(a: &[u8], b: &[u8]) -> f64 {
    let (a, b) = (&a[..a.len().min(MAXL)], &b[..b.len().min(MAXL)]);
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_m = [false; MAXL];
    let mut b_m = [false; MAXL];
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_m[j] && b[j] == ca {
                a_m[i] = true;
                b_m[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut t = 0usize;
    let mut k = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if a_m[i] {
            while !b_m[k] {
                k += 1;
            }
            if ca != b[k] {
                t += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - (t / 2) as f64) / m) / 3.0
}

/// Optimal-string-alignment distance (Damerau–Levenshtein with adjacent transpositions).
pub(crate) fn osa(a: &[u8], b: &[u8]) -> usize {
    let (a, b) = (&a[..a.len().min(MAXL)], &b[..b.len().min(MAXL)]);
    let (n, m) = (a.len(), b.len());
    let mut prev2 = [0u8; MAXL + 1];
    let mut prev = [0u8; MAXL + 1];
    let mut cur = [0u8; MAXL + 1];
    for (j, p) in prev.iter_mut().enumerate().take(m + 1) {
        *p = j as u8;
    }
    for i in 1..=n {
        cur[0] = i as u8;
        for j in 1..=m {
            let cost = u8::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        prev2[..=m].copy_from_slice(&prev[..=m]);
        prev[..=m].copy_from_slice(&cur[..=m]);
    }
    usize::from(prev[m])
}

fn pair(x: u8, y: u8, a: u8, b: u8) -> bool {
    (x == a && y == b) || (x == b && y == a)
}

/// Size of the substitution table (compact Arabic bytes 0x80..0xB0).
const TBL: usize = 48;

/// Substitution costs between Arabic letters, from [`sub_cost_slow`], built once.
fn sub_table() -> &'static [[f32; TBL]; TBL] {
    static T: std::sync::OnceLock<Box<[[f32; TBL]; TBL]>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = Box::new([[1.0f32; TBL]; TBL]);
        for (i, row) in t.iter_mut().enumerate() {
            for (j, c) in row.iter_mut().enumerate() {
                let (x, y) = (AR_BASE + i as u8, AR_BASE + j as u8);
                *c = if x == y { 0.0 } else { sub_cost_slow(x, y, false) };
            }
        }
        t
    })
}

/// Cost of substituting one letter for another (0 < cost ≤ 1), via the table.
#[inline]
fn sub_cost(tbl: &[[f32; TBL]; TBL], x: u8, y: u8, final_pos: bool) -> f32 {
    if final_pos {
        return sub_cost_slow(x, y, true);
    }
    let (i, j) = (x.wrapping_sub(AR_BASE) as usize, y.wrapping_sub(AR_BASE) as usize);
    if i < TBL && j < TBL { tbl[i][j] } else { 1.0 }
}

/// Cost of substituting one Arabic letter for another (0 < cost ≤ 1), from the rules.
fn sub_cost_slow(x: u8, y: u8, final_pos: bool) -> f32 {
    if final_pos {
        // A final -a written ا, ى (folded to ي), ة (folded to ه) or ه; عبده/عبدو.
        if pair(x, y, ALEF, HA) || pair(x, y, ALEF, YA) {
            return 0.3;
        }
        if pair(x, y, HA, YA) || pair(x, y, HA, WAW) {
            return 0.5;
        }
    }
    // Hamza seats left after folding, and ع typed for a hamza or alef.
    if pair(x, y, HAMZA, ALEF) {
        return 0.3;
    }
    if pair(x, y, HAMZA, YA) || pair(x, y, HAMZA, WAW) || pair(x, y, AIN, ALEF) {
        return 0.45;
    }
    if pair(x, y, AIN, HAMZA) {
        return 0.5;
    }
    // Emphatic / plain and dialect mergers.
    const PHON: [(u8, u8, f32); 14] = [
        (SIN, SAD, 0.35),
        (TA, TAH, 0.35),
        (HHA, HA, 0.4),
        (DAL, DAD, 0.35),
        (ZAY, ZAH, 0.35),
        (THAL, ZAY, 0.4),
        (THAL, DAL, 0.4),
        (ZAH, DAD, 0.4),
        (THAL, ZAH, 0.4),
        (THA, SIN, 0.45),
        (THA, TA, 0.45),
        (QAF, KAF, 0.5),
        (QAF, JIM, 0.6),
        (QAF, HAMZA, 0.6),
    ];
    for &(a, b, c) in &PHON {
        if pair(x, y, a, b) {
            return c;
        }
    }
    // Same letter shape, other dots.
    const SHAPES: [&[u8]; 10] = [
        &[BA, TA, THA, NUN, YA],
        &[JIM, HHA, KHA],
        &[DAL, THAL],
        &[RA, ZAY],
        &[SIN, SHIN],
        &[SAD, DAD],
        &[TAH, ZAH],
        &[AIN, GHAIN],
        &[FA, QAF],
        &[KAF, JIM],
    ];
    for g in SHAPES {
        if g.contains(&x) && g.contains(&y) {
            return 0.6;
        }
    }
    1.0
}

/// Cost of inserting or deleting one Arabic letter at position `i` of a token of length `len`.
fn indel_cost(x: u8, i: usize, len: usize) -> f32 {
    match x {
        // A prothetic alef (هديب/اهديب) or a long vowel dropped or inserted (داود/داوود).
        ALEF if i == 0 => 0.3,
        ALEF | WAW | YA => 0.4,
        HAMZA => 0.3,
        // A final ه (ta marbuta) dropped.
        HA if i + 1 == len => 0.5,
        _ => 1.0,
    }
}

/// Weighted edit distance between two Arabic tokens (compact bytes) with the letter-class cost
/// table; a doubled letter costs 0.2 to insert or delete.
#[cfg(test)]
pub(crate) fn arabic_cost(a: &[u8], b: &[u8]) -> f32 {
    arabic_cost_bounded(a, b, f32::INFINITY)
}

/// [`arabic_cost`], giving up (returning a value above `limit`) as soon as the cost must exceed
/// `limit`.
pub(crate) fn arabic_cost_bounded(a: &[u8], b: &[u8], limit: f32) -> f32 {
    let (a, b) = (&a[..a.len().min(MAXL)], &b[..b.len().min(MAXL)]);
    let (n, m) = (a.len(), b.len());
    let tbl = sub_table();
    // Deletion costs per position: a doubled letter costs 0.2.
    let mut da = [0f32; MAXL];
    let mut db = [0f32; MAXL];
    for i in 0..n {
        da[i] = if i > 0 && a[i - 1] == a[i] { 0.2 } else { indel_cost(a[i], i, n) };
    }
    for j in 0..m {
        db[j] = if j > 0 && b[j - 1] == b[j] { 0.2 } else { indel_cost(b[j], j, m) };
    }
    let mut prev2 = [0f32; MAXL + 1];
    let mut prev = [0f32; MAXL + 1];
    let mut cur = [0f32; MAXL + 1];
    for j in 1..=m {
        prev[j] = prev[j - 1] + db[j - 1];
    }
    let mut min_prev = 0f32;
    for i in 1..=n {
        cur[0] = prev[0] + da[i - 1];
        let mut row_min = cur[0];
        let x = a[i - 1];
        for j in 1..=m {
            let y = b[j - 1];
            let sub = if x == y { 0.0 } else { sub_cost(tbl, x, y, i == n && j == m) };
            let mut v = (prev[j] + da[i - 1]).min(cur[j - 1] + db[j - 1]).min(prev[j - 1] + sub);
            if i > 1 && j > 1 && x == b[j - 2] && a[i - 2] == y && x != y {
                v = v.min(prev2[j - 2] + 0.7);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        // Every alignment passes through this row or (by a transposition) the one before.
        if row_min.min(min_prev) > limit {
            return limit + 1.0;
        }
        min_prev = row_min;
        prev2[..=m].copy_from_slice(&prev[..=m]);
        prev[..=m].copy_from_slice(&cur[..=m]);
    }
    prev[m]
}

/// OSA distance between two skeletons given as class arrays.
pub(crate) fn osa_classes(a: &[u8], b: &[u8]) -> usize {
    osa(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> Vec<u8> {
        crate::normalize::name_tokens(s).into_iter().next().map(|t| t.code).unwrap_or_default()
    }

    #[test]
    fn cost_table() {
        let c = |a: &str, b: &str| arabic_cost(&code(a), &code(b));
        assert!(c("هديب", "اهديب") <= 0.3);
        assert!(c("داود", "داوود") <= 0.4);
        assert!(c("اسحق", "اسحاق") <= 0.4);
        assert!(c("مصطفي", "مصطفا") <= 0.3);
        assert!(c("سلمان", "صلمان") <= 0.35);
        assert!(c("عبده", "عبدو") <= 0.5);
        assert!(c("محمد", "محمود") <= 0.4);
        assert!(c("محمد", "احمد") >= 1.0);
        assert!(c("سامي", "سمير") >= 1.0);
        assert!((c("فاطمه", "فاطمه")).abs() < 1e-6);
    }

    #[test]
    fn agrees_with_strsim() {
        for (a, b) in [("mohammed", "muhammad"), ("martha", "marhta"), ("", "abc"), ("dixon", "dicksonx"), ("a", "a")] {
            let jw = jaro_winkler(a.as_bytes(), b.as_bytes());
            assert!((jw - strsim::jaro_winkler(a, b)).abs() < 1e-9, "{a} {b}");
            assert_eq!(osa(a.as_bytes(), b.as_bytes()), strsim::osa_distance(a, b), "{a} {b}");
        }
    }
}
