//! Matching an incoming household against the index: candidates from the blocking keys, a
//! pre-screen, the full assessment of each candidate household, and the evidence of each pair.

use crate::config::posterior;
use crate::index::Index;
use crate::phonetic::FxSet;
use crate::prepare::PreparedPerson;
use crate::score::{self, Evidence, Field, PView};
use crate::{HouseholdId, PersonId};
use rayon::prelude::*;
use std::borrow::Cow;
use std::sync::OnceLock;

use super::*;

impl Matcher {
    /// Households in the index that the incoming members may be, best first, only those
    /// scoring at least `config.possible`, at most `limit`. `exclude` hides households (the
    /// submitter's own, a pair dismissed in review…).
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let mut index = Index::new();
    /// index.insert(1, 100, prepare(&PersonInput::new(Role::Head, "محمد احمد محمود الشاعر").dob("1980-05-01")));
    /// index.insert(2, 200, prepare(&PersonInput::new(Role::Head, "علي احمد محمود الشاعر").dob("1983-01-09")));
    /// let m = Matcher::new(MatchConfig::default());
    /// let q = [prepare(&PersonInput::new(Role::Head, "Mohammed Ahmad Mahmoud Al-Shaer").dob("1980-05-01"))];
    /// let found = m.match_household(&index, &q, &|_| false, 10);
    /// assert_eq!(found.len(), 1); // his brother's household is not a match
    /// assert_eq!(found[0].household, 100);
    /// ```
    pub fn match_household(
        &self,
        index: &Index,
        members: &[PreparedPerson],
        exclude: &dyn Fn(HouseholdId) -> bool,
        limit: usize,
    ) -> Vec<HouseholdMatch> {
        self.match_household_with(index, members, exclude, limit, true)
    }

    /// [`Matcher::match_household`] without the member pairs and their evidence: the same
    /// households, scores and bands, each with `pairs` empty. For callers that read only the
    /// decision (offline deduplication, the check for an earlier item of a run), so no
    /// evidence is built for them to drop.
    pub fn match_household_brief(
        &self,
        index: &Index,
        members: &[PreparedPerson],
        exclude: &dyn Fn(HouseholdId) -> bool,
        limit: usize,
    ) -> Vec<HouseholdMatch> {
        self.match_household_with(index, members, exclude, limit, false)
    }

    fn match_household_with(
        &self,
        index: &Index,
        members: &[PreparedPerson],
        exclude: &dyn Fn(HouseholdId) -> bool,
        limit: usize,
        explain: bool,
    ) -> Vec<HouseholdMatch> {
        if members.is_empty() || limit == 0 || index.persons() == 0 {
            return Vec::new();
        }
        let cfg = &self.config;
        let prior = cfg.population_prior_log2(index.households());
        let mut views: Vec<PView<'_>> = members.iter().map(|p| index.view_of(p)).collect();
        // How common each incoming name is with its birth year in this population.
        for (v, p) in views.iter_mut().zip(members) {
            let (found, expected) = index.namesakes(p, cfg.year_share());
            v.common = cfg.combination_penalty(found, expected) as f32;
        }
        assess::couple_sexes(&mut views);
        let views = views;
        // Candidate (member, slot) hits.
        let mut hits: Vec<(u32, u16)> = Vec::new();
        let mut buf = Vec::new();
        for (i, p) in members.iter().enumerate() {
            buf.clear();
            index.candidates(p, cfg.max_block, false, &mut buf);
            buf.sort_unstable();
            buf.dedup();
            hits.extend(buf.iter().map(|&s| (s, i as u16)));
        }
        // Pre-screen: households with at least one hit strong enough to count as a pair.
        // Taken when a member's first plausible hit needs them: most members of a small
        // population, and of the guard's run, have none.
        let bounds: Vec<OnceLock<score::NameBounds>> = views.iter().map(|_| OnceLock::new()).collect();
        let weights = OnceLock::new();
        let score_hit = |&(s, i): &(u32, u16)| -> Option<(HouseholdId, u32)> {
            if !index.plausible(&views[i as usize], s) {
                return None;
            }
            let b = index.view(s);
            let a = &views[i as usize];
            let weights = weights.get_or_init(|| score::FieldWeights::new(cfg));
            let bounds = bounds[i as usize].get_or_init(|| score::name_bounds(cfg, a));
            if score::out_of_reach(cfg, weights, a, &b, bounds, PAIR_MIN - 1.0) {
                return None;
            }
            let w = score::pair_weight_min(cfg, a, &b, PAIR_MIN - 1.0);
            (w >= PAIR_MIN - 1.0).then(|| (index.recs[s as usize].household, s))
        };
        let mut households: Vec<(HouseholdId, u32)> = if hits.len() > 512 {
            hits.par_iter().filter_map(score_hit).collect()
        } else {
            // A household one hit has brought in needs no other of its hits scored: the
            // assessment reads all its members, and reads its hits only when it has more than
            // `MAX_PEOPLE` (see `people_of`), so those go on being scored. The same households.
            // (A set: a large block's hits bring in hundreds of households.)
            let mut whole: FxSet<HouseholdId> = FxSet::default();
            let mut found = Vec::new();
            for hit in &hits {
                let h = index.recs[hit.0 as usize].household;
                if whole.contains(&h) {
                    continue;
                }
                if let Some(x) = score_hit(hit) {
                    found.push(x);
                    if index.people.get(&h).is_some_and(|p| p.len() <= MAX_PEOPLE) {
                        whole.insert(h);
                    }
                }
            }
            found
        };
        // Households related by lineage: a father in one record, his children in the other.
        for (i, p) in members.iter().enumerate() {
            buf.clear();
            index.lineage_candidates(p, cfg.max_block, &mut buf);
            buf.sort_unstable();
            buf.dedup();
            for &s in &buf {
                let (a, b) = (&views[i], index.view(s));
                let w = score::lineage(cfg, a, &b, None).or_else(|| score::lineage(cfg, &b, a, None));
                if w.is_some_and(|w| w >= PAIR_MIN) {
                    households.push((index.recs[s as usize].household, s));
                }
            }
        }
        households.sort_unstable();
        households.dedup();
        households.retain(|&(h, _)| !exclude(h));
        // One entry per household with the slots that hit it.
        let mut groups: Vec<(HouseholdId, Vec<u32>)> = Vec::new();
        for (h, s) in households {
            match groups.last_mut() {
                Some((g, v)) if *g == h => v.push(s),
                _ => groups.push((h, vec![s])),
            }
        }
        // Full assessment.
        let assess = |(h, hit): &(HouseholdId, Vec<u32>)| -> Option<(HouseholdId, f64, Pairs, Cow<'_, [u32]>)> {
            let slots = people_of(index, *h, hit)?;
            let theirs: Vec<PView<'_>> = slots.iter().map(|&s| index.view(s)).collect();
            let (l, pairs) = self.assess(prior, &views, &theirs);
            let p = posterior(l);
            (p >= cfg.possible).then_some((*h, p, pairs, slots))
        };
        let mut scored: Vec<(HouseholdId, f64, Pairs, Cow<'_, [u32]>)> = if groups.len() > PAR_HOUSEHOLDS {
            groups.par_iter().filter_map(assess).collect()
        } else {
            groups.iter().filter_map(assess).collect()
        };
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        one_household(cfg, &mut scored);
        scored.truncate(limit);
        scored
            .into_iter()
            .filter_map(|(h, p, pairs, slots)| {
                let band = cfg.band(p)?;
                if !explain {
                    return Some(HouseholdMatch { household: h, score: p, band, pairs: Vec::new() });
                }
                let pairs = pairs
                    .into_iter()
                    .map(|(i, j, _, link)| {
                        let s = slots[j];
                        self.member_match(
                            prior,
                            link,
                            i,
                            &views[i],
                            &index.view(s),
                            index.recs[s as usize].person,
                            index.name_of(s),
                            &members[i].original,
                        )
                    })
                    .collect();
                Some(HouseholdMatch { household: h, score: p, band, pairs })
            })
            .collect()
    }

    /// Compares two member lists directly (no candidate search; the index supplies term
    /// frequencies only). `None` when they are not even a `possible` match. In the result,
    /// `household` is 0 and `MemberMatch::theirs` is an index into `b`.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let a = [prepare(&PersonInput::new(Role::Head, "راتب محمد هديب").dob("1975"))];
    /// let b = [prepare(&PersonInput::new(Role::Head, "راتب محمد اهديب").dob("1975-03-02"))];
    /// let m = Matcher::default();
    /// let found = m.compare_households(&Index::new(), &a, &b).expect("a match");
    /// assert!(found.score > 0.5);
    /// ```
    pub fn compare_households(
        &self,
        index: &Index,
        a: &[PreparedPerson],
        b: &[PreparedPerson],
    ) -> Option<HouseholdMatch> {
        let mut va: Vec<PView<'_>> = a.iter().map(|p| index.view_of(p)).collect();
        let mut vb: Vec<PView<'_>> = b.iter().map(|p| index.view_of(p)).collect();
        assess::couple_sexes(&mut va);
        assess::couple_sexes(&mut vb);
        let prior = self.config.population_prior_log2(index.households());
        let (l, pairs) = self.assess(prior, &va, &vb);
        let p = posterior(l);
        let band = self.config.band(p)?;
        let pairs = pairs
            .into_iter()
            .map(|(i, j, _, link)| {
                self.member_match(prior, link, i, &va[i], &vb[j], j as PersonId, &b[j].original, &a[i].original)
            })
            .collect();
        Some(HouseholdMatch { household: 0, score: p, band, pairs })
    }
}

impl Matcher {
    /// A member match with its evidence.
    #[expect(clippy::too_many_arguments, reason = "internal helper")]
    pub(super) fn member_match(
        &self,
        prior: f64,
        link: Link,
        ours: usize,
        a: &PView<'_>,
        b: &PView<'_>,
        theirs: PersonId,
        theirs_name: &str,
        our_name: &str,
    ) -> MemberMatch {
        let cfg = &self.config;
        let mut ev = Vec::with_capacity(10);
        if link != Link::Person {
            // A father present in one record, named as the child's father in the other.
            let w = match link {
                Link::OursParent => score::lineage(cfg, a, b, Some(&mut ev)),
                _ => score::lineage(cfg, b, a, Some(&mut ev)),
            }
            .unwrap_or(0.0);
            ev.insert(
                0,
                Evidence {
                    field: Field::Name,
                    level: if link == Link::OursParent { "father_of_theirs" } else { "child_of_theirs" },
                    ours: our_name.to_string(),
                    theirs: theirs_name.to_string(),
                    similarity: 0.0,
                    weight: w,
                },
            );
            return MemberMatch { ours, theirs, theirs_name: theirs_name.to_string(), score: 0.0, evidence: ev };
        }
        let w = score::pair_weight(cfg, a, b, Some(&mut ev));
        // Summary of the name parts first.
        let parts: Vec<&Evidence> = ev
            .iter()
            .filter(|e| {
                matches!(e.field, Field::FirstName | Field::FatherName | Field::GrandfatherName | Field::FamilyName)
                    && e.level != "missing"
            })
            .collect();
        let name_w: f64 = parts.iter().map(|e| e.weight).sum();
        let name_sim =
            if parts.is_empty() { 0.0 } else { parts.iter().map(|e| e.similarity).sum::<f64>() / parts.len() as f64 };
        let level = if parts.is_empty() {
            "missing"
        } else if parts.iter().all(|e| e.level == "exact") {
            "exact"
        } else if name_w > 0.0 {
            "similar"
        } else {
            "different"
        };
        ev.insert(
            0,
            Evidence {
                field: Field::Name,
                level,
                ours: our_name.to_string(),
                theirs: theirs_name.to_string(),
                similarity: name_sim,
                weight: name_w,
            },
        );
        let (rw, rl) = score::role_weight(a.role, b.role);
        ev.push(Evidence {
            field: Field::Role,
            level: rl,
            ours: a.role.as_str().to_string(),
            theirs: b.role.as_str().to_string(),
            similarity: if rl == "same" { 1.0 } else { 0.0 },
            weight: rw,
        });
        MemberMatch { ours, theirs, theirs_name: theirs_name.to_string(), score: posterior(prior + w), evidence: ev }
    }
}

/// Most persons of one stored household an incoming record is aligned with: a household that
/// keeps absorbing records (the same family posted thousands of times, a clan merged in review)
/// costs no more than this to assess.
pub(super) const MAX_PEOPLE: usize = 48;

/// A record is one household at most: the candidates are not independent. Each uncertain
/// candidate (under `probable`) after the best is weighed against the best as well as against
/// "none of them": its probability is `o / (1 + o_best + o)` (odds `o`), not `o / (1 + o)`. A
/// namesake household that scores `possible` beside the household a record plainly joins is
/// then no flag, and of many namesakes only the likeliest are; the best candidate, and any that
/// reaches `probable` (the same family split over two households earlier), keep their score.
/// Drops the candidates that fall under `possible`; `scored` is sorted best first.
fn one_household<T, U>(cfg: &MatchConfig, scored: &mut Vec<(HouseholdId, f64, T, U)>) {
    let Some(best) = scored.first().map(|c| c.1) else { return };
    let odds = |p: f64| p / (1.0 - p).max(1e-12);
    let best = odds(best);
    for c in scored.iter_mut().skip(1) {
        if c.1 < cfg.probable {
            let o = odds(c.1);
            c.1 = o / (1.0 + best + o);
        }
    }
    scored.retain(|c| c.1 >= cfg.possible);
}

/// The persons of a stored household to align with: every distinct person as written (each
/// written again by later records counts once; the household's own list), or for a household
/// of more than `MAX_PEOPLE`, the persons the candidate search hit and then the most recent
/// ones, up to `MAX_PEOPLE`.
fn people_of<'a>(index: &'a Index, h: HouseholdId, hit: &[u32]) -> Option<Cow<'a, [u32]>> {
    let all = index.people.get(&h)?;
    if all.len() <= MAX_PEOPLE {
        return Some(Cow::Borrowed(all));
    }
    let mut out: Vec<u32> = hit.iter().copied().take(MAX_PEOPLE).collect();
    for &s in all.iter().rev() {
        if out.len() >= MAX_PEOPLE {
            break;
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    // Oldest first, as the household holds them.
    out.sort_unstable();
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_household_at_most() {
        let cfg = MatchConfig::default();
        // A household plainly joined (0.99) beside a namesake at 0.6: the namesake is no flag.
        let mut c = vec![(1, 0.99, (), ()), (2, 0.6, (), ())];
        one_household(&cfg, &mut c);
        assert_eq!(c.iter().map(|x| x.0).collect::<Vec<_>>(), [1]);
        // Two even namesakes: both stay, the second weighed against the first.
        let mut c = vec![(1, 0.5, (), ()), (2, 0.5, (), ())];
        one_household(&cfg, &mut c);
        assert_eq!(c.len(), 2);
        assert!((c[0].1 - 0.5).abs() < 1e-12 && (c[1].1 - 1.0 / 3.0).abs() < 1e-9, "{c:?}");
        // A second household as likely as `probable` (one family split in two) keeps its score.
        let mut c = vec![(1, 0.99, (), ()), (2, 0.9, (), ())];
        one_household(&cfg, &mut c);
        assert_eq!(c, vec![(1, 0.99, (), ()), (2, 0.9, (), ())]);
    }
}
