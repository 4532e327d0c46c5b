//! Names part by part: comparing two tokens (same script, across scripts), the weight of a
//! part's agreement level with its term frequency, the readings of a name (as written, family
//! name first, three parts without the family name), lineage dependence, and the lineage link
//! of a father named in his child's name.

use crate::config::{MatchConfig, ModelField};
use crate::normalize::{self, is_ar};
use crate::phonetic::{self, intersects};
use crate::prepare::MAX_PARTS;
use crate::similarity::{arabic_cost_bounded, jaro_winkler, osa, osa_classes};
use crate::{Role, Sex};

use super::*;

/// Compares two tokens, with the similarity shown in evidence.
pub(crate) fn compare_tokens(a: &TokView<'_>, b: &TokView<'_>) -> TokCmp {
    compare(a, b, true)
}

/// Compares two tokens for their level only (the weight): the same level, label and concept
/// as [`compare_tokens`], but `sim` is not computed where the level does not need it (an
/// Arabic edit distance stops at the largest cost the level can still depend on). The hot path
/// of scoring.
///
/// Remembered: two tokens of one index are compared once per thread while the memo keeps
/// them (see [`Memo`]); the same pairs of names come up again and again (a household's
/// family name against each member of each candidate household, the common given names
/// against each other).
pub(crate) fn compare_levels(a: &TokView<'_>, b: &TokView<'_>) -> TokCmp {
    if a.id == NO_ID || b.id == NO_ID || a.index == 0 || a.index != b.index {
        return compare(a, b, false);
    }
    MEMO.with_borrow_mut(|m| m.compare(a, b))
}

/// Labels of a token comparison, so a remembered one is a byte.
const LABELS: [&str; 6] = ["exact", "different", "transliteration", "similar", "spelling_variant", "one_typo"];

thread_local! {
    static MEMO: std::cell::RefCell<Memo> = const { std::cell::RefCell::new(Memo { slots: Vec::new() }) };
}

/// Token comparisons by interned ids (and the index they are of), in a table of
/// `Memo::SLOTS` entries where a comparison's slot is its ids' hash and a newer one replaces
/// an older: small enough to stay in the core's cache (384 KiB for each thread that scores), and
/// a token's comparison never changes (an index's ids are never given again; another index has
/// another identity).
struct Memo {
    slots: Vec<MemoSlot>,
}

#[derive(Clone, Copy)]
struct MemoSlot {
    a: u32,
    b: u32,
    /// The index's identity; 0 for an empty slot.
    index: u32,
    level: NameLevel,
    concept: bool,
    label: u8,
    sim: f64,
}

impl Memo {
    const SLOTS: usize = 1 << 14;

    fn compare(&mut self, a: &TokView<'_>, b: &TokView<'_>) -> TokCmp {
        if self.slots.is_empty() {
            let empty =
                MemoSlot { a: 0, b: 0, index: 0, level: NameLevel::Different, concept: false, label: 0, sim: 0.0 };
            self.slots = vec![empty; Self::SLOTS];
        }
        let h = (u64::from(a.id) << 32 | u64::from(b.id)) ^ u64::from(a.index).rotate_left(17);
        let at = (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::SLOTS.trailing_zeros())) as usize;
        let s = self.slots[at];
        if s.index == a.index && s.a == a.id && s.b == b.id {
            return TokCmp { level: s.level, sim: s.sim, label: LABELS[usize::from(s.label)], concept: s.concept };
        }
        let c = compare(a, b, false);
        if let Some(label) = LABELS.iter().position(|&l| l == c.label) {
            self.slots[at] = MemoSlot {
                a: a.id,
                b: b.id,
                index: a.index,
                level: c.level,
                concept: c.concept,
                label: label as u8,
                sim: c.sim,
            };
        }
        c
    }
}

fn compare(a: &TokView<'_>, b: &TokView<'_>, with_sim: bool) -> TokCmp {
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
        let minlen = a.code.len().min(b.code.len());
        if !with_sim && same_group {
            return variant(0.0, "spelling_variant");
        }
        // The largest cost the level below can depend on.
        let limit = if with_sim {
            2.0
        } else if known_distinct {
            0.3
        } else if minlen >= 5 {
            2.0
        } else if minlen >= 3 {
            1.0
        } else {
            0.45
        };
        let cost = f64::from(arabic_cost_bounded(a.code, b.code, limit));
        let len = a.code.len().max(b.code.len()) as f64;
        let sim = (1.0 - cost / len).max(0.0);
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
    name_weight_among(cfg, f, c, a, b, None)
}

/// [`name_weight`] with the term frequency taken among `among` name slots instead of all the
/// index's given-name (or family-name) slots, when fewer.
pub(crate) fn name_weight_among(
    cfg: &MatchConfig,
    f: ModelField,
    c: &TokCmp,
    a: &TokView<'_>,
    b: &TokView<'_>,
    among: Option<f64>,
) -> f64 {
    let slot = usize::from(f == ModelField::Family);
    let li = c.level as usize;
    let m = cfg.m.field(f)[li];
    let u = match c.level {
        NameLevel::Exact | NameLevel::Variant => {
            // Term frequency, smoothed towards the default u by `tf_prior_weight` pseudo-slots.
            let count = if c.concept { a.ctf[slot].max(b.ctf[slot]) } else { a.tf[slot].max(b.tf[slot]) };
            let total = f64::from(a.total[slot].max(b.total[slot]));
            let total = among.map_or(total, |x| x.min(total));
            let alpha = cfg.tf_prior_weight;
            let u0 = cfg.u.field(f)[li];
            ((f64::from(count) + alpha * u0) / (total + alpha)).max(cfg.tf_floor)
        }
        _ => cfg.u.field(f)[li],
    };
    (m.max(1e-9) / u.max(1e-12)).log2()
}

pub(super) fn part_field(f: ModelField) -> Field {
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
pub(super) fn names(
    cfg: &MatchConfig,
    a: &PView<'_>,
    b: &PView<'_>,
    ev: Option<&mut Vec<Evidence>>,
    min: f64,
) -> (f64, bool) {
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
pub(super) const ROTATION_COST: f64 = 1.0;

/// `a` read with its family name moved from the front to the end, when `a` looks written
/// family name first against `b`: its first part (or its first two: a family name of two words,
/// `مرازيق البقوم صالح سامي` for `صالح سامي مرازيق البقوم`) is `b`'s family name (its last part,
/// or its last two) and the next part `b`'s first name (by skeleton, so across scripts), and its
/// first part is not also `b`'s first name.
pub(super) fn family_first_view<'a>(a: &PView<'a>, b: &PView<'a>) -> Option<PView<'a>> {
    let (na, nb) = (a.n, b.n);
    if na < 2 || nb < 2 {
        return None;
    }
    let like = |x: &TokView<'_>, y: &TokView<'_>| x.skel != 0 && (x.skel == y.skel || x.skel_full == y.skel_full);
    if like(&a.toks[0], &b.toks[0]) {
        return None;
    }
    // How many parts the family name in front has.
    let k = (1..=2).find(|&k| {
        na > k && nb > k && (0..k).all(|i| like(&a.toks[i], &b.toks[nb - k + i])) && like(&a.toks[k], &b.toks[0])
    })?;
    let mut r = *a;
    r.toks[..na].rotate_left(k);
    Some(r)
}

pub(super) fn names_as_written(
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
pub(super) fn reading(
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
    // A woman's first name is never a father's or grandfather's name: its frequency is among
    // women's first names (about half the persons), not among every given-name slot of the
    // index (first, father's and grandfather's names, mostly men's), which would make فاطمة
    // look several times rarer than it is.
    let woman = a.sex == Some(Sex::F) || b.sex == Some(Sex::F);
    let women = (woman && a.people.max(b.people) > 0.0).then(|| f64::from(a.people.max(b.people)) / 2.0);
    for (k, &(f, i, j)) in pairs.iter().enumerate() {
        // Early exit: even if every remaining part agreed at its best level, `min` is out of
        // reach.
        if min.is_finite()
            && k >= 2
            && total + rest_max(cfg, a, b, &pairs[k..], first_differs, father.is_some(), women) < min
        {
            return (min - 1.0, false);
        }
        let (ta, tb) = (&a.toks[i], &b.toks[j]);
        let c = if detail.is_some() { compare_tokens(ta, tb) } else { compare_levels(ta, tb) };
        let mut x = name_weight_among(cfg, f, &c, ta, tb, if f == ModelField::First { women } else { None });
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

pub(super) fn push_name_evidence(
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
        let c = if ev.is_some() { compare_tokens(a, b) } else { compare_levels(a, b) };
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

/// An upper bound of what the parts `rest` of a reading can still add, read off the parts'
/// own term frequencies without comparing them: each part at its best level (an agreement is
/// never rarer than the more common of the two names, or of their concepts), times the
/// dependence it will be weighed with (`first_differs`, and whether a father part comes
/// before it: `father_seen` or one in `rest`). The weight of a level falls as the frequency
/// rises (as in [`name_weight_among`]), so no comparison can bring more. `f64::INFINITY`
/// where the frequencies give no bound.
///
/// Computed as logarithms of products, one for each dependence (at most three `log2`): the
/// bound costs less than the comparisons it saves.
fn rest_max(
    cfg: &MatchConfig,
    a: &PView<'_>,
    b: &PView<'_>,
    rest: &[(ModelField, usize, usize)],
    first_differs: bool,
    mut father_seen: bool,
    women: Option<f64>,
) -> f64 {
    // Products of the parts' best likelihood ratios (at least 1: a part can bring nothing),
    // by dependence: none, `sibling_dependence`, `lineage_dependence`.
    let mut prod = [1.0f64; 3];
    for &(f, i, j) in rest {
        let (ta, tb) = (&a.toks[i], &b.toks[j]);
        let Some(r) = part_ratio_max(cfg, f, ta, tb, if f == ModelField::First { women } else { None }) else {
            return f64::INFINITY;
        };
        let dep = match f {
            ModelField::Father | ModelField::Grandfather if first_differs => 1,
            ModelField::Grandfather if father_seen => 2,
            _ => 0,
        };
        father_seen |= f == ModelField::Father;
        prod[dep] *= r.max(1.0);
    }
    let factor = [1.0, cfg.sibling_dependence.max(0.0), cfg.lineage_dependence.max(0.0)];
    // A hair above the sum of the parts' own logarithms, which round differently.
    prod.iter().zip(factor).map(|(&p, d)| if p > 1.0 { d * p.log2() } else { 0.0 }).sum::<f64>() + 1e-9
}

/// Bounds of the names' weight (`names(cfg, a, b, ..).0`) of `a` against any person `b` of the
/// same index, read from `a` alone, for the matcher's pre-screen (`score::out_of_reach`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameBounds {
    /// Against anyone.
    pub any: f64,
    /// Against anyone whose first name compares `Different` with `a`'s, neither name read
    /// turned round: the siblings that a large clan brings by their shared father's,
    /// grandfather's and family names.
    pub first_differs: f64,
    /// Against anyone whose father's name compares `Different` with `a`'s and whose first name
    /// does not, neither name read turned round: the cousins a clan brings by a shared first
    /// and family name.
    pub father_differs: f64,
}

/// [`NameBounds`] of `a`: the best of every reading `names` may take (as written, the
/// three-part reading, `a` turned round from family name first), each part at its best level
/// with `a`'s own term counts (the other side's can only raise a count, so lower a weight),
/// the father's and the grandfathers' at the largest dependence `reading` may weigh them with;
/// with the first or the father's names different, that part at its level and the others as
/// `reading` then weighs them. Each part the reading may hold counts (the other name may be
/// longer). `f64::INFINITY` where the frequencies give no bound.
pub(crate) fn name_bounds(cfg: &MatchConfig, a: &PView<'_>) -> NameBounds {
    let n = a.n;
    if n == 0 {
        return NameBounds { any: 0.0, first_differs: 0.0, father_differs: 0.0 };
    }
    // Each part's best log2 ratio as each field, at least 0 (a part can bring nothing);
    // infinite where the frequencies give no bound.
    const FIRST: usize = 0;
    const FATHER: usize = 1;
    const GRANDFATHER: usize = 2;
    const FAMILY: usize = 3;
    let fields = [ModelField::First, ModelField::Father, ModelField::Grandfather, ModelField::Family];
    let mut best = [[0.0f64; MAX_PARTS]; 4];
    for (row, f) in best.iter_mut().zip(fields) {
        for (x, t) in row.iter_mut().zip(&a.toks[..n]) {
            *x = match part_ratio_max(cfg, f, t, t, None) {
                Some(r) if r > 1.0 => r.log2(),
                Some(_) => 0.0,
                None => f64::INFINITY,
            };
        }
    }
    // A part's weight at `Different` (its u is no frequency).
    let different = |f: ModelField| w(cfg, f, NameLevel::Different as usize);
    // A part's best weighed by a dependence (none left of it at 0, even an unbounded one).
    let weigh = |dep: f64, x: f64| if dep > 0.0 { dep * x } else { 0.0 };
    // The dependences a part's positive weight is multiplied by (see `reading`).
    let (sib, lin) = (cfg.sibling_dependence.max(0.0), cfg.lineage_dependence.max(0.0));
    // The readings of `a` turned round by `k` (its first `k` parts moved to the end): as
    // written (first, family, father, grandfather and further ancestors) and the three-part
    // reading at its cost of 2; `first` and `father`: those parts' weight, or `None` for their
    // best; the father's and the grandfathers' best weighed by `father_dep` and `gf_dep`.
    let readings = |k: usize, first: Option<f64>, father: Option<f64>, father_dep: f64, gf_dep: f64| -> f64 {
        let at = |f: usize, p: usize| best[f][(p + k) % n];
        let first = first.unwrap_or_else(|| at(FIRST, 0));
        let father = || father.unwrap_or_else(|| weigh(father_dep, at(FATHER, 1)));
        let mut std = first;
        if n >= 2 {
            std += at(FAMILY, n - 1);
        }
        if n >= 3 {
            std += father();
        }
        for p in 2..n.saturating_sub(1) {
            std += weigh(gf_dep, at(GRANDFATHER, p));
        }
        let alt = if n >= 3 { first + father() + weigh(gf_dep, at(GRANDFATHER, 2)) - 2.0 } else { f64::NEG_INFINITY };
        std.max(alt)
    };
    let (father_dep, gf_dep) = (sib.max(1.0), sib.max(lin));
    let mut any = readings(0, None, None, father_dep, gf_dep);
    // Turned round from family name first (one or two parts), at `ROTATION_COST`.
    for k in (1..=2).filter(|&k| n > k) {
        any = any.max(readings(k, None, None, father_dep, gf_dep) - ROTATION_COST);
    }
    let first_differs = readings(0, Some(different(ModelField::First)), None, sib, sib);
    let father_differs = readings(0, None, Some(different(ModelField::Father)), 1.0, lin);
    // A hair above the sums of the parts' own logarithms, which round differently.
    NameBounds { any: any + 1e-9, first_differs: first_differs + 1e-9, father_differs: father_differs + 1e-9 }
}

/// The highest likelihood ratio `m / u` (not its logarithm) any level of a comparison of `a`
/// and `b` in part `f` can have, or `None` when the term frequencies give no bound.
fn part_ratio_max(
    cfg: &MatchConfig,
    f: ModelField,
    a: &TokView<'_>,
    b: &TokView<'_>,
    among: Option<f64>,
) -> Option<f64> {
    let slot = usize::from(f == ModelField::Family);
    let (m, u) = (cfg.m.field(f), cfg.u.field(f));
    // The smallest count an agreement is weighed with: by the names or by their concepts.
    let count = f64::from(a.tf[slot].max(b.tf[slot]).min(a.ctf[slot].max(b.ctf[slot])));
    let total = f64::from(a.total[slot].max(b.total[slot]));
    let total = among.map_or(total, |x| x.min(total));
    let alpha = cfg.tf_prior_weight;
    // A weight falls as the count rises only with a positive denominator and no negative
    // pseudo-count (NaN included).
    let positive = (total + alpha).partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater);
    if !positive || alpha.partial_cmp(&0.0).is_none_or(|o| o == std::cmp::Ordering::Less) {
        return None;
    }
    let mut best = 0.0f64;
    for level in [NameLevel::Exact, NameLevel::Variant, NameLevel::OneTypo, NameLevel::Similar, NameLevel::Different] {
        let li = level as usize;
        let ul = match level {
            NameLevel::Exact | NameLevel::Variant => ((count + alpha * u[li]) / (total + alpha)).max(cfg.tf_floor),
            _ => u[li],
        };
        best = best.max(m[li].max(1e-9) / ul.max(1e-12));
    }
    best.is_finite().then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Index, PersonInput, prepare};

    #[test]
    fn remembered_comparisons_are_those_of_their_own_index() {
        assert_eq!(std::mem::size_of::<MemoSlot>() * Memo::SLOTS, 384 << 10, "the size its docs give");
        // Two indexes whose tokens 0 and 1 are one name in two scripts in the first and two
        // names in the second: the same ids, compared through one thread's memo, give each
        // index's own answer; a clone is another index, and so is an index cleared.
        let ix = |names: [&str; 2]| {
            let mut ix = Index::new();
            for (i, n) in names.iter().enumerate() {
                ix.insert(i as u64, i as u64, prepare(&PersonInput::new(crate::Role::Head, n)));
            }
            ix
        };
        let level = |ix: &Index| {
            let (a, b) = (ix.view(0), ix.view(1));
            assert_eq!((a.toks[0].id, b.toks[0].id), (0, 1));
            let remembered = compare_levels(&a.toks[0], &b.toks[0]).level;
            assert_eq!(remembered, compare(&a.toks[0], &b.toks[0], false).level);
            remembered
        };
        let one = ix(["محمد", "Mohammed"]);
        let two = ix(["محمد", "خالد"]);
        let mut cleared = one.clone();
        for _ in 0..2 {
            assert_ne!(level(&one), NameLevel::Different);
            assert_eq!(level(&two), NameLevel::Different);
            assert_ne!(level(&one.clone()), NameLevel::Different);
        }
        cleared.clear();
        for (i, n) in ["محمد", "خالد"].iter().enumerate() {
            cleared.insert(i as u64, i as u64, prepare(&PersonInput::new(crate::Role::Head, n)));
        }
        assert_eq!(level(&cleared), NameLevel::Different);
    }

    #[test]
    fn levels_alone_agree_with_the_full_comparison() {
        let names = [
            "محمد",
            "محمود",
            "احمد",
            "حامد",
            "حمد",
            "اسحق",
            "اسحاق",
            "هديب",
            "اهديب",
            "داود",
            "داوود",
            "سلمان",
            "صلمان",
            "عبده",
            "عبدو",
            "فاطمه",
            "فاطمة",
            "فطمه",
            "سامي",
            "سمير",
            "ابراهيم",
            "إبراهيم",
            "مصطفي",
            "مصطفى",
            "الشاعر",
            "الشاعري",
            "النجار",
            "النجاري",
            "ابو",
            "ع",
            "Mohammed",
            "Muhammad",
            "Ahmad",
            "Shaer",
        ];
        let ix = Index::new();
        let people: Vec<_> = names.iter().map(|n| prepare(&PersonInput::new(Role::Head, n))).collect();
        for a in &people {
            for b in &people {
                let (va, vb) = (ix.view_of(a), ix.view_of(b));
                let (x, y) = (compare_tokens(&va.toks[0], &vb.toks[0]), compare_levels(&va.toks[0], &vb.toks[0]));
                assert_eq!((x.level, x.label, x.concept), (y.level, y.label, y.concept), "{a:?} {b:?}");
            }
        }
    }
}
