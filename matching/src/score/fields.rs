//! Identifiers, dates, phones, sex and role: agreement levels and their weights.

use crate::config::{MatchConfig, ModelField};
use crate::normalize::PartialDate;
use crate::similarity::osa;
use crate::{Role, Sex};

/// Level index of a national ID comparison, `None` if missing.
pub(crate) fn nid_level(a: u64, b: u64) -> Option<usize> {
    if a == 0 || b == 0 {
        return None;
    }
    if a == b {
        return Some(0);
    }
    if a < NINE_DIGITS && b < NINE_DIGITS {
        // Nine digits each (as written, with leading zeros): one substitution or one adjacent
        // transposition, read off the numbers without writing their digits out.
        let near = match differing_digits(a, b) {
            (1, _) => true,
            (2, [(i, x, y), (j, p, q)]) => j == i + 1 && x == q && y == p,
            _ => false,
        };
        return Some(if near { 1 } else { 2 });
    }
    let (da, la) = digits(a);
    let (db, lb) = digits(b);
    Some(if one_edit(&da[..la], &db[..lb]) { 1 } else { 2 })
}

/// National IDs below this have nine digits (with leading zeros).
const NINE_DIGITS: u64 = 1_000_000_000;

/// How many digit positions two numbers differ in, counting three at most, and the first two
/// (position from the last digit, digit of `a`, digit of `b`).
fn differing_digits(mut a: u64, mut b: u64) -> (usize, [(u32, u64, u64); 2]) {
    let mut found = [(0, 0, 0); 2];
    let (mut n, mut at) = (0, 0);
    while a != b {
        let (x, y) = (a % 10, b % 10);
        if x != y {
            if n == 2 {
                return (3, found);
            }
            found[n] = (at, x, y);
            n += 1;
        }
        a /= 10;
        b /= 10;
        at += 1;
    }
    (n, found)
}

/// Whether two digit strings are at most one edit apart (OSA distance ≤ 1). Strings of one
/// length (nearly every pair of IDs) are one substitution or one adjacent transposition apart
/// or more: checked in one pass, without the distance table.
fn one_edit(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return a.len().abs_diff(b.len()) <= 1 && osa(a, b) <= 1;
    }
    let mut diff = a.iter().zip(b).enumerate().filter(|(_, (x, y))| x != y).map(|(i, _)| i);
    match (diff.next(), diff.next(), diff.next()) {
        (None, _, _) | (Some(_), None, _) => true,
        (Some(i), Some(j), None) => j == i + 1 && a[i] == b[j] && a[j] == b[i],
        _ => false,
    }
}

pub(super) fn digits(mut v: u64) -> ([u8; 20], usize) {
    let mut tmp = [0u8; 20];
    let mut n = 0;
    while v > 0 && n < 20 {
        tmp[n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
    }
    while n < 9 {
        tmp[n] = b'0';
        n += 1;
    }
    tmp[..n].reverse();
    (tmp, n)
}

/// Whether a 9-digit national ID carries a valid check digit (Palestinian/Israeli scheme:
/// weights 1, 2, 1, 2 … from the left, the digits of the products summed, total ≡ 0 mod 10).
#[cfg(test)]
pub(crate) fn nid_valid(v: u64) -> bool {
    if v == 0 || v >= NINE_DIGITS {
        return false;
    }
    check_digit_ok(v)
}

/// The check-digit rule of [`nid_valid`] over a number below 10^9, read as nine digits
/// (with leading zeros), from its last digit: weights 1, 2, 1, 2 … from the left are, over
/// nine digits, 1 at the last digit, 2 at the one before, and so on.
fn check_digit_ok(mut v: u64) -> bool {
    let mut sum = 0;
    for place in 0..9 {
        let x = (v % 10) * if place % 2 == 0 { 1 } else { 2 };
        sum += x / 10 + x % 10;
        v /= 10;
    }
    sum.is_multiple_of(10)
}

/// The weight of a national ID level: a different ID weighs `nid_far_factor` times more when
/// both are valid and differ in three digits or more (not a slip: another person's number).
pub(super) fn nid_weight(cfg: &MatchConfig, a: u64, b: u64, level: usize) -> f64 {
    nid_far(cfg, w(cfg, ModelField::NationalId, level), a, b, level)
}

/// [`nid_weight`] given the level's weight `x`.
pub(super) fn nid_far(cfg: &MatchConfig, x: f64, a: u64, b: u64, level: usize) -> f64 {
    if level == 2
        && x < 0.0
        && a < NINE_DIGITS
        && b < NINE_DIGITS
        && differing_digits(a, b).0 >= 3
        && check_digit_ok(a)
        && check_digit_ok(b)
    {
        return x * cfg.nid_far_factor;
    }
    x
}

/// Level index of birth dates five years apart or more.
pub(crate) const DOB_FAR: usize = 7;

/// Level index of a date-of-birth comparison (see [`crate::config::LevelProbabilities`]).
pub(crate) fn dob_level(a: u32, b: u32) -> Option<usize> {
    let (Some(x), Some(y)) = (PartialDate::unpack(a), PartialDate::unpack(b)) else {
        return None;
    };
    let month_known = x.month.is_some() && y.month.is_some();
    let day_known = month_known && x.day.is_some() && y.day.is_some();
    let m_eq = !month_known || x.month == y.month;
    let d_eq = !day_known || x.day == y.day;
    // The first of January stands for an unknown day and month in many registries: it agrees
    // as far as the year only.
    let placeholder = |d: &PartialDate| d.month == Some(1) && d.day == Some(1);
    if x.year == y.year && (placeholder(&x) || placeholder(&y)) && m_eq && d_eq {
        return Some(2);
    }
    if x.year == y.year && m_eq && d_eq {
        return Some(if day_known {
            0
        } else if month_known {
            1
        } else {
            2
        });
    }
    if day_known && x.year == y.year && x.month == y.day && x.day == y.month {
        return Some(3);
    }
    if x.year == y.year && (day_known || month_known) {
        // One of month or day differs (a typo), or both.
        return Some(if m_eq || d_eq { 4 } else { 6 });
    }
    if x.year.abs_diff(y.year) >= 5 {
        return Some(DOB_FAR);
    }
    if x.year.abs_diff(y.year) == 1 && m_eq && d_eq {
        return Some(5);
    }
    Some(6)
}

/// Level index of a phone comparison.
pub(crate) fn phone_level(a: u64, b: u64) -> Option<usize> {
    if a == 0 || b == 0 {
        return None;
    }
    Some(if a == b {
        0
    } else if a % 10_000_000 == b % 10_000_000 {
        1
    } else {
        2
    })
}

/// Level index of a sex comparison.
pub(crate) fn sex_level(a: Option<Sex>, b: Option<Sex>) -> Option<usize> {
    match (a, b) {
        (Some(x), Some(y)) => Some(usize::from(x != y)),
        _ => None,
    }
}

pub(super) fn w(cfg: &MatchConfig, f: ModelField, level: usize) -> f64 {
    (cfg.m.field(f)[level].max(1e-9) / cfg.u.field(f)[level].max(1e-12)).log2()
}

/// The weights ([`w`]) of every level of the fields other than the names, taken once for a
/// configuration: a pair's fields then cost no logarithm (see `score::out_of_reach`).
#[derive(Debug, Clone)]
pub(crate) struct FieldWeights {
    pub nid: [f64; 3],
    pub dob: [f64; 8],
    pub phone: [f64; 3],
    pub sex: [f64; 2],
}

impl FieldWeights {
    pub(crate) fn new(cfg: &MatchConfig) -> Self {
        let of = |f: ModelField| move |l: usize| w(cfg, f, l);
        FieldWeights {
            nid: std::array::from_fn(of(ModelField::NationalId)),
            dob: std::array::from_fn(of(ModelField::Dob)),
            phone: std::array::from_fn(of(ModelField::Phone)),
            sex: std::array::from_fn(of(ModelField::Sex)),
        }
    }

    /// The weight of `level` of field `f` (not a name part).
    pub(crate) fn of(&self, f: ModelField, level: usize) -> f64 {
        match f {
            ModelField::NationalId => self.nid[level],
            ModelField::Dob => self.dob[level],
            ModelField::Phone => self.phone[level],
            ModelField::Sex => self.sex[level],
            _ => unreachable!("names are weighed by their parts"),
        }
    }
}

/// Weight of the role pairing (not a model field: a small household-level term).
pub(crate) fn role_weight(a: Role, b: Role) -> (f64, &'static str) {
    if a == b {
        (0.5, "same")
    } else if (a.is_adult_anchor() && b.is_adult_anchor()) || a == Role::Other || b == Role::Other {
        (0.0, "compatible")
    } else {
        (-1.0, "different")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_id_check_digit_and_far_weight() {
        assert!(nid_valid(18)); // 000000018
        assert!(nid_valid(401_234_562));
        assert!(!nid_valid(401_234_563));
        let cfg = MatchConfig::default();
        let base = w(&cfg, ModelField::NationalId, 2);
        // Valid and far apart: another person's number.
        assert!((nid_weight(&cfg, 401_234_562, 18, 2) - base * cfg.nid_far_factor).abs() < 1e-9);
        // One of them not valid: a slip is as likely as another number.
        assert!((nid_weight(&cfg, 401_234_563, 18, 2) - base).abs() < 1e-9);
    }

    #[test]
    fn dob_levels() {
        let d = |s: &str| crate::normalize::date_of_birth(s).map_or(0, PartialDate::pack);
        assert_eq!(dob_level(d("1980-05-01"), d("1980-05-01")), Some(0));
        assert_eq!(dob_level(d("1980-05-01"), d("1980-05")), Some(1));
        assert_eq!(dob_level(d("1980-05-01"), d("1980")), Some(2));
        assert_eq!(dob_level(d("1980-05-01"), d("1980-01-05")), Some(3));
        assert_eq!(dob_level(d("1980-05-01"), d("1980-05-02")), Some(4));
        assert_eq!(dob_level(d("1980-05-01"), d("1981-05-01")), Some(5));
        assert_eq!(dob_level(d("1980-05-01"), d("1975-02-11")), Some(7));
        assert_eq!(dob_level(d("1980-05-01"), d("1978-02-11")), Some(6));
        assert_eq!(dob_level(d("1980-05-01"), 0), None);
    }

    #[test]
    fn id_and_phone_levels() {
        assert_eq!(nid_level(401234563, 401234563), Some(0));
        assert_eq!(nid_level(401234563, 401243563), Some(1));
        assert_eq!(nid_level(401234563, 401234567), Some(1));
        assert_eq!(nid_level(401234563, 912345678), Some(2));
        assert_eq!(nid_level(0, 912345678), None);
        assert_eq!(phone_level(970599123456, 972569123456), Some(1));
    }

    #[test]
    fn nine_digit_ids_are_read_as_their_digits_are() {
        // The shortcut for nine-digit IDs gives the level the digit strings give.
        let ids =
            [401234563u64, 401243563, 401234567, 410234563, 401234536, 41234563, 1234563, 401235463, 912345678, 18, 81];
        for a in ids {
            for b in ids {
                let (da, la) = digits(a);
                let (db, lb) = digits(b);
                let slow = if a == b {
                    0
                } else if one_edit(&da[..la], &db[..lb]) {
                    1
                } else {
                    2
                };
                assert_eq!(nid_level(a, b), Some(slow), "{a} {b}");
                let apart = da[..9].iter().zip(&db[..9]).filter(|(p, q)| p != q).count();
                // The check digit by the rule as written, from the left.
                let rule: u32 = da[..9]
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| u32::from(c - b'0') * if i % 2 == 0 { 1 } else { 2 })
                    .map(|x| x / 10 + x % 10)
                    .sum();
                assert_eq!(check_digit_ok(a), rule.is_multiple_of(10), "{a}");
                assert_eq!(differing_digits(a, b).0, apart.min(3), "{a} {b}");
            }
        }
    }

    #[test]
    fn one_edit_is_osa_within_one() {
        let cases = [
            "401234563",
            "401243563",
            "401234567",
            "410234563",
            "401234536",
            "041234563",
            "4012345630",
            "40123456",
            "912345678",
            "401235463",
        ];
        for a in cases {
            for b in cases {
                assert_eq!(one_edit(a.as_bytes(), b.as_bytes()), osa(a.as_bytes(), b.as_bytes()) <= 1, "{a} {b}");
            }
        }
    }
}
