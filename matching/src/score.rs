//! Pair comparison: agreement levels per field and their Fellegi–Sunter weights.
//!
//! Names are compared part by part (first ↔ first, father ↔ father, grandfather ↔ grandfather,
//! family ↔ family); a part missing on either side weighs nothing. A three-part name is also
//! tried as first + father + grandfather (family left out) against a longer one, at a small
//! cost, and the better reading kept. Tokens in different scripts meet through the name table
//! or, failing that, the consonant skeleton. The scoring path allocates nothing unless
//! evidence is asked for.

use crate::config::{MatchConfig, ModelField};
use crate::normalize::{self, PartialDate, is_ar};
use crate::phonetic::{self, intersects};
use crate::prepare::MAX_PARTS;
use crate::similarity::{arabic_cost_bounded, jaro_winkler, osa, osa_classes};
use crate::{Role, Sex};

/// A compared field, as reported in [`Evidence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Field {
    /// The full name (sum of the parts).
    Name,
    /// First name.
    FirstName,
    /// Father's name.
    FatherName,
    /// Grandfather's name.
    GrandfatherName,
    /// Family name.
    FamilyName,
    /// National ID.
    NationalId,
    /// Date of birth.
    DateOfBirth,
    /// Phone.
    Phone,
    /// Sex.
    Sex,
    /// Role in the household.
    Role,
}

impl Field {
    /// snake_case name of the field.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::FirstName => "first_name",
            Field::FatherName => "father_name",
            Field::GrandfatherName => "grandfather_name",
            Field::FamilyName => "family_name",
            Field::NationalId => "national_id",
            Field::DateOfBirth => "date_of_birth",
            Field::Phone => "phone",
            Field::Sex => "sex",
            Field::Role => "role",
        }
    }
}

/// One line of evidence: what was compared, how alike, how much it weighed.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Evidence {
    /// The field.
    pub field: Field,
    /// Agreement level: `exact`, `transliteration`, `spelling_variant`, `one_typo`, `similar`,
    /// `different`, `missing`, `year_month`, `year`, `day_month_swapped`, `partial`,
    /// `year_off_by_one`, `last7`, `agree`, `disagree`, `same`, `compatible`….
    pub level: &'static str,
    /// Our value (normalised), empty when missing.
    pub ours: String,
    /// Their value (normalised), empty when missing.
    pub theirs: String,
    /// Similarity in [0, 1].
    pub similarity: f64,
    /// log2(m/u) as applied (0 for missing).
    pub weight: f64,
}

/// Name agreement levels (indices into the name arrays of the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameLevel {
    Exact = 0,
    Variant = 1,
    OneTypo = 2,
    Similar = 3,
    Different = 4,
}

/// A token as seen by the scorer: its bytes and keys, plus term frequencies from the index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokView<'a> {
    pub code: &'a [u8],
    pub skel: u64,
    pub skel_full: u64,
    pub groups: &'a [u32],
    /// Interned id in the index, `u32::MAX` if unknown.
    pub id: u32,
    /// Occurrences of the token in the index as a given name / as a family name.
    pub tf: [f32; 2],
    /// Occurrences of the token's concept (skeleton) likewise.
    pub ctf: [f32; 2],
    /// Given-name and family-name slots in the index (the denominators).
    pub total: [f32; 2],
}

pub(crate) const NO_ID: u32 = u32::MAX;

impl TokView<'_> {
    pub(crate) const EMPTY: TokView<'static> = TokView {
        code: &[],
        skel: 0,
        skel_full: 0,
        groups: &[],
        id: NO_ID,
        tf: [0.0; 2],
        ctf: [0.0; 2],
        total: [0.0; 2],
    };
}

/// A person as seen by the scorer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PView<'a> {
    pub toks: [TokView<'a>; MAX_PARTS],
    pub n: usize,
    pub nid: u64,
    pub dob: u32,
    pub phone: u64,
    pub sex: Option<Sex>,
    pub role: Role,
}

/// Result of comparing two tokens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokCmp {
    pub level: NameLevel,
    pub sim: f64,
    pub label: &'static str,
    /// The u comes from the concept frequency (a spelling or script variant of the same name).
    pub concept: bool,
}

/// Compares two tokens.
pub(crate) fn compare_tokens(a: &TokView<'_>, b: &TokView<'_>) -> TokCmp {
    let exact = |label| TokCmp { level: NameLevel::Exact, sim: 1.0, label, concept: false };
    if (a.id != NO_ID && a.id == b.id) || a.code == b.code {
        return exact("exact");
    }
    let (Some(&fa), Some(&fb)) = (a.code.first(), b.code.first()) else {
        return TokCmp { level: NameLevel::Different, sim: 0.0, label: "different", concept: false };
    };
    let both_known = !a.groups.is_empty() && !b.groups.is_empty();
    let same_group = both_known && intersects(a.groups, b.groups);
    let known_distinct = both_known && !same_group;
    let skel_eq = a.skel == b.skel || a.skel_full == b.skel_full;
    let variant = |sim, label| TokCmp { level: NameLevel::Variant, sim, label, concept: true };
    let other = |level, sim, label| TokCmp { level, sim, label, concept: false };
    if is_ar(fa) != is_ar(fb) {
        // Arabic ↔ Latin.
        if same_group {
            return TokCmp { level: NameLevel::Exact, sim: 0.95, label: "transliteration", concept: true };
        }
        if known_distinct {
            return if skel_eq {
                other(NameLevel::Similar, 0.7, "similar")
            } else {
                other(NameLevel::Different, 0.3, "different")
            };
        }
        if skel_eq && a.skel != 0 {
            return variant(0.9, "transliteration");
        }
        let mut ca = [0u8; 16];
        let mut cb = [0u8; 16];
        let na = phonetic::unpack(a.skel, &mut ca);
        let nb = phonetic::unpack(b.skel, &mut cb);
        if na.abs_diff(nb) > 1 {
            return other(NameLevel::Different, 0.3, "different");
        }
        let d = osa_classes(&ca[..na], &cb[..nb]);
        let len = na.max(nb).max(1);
        let sim = 1.0 - d as f64 / len as f64;
        if d == 1 && na.min(nb) >= 3 {
            return other(NameLevel::Similar, sim, "similar");
        }
        return other(NameLevel::Different, sim, "different");
    }
    if is_ar(fa) {
        let cost = f64::from(arabic_cost_bounded(a.code, b.code, 2.0));
        let len = a.code.len().max(b.code.len()) as f64;
        let sim = (1.0 - cost / len).max(0.0);
        let minlen = a.code.len().min(b.code.len());
        if same_group || cost <= 0.3 || (cost <= 0.45 && !known_distinct) {
            return variant(sim, "spelling_variant");
        }
        if known_distinct {
            return other(NameLevel::Different, sim, "different");
        }
        if cost <= 1.0 && minlen >= 3 {
            return other(NameLevel::OneTypo, sim, "one_typo");
        }
        if cost <= 2.0 && minlen >= 5 && jaro_winkler(a.code, b.code) >= 0.85 {
            return other(NameLevel::Similar, sim, "similar");
        }
        return other(NameLevel::Different, sim, "different");
    }
    // Latin ↔ Latin.
    let jw = jaro_winkler(a.code, b.code);
    if same_group {
        return variant(jw.max(0.9), "spelling_variant");
    }
    if known_distinct {
        return other(NameLevel::Different, jw, "different");
    }
    if skel_eq && a.skel != 0 {
        return variant(jw.max(0.85), "spelling_variant");
    }
    let minlen = a.code.len().min(b.code.len());
    if a.code.len().abs_diff(b.code.len()) <= 1 && minlen >= 4 && osa(a.code, b.code) == 1 {
        return other(NameLevel::OneTypo, jw, "one_typo");
    }
    if jw >= 0.9 && minlen >= 4 {
        return other(NameLevel::Similar, jw, "similar");
    }
    other(NameLevel::Different, jw, "different")
}

/// The weight of a name comparison for one part.
pub(crate) fn name_weight(cfg: &MatchConfig, f: ModelField, c: &TokCmp, a: &TokView<'_>, b: &TokView<'_>) -> f64 {
    let slot = usize::from(f == ModelField::Family);
    let li = c.level as usize;
    let m = cfg.m.field(f)[li];
    let u = match c.level {
        NameLevel::Exact | NameLevel::Variant => {
            // Term frequency, smoothed towards the default u by `tf_prior_weight` pseudo-slots.
            let count = if c.concept { a.ctf[slot].max(b.ctf[slot]) } else { a.tf[slot].max(b.tf[slot]) };
            let total = f64::from(a.total[slot].max(b.total[slot]));
            let alpha = cfg.tf_prior_weight;
            let u0 = cfg.u.field(f)[li];
            ((f64::from(count) + alpha * u0) / (total + alpha)).max(cfg.tf_floor)
        }
        _ => cfg.u.field(f)[li],
    };
    (m.max(1e-9) / u.max(1e-12)).log2()
}

fn part_field(f: ModelField) -> Field {
    match f {
        ModelField::First => Field::FirstName,
        ModelField::Father => Field::FatherName,
        ModelField::Grandfather => Field::GrandfatherName,
        _ => Field::FamilyName,
    }
}

/// Names: the weight of the part-by-part comparison, the best of the plausible readings, and
/// whether that reading agrees (no compared part different, a positive weight): the condition
/// for a near identifier (an ID one typo away, a phone's last seven digits) to count.
fn names(cfg: &MatchConfig, a: &PView<'_>, b: &PView<'_>, ev: Option<&mut Vec<Evidence>>, min: f64) -> (f64, bool) {
    // A name written family name first on one side (`حامد منسي حسين` for `منسي حسين حاتم حامد`,
    // `KHURI MUHAMMED HUSSEIN` for `محمد حسين خوري`) is also read in the usual order, at a
    // small cost.
    let rotated = family_first_view(a, b).map(|r| (r, true)).or_else(|| family_first_view(b, a).map(|r| (r, false)));
    let Some((r, on_a)) = rotated else {
        return names_as_written(cfg, a, b, ev, min);
    };
    let (x, y) = if on_a { (&r, b) } else { (a, &r) };
    let plain = names_as_written(cfg, a, b, None, min);
    let (w, agree) = names_as_written(cfg, x, y, None, min + ROTATION_COST);
    let turned = (w - ROTATION_COST, agree);
    if turned.0 > plain.0 {
        if let Some(ev) = ev {
            names_as_written(cfg, x, y, Some(ev), f64::NEG_INFINITY);
        }
        turned
    } else {
        if let Some(ev) = ev {
            names_as_written(cfg, a, b, Some(ev), f64::NEG_INFINITY);
        }
        plain
    }
}

/// Log2 cost of reading a name in another order than written.
const ROTATION_COST: f64 = 1.0;

/// `a` read with its first part moved to the end, when `a` looks written family name first
/// against `b`: its first part is `b`'s family name and its second `b`'s first name (by
/// skeleton, so across scripts), and its first part is not also `b`'s first name.
fn family_first_view<'a>(a: &PView<'a>, b: &PView<'a>) -> Option<PView<'a>> {
    let (na, nb) = (a.n, b.n);
    if na < 2 || nb < 2 {
        return None;
    }
    let like = |x: &TokView<'_>, y: &TokView<'_>| x.skel != 0 && (x.skel == y.skel || x.skel_full == y.skel_full);
    if !like(&a.toks[0], &b.toks[nb - 1]) || !like(&a.toks[1], &b.toks[0]) || like(&a.toks[0], &b.toks[0]) {
        return None;
    }
    let mut r = *a;
    r.toks[..na].rotate_left(1);
    Some(r)
}

fn names_as_written(
    cfg: &MatchConfig,
    a: &PView<'_>,
    b: &PView<'_>,
    ev: Option<&mut Vec<Evidence>>,
    min: f64,
) -> (f64, bool) {
    // Pairs (field, index in a, index in b) of the standard reading.
    let mut std_pairs: [(ModelField, usize, usize); MAX_PARTS] = [(ModelField::First, 0, 0); MAX_PARTS];
    let mut ns = 0;
    let (na, nb) = (a.n, b.n);
    if na == 0 || nb == 0 {
        return (0.0, false);
    }
    std_pairs[ns] = (ModelField::First, 0, 0);
    ns += 1;
    if na >= 2 && nb >= 2 {
        std_pairs[ns] = (ModelField::Family, na - 1, nb - 1);
        ns += 1;
    }
    if na >= 3 && nb >= 3 {
        std_pairs[ns] = (ModelField::Father, 1, 1);
        ns += 1;
    }
    if na >= 4 && nb >= 4 {
        std_pairs[ns] = (ModelField::Grandfather, 2, 2);
        ns += 1;
        // Further ancestors of five- and six-part names, weighed as grandfathers.
        let extra = (na - 1).min(nb - 1);
        for k in 3..extra {
            if ns < MAX_PARTS {
                std_pairs[ns] = (ModelField::Grandfather, k, k);
                ns += 1;
            }
        }
    }
    let (w_std, std_agree) = reading(cfg, a, b, &std_pairs[..ns], min, None);
    // Alternative: a three-part name that left out the family name (first father grandfather).
    let mut best = (w_std, 0usize, std_agree);
    let mut alt_pairs: [(ModelField, usize, usize); 3] = [(ModelField::First, 0, 0); 3];
    let alt_ok = (na == 3 && nb >= 4) || (nb == 3 && na >= 4);
    if alt_ok {
        alt_pairs[1] = (ModelField::Father, 1, 1);
        alt_pairs[2] = (ModelField::Grandfather, 2, 2);
        let (w_alt, alt_agree) = reading(cfg, a, b, &alt_pairs, min + 2.0, None);
        if w_alt - 2.0 > best.0 {
            best = (w_alt - 2.0, 1, alt_agree);
        }
    }
    if let Some(ev) = ev {
        let pairs: &[(ModelField, usize, usize)] = if best.1 == 0 { &std_pairs[..ns] } else { &alt_pairs };
        push_name_evidence(cfg, a, b, pairs, ev);
    }
    (best.0, best.2 && best.0 > 0.0)
}

/// The weight of one reading (a list of aligned parts, first name first, then family, father,
/// grandfather and further ancestors), with per-part weights and comparisons when asked.
///
/// Lineage parts are not independent: siblings share father, grandfather and family, cousins
/// grandfather and family. So when the first names differ, a father or grandfather agreement
/// keeps only `sibling_dependence` of its weight; a grandfather agreement keeps
/// `lineage_dependence` of it when the father agrees too or when the fathers differ.
///
/// Also returns whether every compared part agrees at some level (none `Different`; false after
/// an early exit).
fn reading(
    cfg: &MatchConfig,
    a: &PView<'_>,
    b: &PView<'_>,
    pairs: &[(ModelField, usize, usize)],
    min: f64,
    mut detail: Option<&mut [(f64, Option<TokCmp>); MAX_PARTS]>,
) -> (f64, bool) {
    let mut total = 0.0;
    let mut first_differs = false;
    let mut any_differs = false;
    let mut father: Option<NameLevel> = None;
    let part_max = if min.is_finite() { name_max(cfg) } else { 0.0 };
    for (k, &(f, i, j)) in pairs.iter().enumerate() {
        // Early exit: even if every remaining part agreed on a rare name, `min` is out of reach.
        if min.is_finite() && k >= 2 && total + (pairs.len() - k) as f64 * part_max < min {
            return (min - 1.0, false);
        }
        let (ta, tb) = (&a.toks[i], &b.toks[j]);
        let c = compare_tokens(ta, tb);
        let mut x = name_weight(cfg, f, &c, ta, tb);
        any_differs |= c.level == NameLevel::Different;
        match f {
            ModelField::First => first_differs = c.level == NameLevel::Different,
            ModelField::Father => {
                if first_differs && x > 0.0 {
                    x *= cfg.sibling_dependence;
                }
                father = Some(c.level);
            }
            ModelField::Grandfather if x > 0.0 => {
                if first_differs {
                    x *= cfg.sibling_dependence;
                } else if father.is_some() {
                    x *= cfg.lineage_dependence;
                }
            }
            _ => {}
        }
        total += x;
        if let Some(d) = detail.as_deref_mut() {
            d[k] = (x, Some(c));
        }
    }
    (total, !any_differs)
}

fn push_name_evidence(
    cfg: &MatchConfig,
    a: &PView<'_>,
    b: &PView<'_>,
    pairs: &[(ModelField, usize, usize)],
    ev: &mut Vec<Evidence>,
) {
    let mut detail = [(0.0, None); MAX_PARTS];
    reading(cfg, a, b, pairs, f64::NEG_INFINITY, Some(&mut detail));
    let mut seen_gf = false;
    for (k, &(f, i, j)) in pairs.iter().enumerate() {
        let (x, c) = detail[k];
        let Some(c) = c else { continue };
        if f == ModelField::Grandfather {
            seen_gf = true;
        }
        ev.push(Evidence {
            field: part_field(f),
            level: c.label,
            ours: normalize::decode(a.toks[i].code),
            theirs: normalize::decode(b.toks[j].code),
            similarity: c.sim,
            weight: x,
        });
    }
    // Parts present on one side only: missing, no weight.
    let has = |f: ModelField| pairs.iter().any(|p| p.0 == f);
    for (f, ia, ib) in [
        (ModelField::Father, (a.n >= 3).then_some(1), (b.n >= 3).then_some(1)),
        (ModelField::Grandfather, (a.n >= 4).then_some(2), (b.n >= 4).then_some(2)),
        (ModelField::Family, (a.n >= 2).then(|| a.n - 1), (b.n >= 2).then(|| b.n - 1)),
    ] {
        if has(f) || (f == ModelField::Grandfather && seen_gf) {
            continue;
        }
        if ia.is_some() || ib.is_some() {
            ev.push(Evidence {
                field: part_field(f),
                level: "missing",
                ours: ia.map(|i| normalize::decode(a.toks[i].code)).unwrap_or_default(),
                theirs: ib.map(|i| normalize::decode(b.toks[i].code)).unwrap_or_default(),
                similarity: 0.0,
                weight: 0.0,
            });
        }
    }
}

/// Evidence that `parent` is the father of `child` through Arabic naming: the child's father
/// name is the parent's first name, the child's grandfather name the parent's father name (when
/// both are given), the family names agree, and the child is at least 13 years younger when both
/// years are known. Returns the weight and the evidence lines, or `None` when it does not hold.
pub(crate) fn lineage(
    cfg: &MatchConfig,
    parent: &PView<'_>,
    child: &PView<'_>,
    mut ev: Option<&mut Vec<Evidence>>,
) -> Option<f64> {
    if child.role != Role::Child || parent.role == Role::Child || parent.sex == Some(Sex::F) {
        return None;
    }
    // Three names must meet: the father's first and father names and the family name, so the
    // child's name needs four parts and the parent's three (a two-name link is too common in a
    // clan to count).
    let (pn, cn) = (parent.n, child.n);
    if pn < 3 || cn < 4 {
        return None;
    }
    let (py, cy) = (parent.dob >> 9, child.dob >> 9);
    if py != 0 && cy != 0 && cy < py + 13 {
        return None;
    }
    let mut total = 0.0;
    let mut checks: [(ModelField, usize, usize, Field); 3] = [
        (ModelField::Father, 0, 1, Field::FatherName),
        (ModelField::Family, pn - 1, cn - 1, Field::FamilyName),
        (ModelField::Grandfather, 1, 2, Field::GrandfatherName),
    ];
    for (f, i, j, field) in checks.iter_mut().map(|c| *c) {
        let (a, b) = (&parent.toks[i], &child.toks[j]);
        let c = compare_tokens(a, b);
        if matches!(c.level, NameLevel::Different | NameLevel::Similar) {
            return None;
        }
        let mut x = name_weight(cfg, f, &c, a, b);
        if f == ModelField::Grandfather && x > 0.0 {
            x *= cfg.lineage_dependence;
        }
        total += x;
        if let Some(ev) = ev.as_deref_mut() {
            ev.push(Evidence {
                field,
                level: "lineage",
                ours: normalize::decode(a.code),
                theirs: normalize::decode(b.code),
                similarity: c.sim,
                weight: x,
            });
        }
    }
    Some(total)
}

/// Level index of a national ID comparison, `None` if missing.
pub(crate) fn nid_level(a: u64, b: u64) -> Option<usize> {
    if a == 0 || b == 0 {
        return None;
    }
    if a == b {
        return Some(0);
    }
    let (da, la) = digits(a);
    let (db, lb) = digits(b);
    Some(if osa(&da[..la], &db[..lb]) <= 1 { 1 } else { 2 })
}

fn digits(mut v: u64) -> ([u8; 20], usize) {
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
pub(crate) fn nid_valid(v: u64) -> bool {
    if v == 0 || v >= 1_000_000_000 {
        return false;
    }
    let (d, _) = digits(v);
    let sum: u32 = d[..9]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let x = u32::from(c - b'0') * if i % 2 == 0 { 1 } else { 2 };
            x / 10 + x % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The weight of a national ID level: a different ID weighs `nid_far_factor` times more when
/// both are valid and differ in three digits or more (not a slip: another person's number).
fn nid_weight(cfg: &MatchConfig, a: u64, b: u64, level: usize) -> f64 {
    let x = w(cfg, ModelField::NationalId, level);
    if level == 2 && x < 0.0 && nid_valid(a) && nid_valid(b) {
        let (da, _) = digits(a);
        let (db, _) = digits(b);
        if da[..9].iter().zip(&db[..9]).filter(|(p, q)| p != q).count() >= 3 {
            return x * cfg.nid_far_factor;
        }
    }
    x
}

const NID_LABELS: [&str; 3] = ["exact", "one_typo", "different"];
const DOB_LABELS: [&str; 8] =
    ["exact", "year_month", "year", "day_month_swapped", "partial", "year_off_by_one", "different", "far"];
const PHONE_LABELS: [&str; 3] = ["exact", "last7", "different"];
const SEX_LABELS: [&str; 2] = ["agree", "disagree"];

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
        return Some(7);
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

fn w(cfg: &MatchConfig, f: ModelField, level: usize) -> f64 {
    (cfg.m.field(f)[level].max(1e-9) / cfg.u.field(f)[level].max(1e-12)).log2()
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

/// Highest weight one name part can bring.
fn name_max(cfg: &MatchConfig) -> f64 {
    let m = cfg.m.first_name[0].max(cfg.m.father_name[0]).max(cfg.m.grandfather_name[0]).max(cfg.m.family_name[0]);
    (m / cfg.tf_floor.max(1e-12)).log2()
}

/// The log2 likelihood ratio of two persons being one (no prior), or any value below `min`
/// as soon as `min` is out of reach (early exit; no evidence).
pub(crate) fn pair_weight_min(cfg: &MatchConfig, a: &PView<'_>, b: &PView<'_>, min: f64) -> f64 {
    let mut rest = 0.0;
    // Near identifiers weigh only when the names agree (see `near_weight`).
    let mut near = 0.0;
    if let Some(l) = nid_level(a.nid, b.nid) {
        let x = nid_weight(cfg, a.nid, b.nid, l);
        if l == NID_NEAR && x > 0.0 { near += x } else { rest += x }
    }
    if let Some(l) = dob_level(a.dob, b.dob) {
        rest += w(cfg, ModelField::Dob, l);
    }
    if let Some(l) = phone_level(a.phone, b.phone) {
        let x = w(cfg, ModelField::Phone, l);
        if l == PHONE_NEAR && x > 0.0 { near += x } else { rest += x }
    }
    if let Some(l) = sex_level(a.sex, b.sex) {
        rest += w(cfg, ModelField::Sex, l);
    }
    let (nw, agree) = names(cfg, a, b, None, min - rest - near);
    rest + nw + if agree { near } else { 0.0 }
}

/// Level index of a national ID one typo away, and of a phone agreeing on its last seven digits
/// only: near identifiers.
///
/// IDs and phones are handed out in series (registration batches, recycled number ranges), so
/// most of them are one typo away from many others: a near identifier is a coincidence as often
/// as a slip. It supports names that agree (no part different) and weighs nothing otherwise,
/// so that it never makes a match on its own.
const NID_NEAR: usize = 1;
const PHONE_NEAR: usize = 1;

/// The weight of a near identifier's level given whether the names agree.
fn near_weight(cfg: &MatchConfig, f: ModelField, level: usize, near: usize, names_agree: bool) -> f64 {
    let x = w(cfg, f, level);
    if level == near && x > 0.0 && !names_agree { 0.0 } else { x }
}

/// The log2 likelihood ratio of two persons being one (no prior), with evidence if asked.
pub(crate) fn pair_weight(cfg: &MatchConfig, a: &PView<'_>, b: &PView<'_>, mut ev: Option<&mut Vec<Evidence>>) -> f64 {
    if ev.is_none() {
        return pair_weight_min(cfg, a, b, f64::NEG_INFINITY);
    }
    let (mut total, names_agree) = names(cfg, a, b, ev.as_deref_mut(), f64::NEG_INFINITY);
    let fmt_id = |v: u64| {
        if v == 0 { String::new() } else { format!("{v:09}") }
    };
    let fmt_n = |v: u64| if v == 0 { String::new() } else { v.to_string() };
    let fmt_d = |v: u32| PartialDate::unpack(v).map(|d| d.to_string()).unwrap_or_default();
    let fmt_s = |s: Option<Sex>| s.map(|s| s.as_str().to_string()).unwrap_or_default();
    // National ID.
    let lv = nid_level(a.nid, b.nid);
    let x = lv.map_or(0.0, |l| {
        if l == NID_NEAR {
            near_weight(cfg, ModelField::NationalId, l, NID_NEAR, names_agree)
        } else {
            nid_weight(cfg, a.nid, b.nid, l)
        }
    });
    total += x;
    if let Some(ev) = ev.as_deref_mut()
        && (a.nid != 0 || b.nid != 0)
    {
        ev.push(Evidence {
            field: Field::NationalId,
            level: lv.map_or("missing", |l| NID_LABELS[l]),
            ours: fmt_id(a.nid),
            theirs: fmt_id(b.nid),
            similarity: match lv {
                Some(0) => 1.0,
                Some(1) => 0.89,
                _ => 0.0,
            },
            weight: x,
        });
    }
    // Date of birth.
    let lv = dob_level(a.dob, b.dob);
    let x = lv.map_or(0.0, |l| w(cfg, ModelField::Dob, l));
    total += x;
    if let Some(ev) = ev.as_deref_mut()
        && (a.dob != 0 || b.dob != 0)
    {
        ev.push(Evidence {
            field: Field::DateOfBirth,
            level: lv.map_or("missing", |l| DOB_LABELS[l]),
            ours: fmt_d(a.dob),
            theirs: fmt_d(b.dob),
            similarity: match lv {
                Some(0..=2) => 1.0,
                Some(3) => 0.8,
                Some(4) => 0.7,
                Some(5) => 0.6,
                _ => 0.0,
            },
            weight: x,
        });
    }
    // Phone.
    let lv = phone_level(a.phone, b.phone);
    let x = lv.map_or(0.0, |l| near_weight(cfg, ModelField::Phone, l, PHONE_NEAR, names_agree));
    total += x;
    if let Some(ev) = ev.as_deref_mut()
        && (a.phone != 0 || b.phone != 0)
    {
        ev.push(Evidence {
            field: Field::Phone,
            level: lv.map_or("missing", |l| PHONE_LABELS[l]),
            ours: fmt_n(a.phone),
            theirs: fmt_n(b.phone),
            similarity: match lv {
                Some(0) => 1.0,
                Some(1) => 0.7,
                _ => 0.0,
            },
            weight: x,
        });
    }
    // Sex.
    let lv = sex_level(a.sex, b.sex);
    let x = lv.map_or(0.0, |l| w(cfg, ModelField::Sex, l));
    total += x;
    if let Some(ev) = ev
        && (a.sex.is_some() || b.sex.is_some())
    {
        ev.push(Evidence {
            field: Field::Sex,
            level: lv.map_or("missing", |l| SEX_LABELS[l]),
            ours: fmt_s(a.sex),
            theirs: fmt_s(b.sex),
            similarity: if lv == Some(0) { 1.0 } else { 0.0 },
            weight: x,
        });
    }
    total
}

/// Level indices of every model field for one pair (for EM); `None` where missing.
pub(crate) fn levels(cfg: &MatchConfig, a: &PView<'_>, b: &PView<'_>) -> [Option<u8>; 8] {
    let _ = cfg;
    let mut out = [None; 8];
    let tok_level = |i: usize, j: usize| -> Option<u8> {
        (i < a.n && j < b.n).then(|| compare_tokens(&a.toks[i], &b.toks[j]).level as u8)
    };
    out[0] = tok_level(0, 0);
    if a.n >= 3 && b.n >= 3 {
        out[1] = tok_level(1, 1);
    }
    if a.n >= 4 && b.n >= 4 {
        out[2] = tok_level(2, 2);
    }
    if a.n >= 2 && b.n >= 2 {
        out[3] = tok_level(a.n - 1, b.n - 1);
    }
    out[4] = nid_level(a.nid, b.nid).map(|l| l as u8);
    out[5] = dob_level(a.dob, b.dob).map(|l| l as u8);
    out[6] = phone_level(a.phone, b.phone).map(|l| l as u8);
    out[7] = sex_level(a.sex, b.sex).map(|l| l as u8);
    out
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
}
