//! One pair of persons: the total weight of every field (with an early exit for the matcher),
//! the evidence when asked, and the comparison vector EM trains on.

use crate::Sex;
use crate::config::{MatchConfig, ModelField};
use crate::normalize::PartialDate;

use super::*;

pub(super) const NID_LABELS: [&str; 3] = ["exact", "one_typo", "different"];
pub(super) const DOB_LABELS: [&str; 8] =
    ["exact", "year_month", "year", "day_month_swapped", "partial", "year_off_by_one", "different", "far"];
pub(super) const PHONE_LABELS: [&str; 3] = ["exact", "last7", "different"];
pub(super) const SEX_LABELS: [&str; 2] = ["agree", "disagree"];

/// The log2 likelihood ratio of two persons being one (no prior), or any value below `min`
/// as soon as `min` is out of reach (early exit; no evidence).
pub(crate) fn pair_weight_min(cfg: &MatchConfig, a: &PView<'_>, b: &PView<'_>, min: f64) -> f64 {
    let (rest, near) = fields(cfg, a, b);
    let common = common_penalty(a, b);
    let (x, y) = in_name_order(a, b);
    let (nw, agree) = names(cfg, x, y, None, min - rest - near);
    rest + nw + if agree { near - combination(common, a, b) } else { 0.0 }
}

/// The weight of the fields other than the names: of those that count whatever the names
/// say, and of the near identifiers, which count only when the names agree (see
/// `near_weight`).
fn fields(cfg: &MatchConfig, a: &PView<'_>, b: &PView<'_>) -> (f64, f64) {
    fields_by(cfg, &|f, l| w(cfg, f, l), a, b)
}

/// [`fields`] with each level's weight from `weight` (a [`FieldWeights`] or [`w`] itself).
fn fields_by(cfg: &MatchConfig, weight: &dyn Fn(ModelField, usize) -> f64, a: &PView<'_>, b: &PView<'_>) -> (f64, f64) {
    let mut rest = 0.0;
    let mut near = 0.0;
    if let Some(l) = nid_level(a.nid, b.nid) {
        let x = nid_far(cfg, weight(ModelField::NationalId, l), a.nid, b.nid, l);
        if l == NID_NEAR && x > 0.0 { near += x } else { rest += x }
    }
    if let Some(l) = dob_level(a.dob, b.dob) {
        rest += weight(ModelField::Dob, l);
    }
    if let Some(l) = phone_level(a.phone, b.phone) {
        let x = weight(ModelField::Phone, l);
        if l == PHONE_NEAR && x > 0.0 { near += x } else { rest += x }
    }
    if let Some(l) = sex_level(a.sex, b.sex) {
        rest += weight(ModelField::Sex, l);
    }
    (rest, near)
}

/// Whether `pair_weight_min(cfg, a, b, min)` is certainly below `min`, read from the fields
/// other than the names (their weights taken once, `weights`), `a`'s [`NameBounds`] and at
/// most the comparisons (remembered) of the first and the father's names: the rest of the
/// names is not compared. A pre-screen for the matcher, where most pairs a large population
/// brings are namesakes another field sets apart, siblings (first names differ) or cousins
/// (fathers' names differ).
pub(crate) fn out_of_reach(
    cfg: &MatchConfig,
    weights: &FieldWeights,
    a: &PView<'_>,
    b: &PView<'_>,
    bounds: &NameBounds,
    min: f64,
) -> bool {
    if a.n == 0 || b.n == 0 {
        return false;
    }
    let (rest, near) = fields_by(cfg, &|f, l| weights.of(f, l), a, b);
    // The near identifiers count when the names agree, less a penalty (never negative) for a
    // common combination.
    if rest + bounds.any + near.max(0.0) < min {
        return true;
    }
    // With the first names different the names do not agree: no near identifier counts. Not
    // where either name may be read turned round (another first name is compared then).
    if family_first_view(a, b).is_some() || family_first_view(b, a).is_some() {
        return false;
    }
    let (x, y) = in_name_order(a, b);
    if compare_levels(&x.toks[0], &y.toks[0]).level == NameLevel::Different {
        return rest + bounds.first_differs < min;
    }
    x.n >= 3
        && y.n >= 3
        && compare_levels(&x.toks[1], &y.toks[1]).level == NameLevel::Different
        && rest + bounds.father_differs < min
}

/// The two persons in the order their names are read in: the same whichever side comes first,
/// so the weight is symmetric (the readings tried are not: a proptest found a mixed-script pair
/// paired one way only).
fn in_name_order<'p, 'a>(a: &'p PView<'a>, b: &'p PView<'a>) -> (&'p PView<'a>, &'p PView<'a>) {
    if name_order(a, b) == std::cmp::Ordering::Greater { (b, a) } else { (a, b) }
}

/// A total order of two persons' names (their parts' codes), to compare them in one order.
fn name_order(a: &PView<'_>, b: &PView<'_>) -> std::cmp::Ordering {
    a.toks[..a.n].iter().map(|t| t.code).cmp(b.toks[..b.n].iter().map(|t| t.code))
}

/// Level index of a national ID one typo away, and of a phone agreeing on its last seven digits
/// only: near identifiers.
///
/// IDs and phones are handed out in series (registration batches, recycled number ranges), so
/// most of them are one typo away from many others: a near identifier is a coincidence as often
/// as a slip. It supports names that agree (no part different) and weighs nothing otherwise,
/// so that it never makes a match on its own.
pub(super) const NID_NEAR: usize = 1;
pub(super) const PHONE_NEAR: usize = 1;

/// The weight of a near identifier's level given whether the names agree.
pub(super) fn near_weight(cfg: &MatchConfig, f: ModelField, level: usize, near: usize, names_agree: bool) -> f64 {
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
    // A common name with a common birth year (frequency of the combination).
    let x = if names_agree { -combination(common_penalty(a, b), a, b) } else { 0.0 };
    total += x;
    if let Some(ev) = ev.as_deref_mut()
        && x != 0.0
    {
        ev.push(Evidence {
            field: Field::Name,
            level: "common_with_birth_year",
            ours: PartialDate::unpack(a.dob).map(|d| d.year.to_string()).unwrap_or_default(),
            theirs: PartialDate::unpack(b.dob).map(|d| d.year.to_string()).unwrap_or_default(),
            similarity: 1.0,
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
        (i < a.n && j < b.n).then(|| compare_levels(&a.toks[i], &b.toks[j]).level as u8)
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

/// The larger common-name penalty of the two sides.
fn common_penalty(a: &PView<'_>, b: &PView<'_>) -> f64 {
    f64::from(a.common.max(b.common))
}

/// The part of `common` that applies: names that agree (checked by the caller) with the same
/// birth year on both sides, or with a birth year missing on either side (then the name alone
/// is what agrees, and the incoming person's `common` counts namesakes of every year).
fn combination(common: f64, a: &PView<'_>, b: &PView<'_>) -> f64 {
    let (ya, yb) = (a.dob >> 9, b.dob >> 9);
    if common > 0.0 && (ya == 0 || yb == 0 || ya == yb) { common } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Index, PersonInput, Role, prepare};

    /// A small population with common and rare names, siblings and cousins, both scripts,
    /// with and without dates, phones and women: the index and the incoming persons.
    fn population() -> (Index, Vec<crate::PreparedPerson>) {
        let given = ["محمد", "احمد", "محمود", "علي", "خالد", "ابراهيم", "حسن", "يوسف", "راتب", "Mohammed", "Ahmad"];
        let women = ["فاطمة", "فاطمه", "مريم", "عائشة", "Fatima"];
        let family = ["الشاعر", "النجار", "هديب", "اهديب", "العمري", "Al-Shaer", "Najjar"];
        let mut names = Vec::new();
        let mut k = 0u64;
        let mut pick = |list: &[&'static str]| {
            k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // Skewed: the first names of a list are the most common.
            let r = ((k >> 33) % 1000) as f64 / 1000.0;
            list[(list.len() as f64 * r * r) as usize]
        };
        for i in 0..400 {
            let woman = i % 3 == 0;
            let first = if woman { pick(&women) } else { pick(&given) };
            let parts = 2 + i % 4;
            let mut n = vec![first];
            for _ in 2..parts {
                n.push(pick(&given));
            }
            n.push(pick(&family));
            names.push((n.join(" "), woman, 1960 + (i * 7) % 40, i % 5));
        }
        let dobs: Vec<String> = names.iter().map(|(_, _, y, m)| format!("{y}-0{}-1{}", m + 1, m)).collect();
        let phones: Vec<String> = (0..names.len()).map(|i| format!("0599{:06}", 100 + i % 37)).collect();
        let ids: Vec<String> = (0..names.len()).map(|i| format!("4{:08}", 1_000_000 + (i % 23) * 7919)).collect();
        let input = |i: usize| {
            let (n, woman, _, m) = &names[i];
            let mut p = PersonInput::new(if *m == 0 { Role::Child } else { Role::Head }, n).sex(if *woman {
                Sex::F
            } else {
                Sex::M
            });
            if !i.is_multiple_of(4) {
                p = p.dob(&dobs[i][..if i % 4 == 1 { 4 } else { 10 }]);
            }
            if i % 3 == 1 {
                p = p.phone(&phones[i]);
            }
            if i % 5 == 2 {
                p = p.id(&ids[i]);
            }
            p
        };
        let mut ix = Index::new();
        for i in 0..names.len() {
            ix.insert(i as u64, (i / 3) as u64, prepare(&input(i)));
        }
        let incoming = (0..names.len()).step_by(7).map(|i| prepare(&input(i))).collect();
        (ix, incoming)
    }

    /// The scorer's views of the incoming persons (with their common-name penalty) and of the
    /// stored ones.
    fn views<'a>(
        cfg: &MatchConfig,
        ix: &'a Index,
        incoming: &'a [crate::PreparedPerson],
    ) -> (Vec<PView<'a>>, Vec<PView<'a>>) {
        let mut views: Vec<PView<'_>> = incoming.iter().map(|p| ix.view_of(p)).collect();
        for (v, p) in views.iter_mut().zip(incoming) {
            let (found, expected) = ix.namesakes(p, cfg.year_share());
            v.common = cfg.combination_penalty(found, expected) as f32;
        }
        let stored = (0..ix.persons() as u32).map(|s| ix.view(s)).collect();
        (views, stored)
    }

    /// The early exits (`names`' bound on the parts not yet compared) never change an answer:
    /// a weight at or above `min` is the full weight, and a weight below it is below it in
    /// full too, for stored and incoming persons compared at the thresholds the matcher uses
    /// and around them.
    #[test]
    fn early_exits_keep_every_answer() {
        let (ix, incoming) = population();
        let cfg = MatchConfig::default();
        let (views, stored) = views(&cfg, &ix, &incoming);
        let (mut above, mut below) = (0, 0);
        for a in views.iter().chain(&stored[..60]) {
            for b in &stored {
                let full = pair_weight_min(&cfg, a, b, f64::NEG_INFINITY);
                for min in [-20.0, -2.0, 0.0, 3.0, PAIR_MIN - 1.0, 6.0, 8.0, 12.0, 20.0, cfg.clash_below] {
                    let w = pair_weight_min(&cfg, a, b, min);
                    if full >= min {
                        assert_eq!(w, full, "min {min}");
                        above += 1;
                    } else {
                        assert!(w < min, "min {min}: {w} for {full}");
                        below += 1;
                    }
                }
            }
        }
        assert!(above > 1000 && below > 1000, "both sides tried: {above} above, {below} below");
    }

    /// The matcher's pre-screen (`out_of_reach`) sets a pair aside only when its weight is
    /// below the threshold, and its bounds hold the names' weight, under the default model and
    /// under models whose dependences and frequencies weigh lineage parts otherwise (a
    /// dependence above 1, none at all, no pseudo-count); and it sets many pairs aside.
    #[test]
    fn the_pre_screen_sets_aside_only_pairs_below_the_threshold() {
        let (ix, incoming) = population();
        let models = [
            MatchConfig::default(),
            MatchConfig { sibling_dependence: 1.4, lineage_dependence: 0.0, ..MatchConfig::default() },
            MatchConfig {
                sibling_dependence: 0.0,
                lineage_dependence: 2.0,
                tf_prior_weight: 0.0,
                ..MatchConfig::default()
            },
        ];
        for cfg in &models {
            let weights = FieldWeights::new(cfg);
            let (views, stored) = views(cfg, &ix, &incoming);
            let (mut aside, mut kept) = (0, 0);
            for a in views.iter().chain(&stored[..60]) {
                let bounds = name_bounds(cfg, a);
                for b in &stored {
                    let full = pair_weight_min(cfg, a, b, f64::NEG_INFINITY);
                    let (x, y) = in_name_order(a, b);
                    let (names, _) = names(cfg, x, y, None, f64::NEG_INFINITY);
                    assert!(names <= bounds.any, "{names} above its bound {}", bounds.any);
                    for min in [-2.0, 0.0, 3.0, PAIR_MIN - 1.0, 8.0, 12.0] {
                        if out_of_reach(cfg, &weights, a, b, &bounds, min) {
                            assert!(full < min, "set aside at {min} with {full}: {a:?} {b:?}");
                            aside += 1;
                        } else {
                            kept += 1;
                        }
                    }
                }
            }
            assert!(aside > kept / 4, "the screen sets pairs aside: {aside} aside, {kept} kept");
        }
    }

    const PAIR_MIN: f64 = crate::matcher::PAIR_MIN;
}
