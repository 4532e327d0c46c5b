//! A caseworker's search and the score of one pair of persons.

use crate::config::posterior;
use crate::index::Index;
use crate::phonetic::FxMap;
use crate::prepare::{PreparedPerson, prepare};
use crate::score;
use crate::{Band, HouseholdId, PersonInput, Role};
use rayon::prelude::*;

use super::*;

impl Matcher {
    /// Caseworker search: ranked households, best first, at most `limit`. Results under
    /// `config.possible` (down to `config.search_floor`) are kept, with band `Possible`.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let mut index = Index::new();
    /// index.insert(1, 100, prepare(&PersonInput::new(Role::Head, "إبراهيم خليل الشاعر").id("401234563")));
    /// let m = Matcher::default();
    /// let q = SearchQuery { name: Some("Ebrahim Khalil Al-Shaer"), ..Default::default() };
    /// assert_eq!(m.search(&index, &q, 10)[0].household, 100);
    /// let q = SearchQuery { national_id: Some("401-234-563"), ..Default::default() };
    /// assert_eq!(m.search(&index, &q, 10)[0].household, 100);
    /// ```
    pub fn search(&self, index: &Index, query: &SearchQuery<'_>, limit: usize) -> Vec<HouseholdMatch> {
        let cfg = &self.config;
        let input = PersonInput {
            role: Role::Other,
            name: query.name.unwrap_or(""),
            national_id: query.national_id,
            date_of_birth: query.date_of_birth,
            sex: None,
            phone: query.phone,
        };
        let q = prepare(&input);
        if (q.parts.is_empty() && q.nid == 0 && q.phone == 0) || limit == 0 {
            return Vec::new();
        }
        let qv = index.view_of(&q);
        let mut slots = Vec::new();
        index.candidates(&q, cfg.max_block.max(cfg.search_block), true, &mut slots);
        slots.sort_unstable();
        slots.dedup();
        let score_one = |&s: &u32| (s, score::pair_weight(cfg, &qv, &index.view(s), None));
        let scored: Vec<(u32, f64)> = if slots.len() > 2048 {
            slots.par_iter().map(score_one).collect()
        } else {
            slots.iter().map(score_one).collect()
        };
        let prior = cfg.population_prior_log2(index.households());
        let mut best: FxMap<HouseholdId, (u32, f64)> = FxMap::default();
        for (s, w) in scored {
            let h = index.recs[s as usize].household;
            let e = best.entry(h).or_insert((s, f64::NEG_INFINITY));
            if w > e.1 {
                *e = (s, w);
            }
        }
        let mut ranked: Vec<(HouseholdId, u32, f64)> = best
            .into_iter()
            .map(|(h, (s, w))| (h, s, posterior(prior + w)))
            .filter(|x| x.2 >= cfg.search_floor)
            .collect();
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        ranked.truncate(limit);
        ranked
            .into_iter()
            .map(|(h, s, p)| HouseholdMatch {
                household: h,
                score: p,
                band: cfg.band(p).unwrap_or(Band::Possible),
                pairs: vec![self.member_match(
                    prior,
                    Link::Person,
                    0,
                    &qv,
                    &index.view(s),
                    index.recs[s as usize].person,
                    index.name_of(s),
                    &q.original,
                )],
            })
            .collect()
    }

    /// Posterior probability that two prepared persons are one person (term frequencies from
    /// the index). Symmetric.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let a = prepare(&PersonInput::new(Role::Head, "إبراهيم خليل الشاعر").dob("1970-01-02"));
    /// let b = prepare(&PersonInput::new(Role::Head, "Ebrahim Khalil Al-Shaer").dob("1970-01-02"));
    /// assert!(Matcher::default().score_pair(&Index::new(), &a, &b) > 0.95);
    /// ```
    pub fn score_pair(&self, index: &Index, a: &PreparedPerson, b: &PreparedPerson) -> f64 {
        let (va, vb) = (index.view_of(a), index.view_of(b));
        posterior(
            self.config.population_prior_log2(index.households()) + score::pair_weight(&self.config, &va, &vb, None),
        )
    }
}
