//! The household decision: members paired greedily by weight, the anchor pair, further pairs,
//! the lineage link, and the contradictions that weigh against and send a merge to review.

use crate::score::{self, PView};
use crate::{Role, Sex};

use super::*;

impl Matcher {
    /// Household log2 odds and member pairs (ours, theirs, weight), strongest first.
    pub(super) fn assess(&self, prior: f64, ours: &[PView<'_>], theirs: &[PView<'_>]) -> (f64, Pairs) {
        let cfg = &self.config;
        let versions = with_versions(theirs);
        let theirs: &[PView<'_>] = &versions;
        let (n, m) = (ours.len(), theirs.len());
        // Stored households hold the same person once per record: score each distinct stored
        // person once (same interned tokens and fields).
        let sig: Vec<u64> = theirs.iter().map(signature).collect();
        let mut first_of: Vec<usize> = (0..m).collect();
        for j in 1..m {
            if let Some(k) = (0..j).find(|&k| sig[k] == sig[j]) {
                first_of[j] = first_of[k];
            }
        }
        let mut cands: Vec<(f64, usize, usize)> = Vec::with_capacity(n * m);
        let mut row = vec![f64::NEG_INFINITY; m];
        for (i, a) in ours.iter().enumerate() {
            for (j, b) in theirs.iter().enumerate() {
                // Born a generation apart, two persons are no pair whatever their weight: not
                // scored (a person's copies, equal in every field, are apart from `a` alike).
                let w = if first_of[j] < j {
                    row[first_of[j]]
                } else if generations_apart(a, b) {
                    f64::NEG_INFINITY
                } else {
                    score::pair_weight_min(cfg, a, b, PAIR_MIN - 1.0) + score::role_weight(a.role, b.role).0
                };
                row[j] = w;
                if w >= PAIR_MIN {
                    cands.push((w, i, j));
                }
            }
        }
        cands.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut used_a = vec![false; n];
        let mut used_b = vec![false; m];
        let mut pairs: Pairs = Vec::new();
        // Stored persons some incoming member could pair with.
        let mut wanted = vec![false; m];
        for &(_, _, j) in &cands {
            wanted[j] = true;
        }
        for &(w, i, j) in &cands {
            if used_a[i] || used_b[j] {
                continue;
            }
            used_a[i] = true;
            used_b[j] = true;
            pairs.push((i, j, w, Link::Person));
            // A stored household is compared as its members are: the person just paired,
            // written otherwise by another record, pairs no second incoming member (no union
            // of every spelling the household absorbed).
            for k in 0..m {
                if wanted[k]
                    && !used_b[k]
                    && (first_of[k] == first_of[j]
                        || (theirs[k].role.is_adult_anchor() == theirs[j].role.is_adult_anchor()
                            && score::pair_weight_min(cfg, &theirs[j], &theirs[k], PAIR_MIN) >= PAIR_MIN))
                {
                    used_b[k] = true;
                }
            }
        }
        // Sex where a record leaves it out: a paired person's from the other side, then a
        // spouse's from the partner's (a couple is a man and a woman).
        let (sa, sb) = infer_sexes(ours, theirs, &pairs);
        let man = |v: &[Option<Sex>], people: &[PView<'_>]| {
            people.iter().zip(v).any(|(p, s)| p.role.is_adult_anchor() && *s == Some(Sex::M))
        };
        let (men_a, men_b) = (man(&sa, ours), man(&sb, theirs));
        let mut l = prior;
        let extras = |pairs: &Pairs, skip: Option<usize>| -> f64 {
            pairs
                .iter()
                .enumerate()
                .filter(|(x, _)| Some(*x) != skip)
                .map(|(_, p)| cfg.extra_pair_factor * p.2.min(2.0 * cfg.non_anchor_cap))
                .sum()
        };
        let is_anchor =
            |p: &(usize, usize, f64, Link)| ours[p.0].role.is_adult_anchor() && theirs[p.1].role.is_adult_anchor();
        if let Some(k) = pairs.iter().position(is_anchor) {
            l += pairs[k].2 + extras(&pairs, Some(k));
        } else {
            // No head/spouse pair: several children, or a father present in one record only
            // and named as the children's father in the other.
            let no_anchor = if pairs.is_empty() {
                f64::NEG_INFINITY
            } else {
                pairs.iter().map(|p| p.2.min(cfg.non_anchor_cap)).sum::<f64>() - cfg.no_anchor_penalty
            };
            let mut best_lin: Option<(f64, usize, usize, Link)> = None;
            // A father present in one record only: not when the children's record has a man of
            // its own (then he is their father, and the two are other families).
            for (i, a) in ours.iter().enumerate().filter(|(i, _)| !used_a[*i] && !men_b) {
                for (j, b) in theirs.iter().enumerate() {
                    if let Some(w) = score::lineage(cfg, a, b, None)
                        && best_lin.is_none_or(|x| w > x.0)
                    {
                        best_lin = Some((w, i, j, Link::OursParent));
                    }
                }
            }
            for (j, b) in theirs.iter().enumerate().filter(|(j, _)| !used_b[*j] && !men_a) {
                for (i, a) in ours.iter().enumerate() {
                    if let Some(w) = score::lineage(cfg, b, a, None)
                        && best_lin.is_none_or(|x| w > x.0)
                    {
                        best_lin = Some((w, i, j, Link::TheirsParent));
                    }
                }
            }
            let lin = best_lin.map_or(f64::NEG_INFINITY, |x| x.0 - cfg.lineage_penalty + extras(&pairs, None));
            if lin > no_anchor {
                if let Some((w, i, j, link)) = best_lin {
                    // The parent is accounted for: not an unpaired adult.
                    match link {
                        Link::OursParent => used_a[i] = true,
                        _ => used_b[j] = true,
                    }
                    pairs.insert(0, (i, j, w, link));
                }
                l += lin;
            } else {
                l += no_anchor;
            }
        }
        if pairs.is_empty() {
            return (f64::NEG_INFINITY, pairs);
        }
        // Adults unpaired on both sides (two different wives), of the same sex where known.
        let unpaired = |v: &[PView<'_>], sexes: &[Option<Sex>], used: &[bool]| {
            let mut c = [0usize; 3];
            for (x, p) in v.iter().enumerate() {
                if !used[x] && p.role.is_adult_anchor() {
                    c[match sexes[x] {
                        Some(Sex::M) => 0,
                        Some(Sex::F) => 1,
                        None => 2,
                    }] += 1;
                }
            }
            c
        };
        // Adults unpaired on both sides that are not plainly different (a pair weight short of
        // a pair but not against it: a name written very differently; not born a generation
        // apart) are left out of the count: they may be one person.
        let (mut used_a, mut used_b) = (used_a.clone(), used_b.clone());
        // Only adults unpaired on both sides can clash: nothing to look at when all of ours
        // are paired.
        let ours_unpaired = (0..n).any(|i| !used_a[i] && ours[i].role.is_adult_anchor());
        // A stored household holds its people once per record: an unpaired stored adult who is
        // a paired one written again is no other adult.
        for j in 0..m {
            if !ours_unpaired || used_b[j] || !theirs[j].role.is_adult_anchor() {
                continue;
            }
            if pairs.iter().any(|&(_, k, _, link)| link == Link::Person && first_of[k] == first_of[j]) {
                used_b[j] = true;
                continue;
            }
            let again = pairs.iter().any(|&(_, k, _, link)| {
                link == Link::Person && score::pair_weight_min(cfg, &theirs[j], &theirs[k], PAIR_MIN) >= PAIR_MIN
            });
            if again {
                used_b[j] = true;
            }
        }
        for (i, a) in ours.iter().enumerate() {
            if !ours_unpaired || used_a[i] || !a.role.is_adult_anchor() {
                continue;
            }
            for (j, b) in theirs.iter().enumerate() {
                if used_b[j] || !b.role.is_adult_anchor() || (sa[i].is_some() && sb[j].is_some() && sa[i] != sb[j]) {
                    continue;
                }
                // Born a generation apart, they are two people however alike their names (a
                // wife of 1972 and one of 1991 are two wives).
                if !generations_apart(a, b) && score::pair_weight_min(cfg, a, b, cfg.clash_below) >= cfg.clash_below {
                    used_a[i] = true;
                    used_b[j] = true;
                    break;
                }
            }
        }
        let (mut ua, mut ub) = (unpaired(ours, &sa, &used_a), unpaired(theirs, &sb, &used_b));
        let mut clashes = 0;
        // Two different husbands: a household has one (it may have two wives).
        let men = ua[0].min(ub[0]);
        l -= cfg.unmatched_man_penalty * men as f64;
        ua[0] -= men;
        ub[0] -= men;
        let k = ua[1].min(ub[1]);
        clashes += k;
        ua[1] -= k;
        ub[1] -= k;
        // An adult of unknown sex may clash with anyone left.
        let k = ua[2].min(ub[0] + ub[1] + ub[2]);
        clashes += k;
        ub[2] -= k.min(ub[2]);
        clashes += ub[2].min(ua[0] + ua[1]);
        l -= cfg.unmatched_adult_penalty * clashes as f64;
        // Children of another father: the father's name the children carry on one side is not
        // the children's father's name nor the husband's first name on the other.
        let other_father = father_contradicts(ours, &sa, theirs, &sb);
        if other_father {
            l -= cfg.father_contradiction_penalty;
        }
        // A stored household that already holds another husband, plainly different from the one
        // ours pairs with (two families joined once, by review or by error): joining it again
        // would chain a third; for a person to decide.
        let two_husbands = two_husbands(cfg, theirs, &sb, &pairs, &used_b);
        // A merge of households whose adults or children contradict each other is for a person
        // to decide, however strong the pairs that carry it: at most `possible`.
        if cfg.contradiction_to_review && (men > 0 || clashes > 0 || other_father || two_husbands) {
            let p = (cfg.probable - 1e-3).clamp(1e-9, 1.0 - 1e-9);
            l = l.min((p / (1.0 - p)).log2());
        }
        (l, pairs)
    }
}

/// Whether the stored household holds, besides the man an incoming adult pairs with, another
/// man among its heads and spouses who is plainly not him (a pair weight under `clash_below`,
/// not his father or son by name: a son who became head keeps his father's first name as his
/// father name).
fn two_husbands(cfg: &MatchConfig, theirs: &[PView<'_>], sb: &[Option<Sex>], pairs: &Pairs, used_b: &[bool]) -> bool {
    let Some(&(_, j, _, _)) =
        pairs.iter().find(|p| p.3 == Link::Person && theirs[p.1].role.is_adult_anchor() && sb[p.1] == Some(Sex::M))
    else {
        return false;
    };
    let him = &theirs[j];
    let kin = |a: &PView<'_>, b: &PView<'_>| {
        a.n >= 3 && b.n >= 1 && score::compare_levels(&a.toks[1], &b.toks[0]).level != score::NameLevel::Different
    };
    theirs.iter().enumerate().any(|(k, other)| {
        k != j
            && !used_b[k]
            && other.role.is_adult_anchor()
            && sb[k] == Some(Sex::M)
            && !kin(him, other)
            && !kin(other, him)
            && score::pair_weight_min(cfg, him, other, cfg.clash_below) < cfg.clash_below
    })
}

/// The names a household gives its father: the second name part of each child with three
/// parts or more, and the first and last name parts of each man among its head and spouse (the
/// last in case the name is written family name first). Returns whether there were children.
pub(super) fn fathers<'a>(v: &'a [PView<'a>], sexes: &[Option<Sex>], out: &mut Vec<&'a score::TokView<'a>>) -> bool {
    let mut children = false;
    for (p, s) in v.iter().zip(sexes) {
        if p.role == Role::Child && p.n >= 3 {
            out.push(&p.toks[1]);
            children = true;
        } else if p.role.is_adult_anchor() && *s == Some(Sex::M) && p.n >= 1 {
            out.push(&p.toks[0]);
            if p.n >= 2 {
                out.push(&p.toks[p.n - 1]);
            }
        }
    }
    children
}

/// Whether the children on one side name a father that the other side plainly does not have:
/// no name the one side gives its father (children's father names, husbands' names) agrees
/// with any the other side gives. Needs children on at least one side (two different men with
/// no children are the unpaired-adult rule's business).
pub(super) fn father_contradicts(
    ours: &[PView<'_>],
    sa: &[Option<Sex>],
    theirs: &[PView<'_>],
    sb: &[Option<Sex>],
) -> bool {
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    let kids_a = fathers(ours, sa, &mut fa);
    let kids_b = fathers(theirs, sb, &mut fb);
    if fa.is_empty() || fb.is_empty() || !(kids_a || kids_b) {
        return false;
    }
    !fa.iter().any(|x| fb.iter().any(|y| score::compare_levels(x, y).level != score::NameLevel::Different))
}

/// Sexes of both sides' members, filled in where a record leaves them out: a paired person
/// takes the sex the other side gives, and the head and spouse of a record with exactly one
/// of them known are taken as a man and a woman.
pub(super) fn infer_sexes(
    ours: &[PView<'_>],
    theirs: &[PView<'_>],
    pairs: &Pairs,
) -> (Vec<Option<Sex>>, Vec<Option<Sex>>) {
    let mut sa: Vec<Option<Sex>> = ours.iter().map(|p| p.sex).collect();
    let mut sb: Vec<Option<Sex>> = theirs.iter().map(|p| p.sex).collect();
    let across = |sa: &mut [Option<Sex>], sb: &mut [Option<Sex>]| {
        for &(i, j, _, link) in pairs {
            if link == Link::Person {
                match (sa[i], sb[j]) {
                    (None, Some(x)) => sa[i] = Some(x),
                    (Some(x), None) => sb[j] = Some(x),
                    _ => {}
                }
            }
        }
    };
    let couple = |v: &[PView<'_>], s: &mut [Option<Sex>]| {
        let anchors: Vec<usize> = (0..v.len()).filter(|&x| v[x].role.is_adult_anchor()).collect();
        if let [x, y] = anchors[..] {
            let other = |z: Sex| if z == Sex::M { Sex::F } else { Sex::M };
            match (s[x], s[y]) {
                (Some(a), None) => s[y] = Some(other(a)),
                (None, Some(b)) => s[x] = Some(other(b)),
                _ => {}
            }
        }
    };
    across(&mut sa, &mut sb);
    couple(ours, &mut sa);
    couple(theirs, &mut sb);
    across(&mut sa, &mut sb);
    couple(ours, &mut sa);
    couple(theirs, &mut sb);
    (sa, sb)
}

/// Two persons born five years apart or more (both birth dates known) who share no ID and no
/// phone are not paired as one person, however alike their names: in a clan a son is named
/// after his grandfather and carries his father's name, so a name agreeing across a generation
/// is what namesakes look like, and their names' weights (each part's frequency taken as if
/// independent of the others) would outweigh the dates. Such a pair is left unpaired.
pub(super) fn generations_apart(a: &PView<'_>, b: &PView<'_>) -> bool {
    score::dob_level(a.dob, b.dob) == Some(score::DOB_FAR)
        && !(a.nid != 0 && a.nid == b.nid)
        && !(a.phone != 0 && a.phone == b.phone)
}

/// The head and spouse of one record with exactly one of their sexes known are a man and a
/// woman: the other's sex is filled in before scoring (a wife recorded without her sex is not
/// compared with a man as if she might be one).
pub(super) fn couple_sexes(v: &mut [PView<'_>]) {
    let mut anchors = (0..v.len()).filter(|&x| v[x].role.is_adult_anchor());
    if let (Some(x), Some(y), None) = (anchors.next(), anchors.next(), anchors.next()) {
        let other = |z: Sex| if z == Sex::M { Sex::F } else { Sex::M };
        match (v[x].sex, v[y].sex) {
            (Some(a), None) => v[y].sex = Some(other(a)),
            (None, Some(b)) => v[x].sex = Some(other(b)),
            _ => {}
        }
    }
}

/// A signature of a person view: equal for the same interned tokens and fields.
pub(super) fn signature(v: &PView<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::phonetic::FxHasher::default();
    for t in &v.toks[..v.n] {
        (t.code.as_ptr() as usize, t.code.len()).hash(&mut h);
    }
    (v.n, v.nid, v.dob, v.phone, v.sex, v.role).hash(&mut h);
    h.finish()
}

/// A stored household holds a person once per record, each with what that record knew: one
/// gave the birth date, another the ID, a third neither. Each stored person is read here with
/// what the household's other versions of them said (same first, father's and family names by
/// skeleton, same kind of member, no other ID), so that a field one record left out cannot
/// hide what another record says against an incoming person. A birth date is taken only when
/// the versions agree on its year (the fullest one), an ID only when they agree, and a name
/// without a father's name takes the fullest version's name when the versions agree on the
/// father (so a short version cannot pair where the full one says "another father").
///
/// Borrows `theirs` as it is unless some person gains a value (no copy on the common path).
fn with_versions<'a, 'b>(theirs: &'b [PView<'a>]) -> std::borrow::Cow<'b, [PView<'a>]> {
    let mut out = std::borrow::Cow::Borrowed(theirs);
    if theirs.len() < 2 {
        return out;
    }
    let year = |d: u32| d >> 9;
    for (j, v) in theirs.iter().enumerate() {
        if v.dob != 0 && v.nid != 0 && v.n >= 3 {
            continue;
        }
        let (mut dob, mut dob_clash, mut nid, mut nid_clash) = (0u32, false, 0u64, false);
        // The fullest name among the versions that give a father's name, when this one gives
        // none and they agree on it.
        let (mut fuller, mut fuller_clash): (Option<usize>, bool) = (None, false);
        for (k, w) in theirs.iter().enumerate() {
            if k == j || !same_person(v, w) {
                continue;
            }
            if v.n < 3 && w.n >= 3 {
                match fuller {
                    Some(f) if theirs[f].toks[1].skel != w.toks[1].skel => fuller_clash = true,
                    Some(f) if theirs[f].n >= w.n => {}
                    _ => fuller = Some(k),
                }
            }
            if v.dob == 0 && w.dob != 0 {
                if dob != 0 && year(dob) != year(w.dob) {
                    dob_clash = true;
                } else if w.dob > dob {
                    // Same year: the packed date with a month and day sorts above the year alone.
                    dob = w.dob;
                }
            }
            if v.nid == 0 && w.nid != 0 {
                nid_clash |= nid != 0 && nid != w.nid;
                nid = w.nid;
            }
        }
        if !dob_clash && dob != 0 {
            out.to_mut()[j].dob = dob;
        }
        if !nid_clash && nid != 0 {
            out.to_mut()[j].nid = nid;
        }
        if let (Some(f), false) = (fuller, fuller_clash) {
            let o = &mut out.to_mut()[j];
            o.toks = theirs[f].toks;
            o.n = theirs[f].n;
        }
    }
    out
}

/// Whether two stored people of one household are one person written by two records.
fn same_person(a: &PView<'_>, b: &PView<'_>) -> bool {
    let sk = |v: &PView<'_>, i: usize| v.toks[i].skel;
    a.n >= 2
        && b.n >= 2
        && a.role.is_adult_anchor() == b.role.is_adult_anchor()
        && !(a.sex.is_some() && b.sex.is_some() && a.sex != b.sex)
        && !(a.nid != 0 && b.nid != 0 && a.nid != b.nid)
        && sk(a, 0) != 0
        && sk(a, 0) == sk(b, 0)
        && sk(a, a.n - 1) == sk(b, b.n - 1)
        && (a.n < 3 || b.n < 3 || sk(a, 1) == sk(b, 1))
}
