//! Batch deduplication of a whole caseload.

use crate::index::Index;
use crate::prepare::PreparedPerson;
use crate::{Band, HouseholdId};
use rayon::prelude::*;

use super::*;

impl Matcher {
    /// Deduplicates a whole caseload in one batch run: every record (a list of members) is
    /// matched in parallel against an index of all the others, certain and probable matches are
    /// linked, and linked records are grouped (transitively). Returns one group number per
    /// record, numbered from 0 in order of first appearance.
    ///
    /// ```
    /// use bawaba_matching::*;
    /// let recs = vec![
    ///     vec![prepare(&PersonInput::new(Role::Head, "محمد احمد محمود الشاعر").dob("1980-05-01"))],
    ///     vec![prepare(&PersonInput::new(Role::Head, "علي حسن النجار").dob("1971"))],
    ///     vec![prepare(&PersonInput::new(Role::Head, "Mohammed Ahmad Mahmoud Al-Shaer").dob("1980-05"))],
    /// ];
    /// assert_eq!(Matcher::default().deduplicate(&recs), vec![0, 1, 0]);
    /// ```
    pub fn deduplicate(&self, records: &[Vec<PreparedPerson>]) -> Vec<usize> {
        let mut persons = Vec::with_capacity(records.iter().map(Vec::len).sum());
        let mut pid = 0u64;
        for (r, members) in records.iter().enumerate() {
            for p in members {
                persons.push((pid, r as HouseholdId, p.clone()));
                pid += 1;
            }
        }
        let index = Index::build(persons);
        let edges: Vec<(usize, usize)> = records
            .par_iter()
            .enumerate()
            .flat_map_iter(|(r, members)| {
                // Each link is looked for from its earlier record only (half the work).
                let own = r as HouseholdId;
                self.match_household(&index, members, &|h| h <= own, 8)
                    .into_iter()
                    .filter(|m| m.band >= Band::Probable)
                    .map(move |m| (r, m.household as usize))
            })
            .collect();
        let mut parent: Vec<usize> = (0..records.len()).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for (a, b) in edges {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
        let mut label = vec![usize::MAX; records.len()];
        let mut next = 0;
        (0..records.len())
            .map(|r| {
                let root = find(&mut parent, r);
                if label[root] == usize::MAX {
                    label[root] = next;
                    next += 1;
                }
                label[root]
            })
            .collect()
    }
}
