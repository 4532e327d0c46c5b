//! Taking a run of items in order, on both cores: a chunk of items is matched in parallel
//! against the index as it stands; the items are then taken one by one, in order, and an item
//! is matched again, alone, only when it may be the same household as an earlier item of the
//! run that the index did not hold when the chunk was matched. The run's own index holds the
//! items taken so far and the guard (the matcher with a very low threshold) answers that, so
//! nothing the full matcher would link slips by, and the answers are those of taking the items
//! one at a time. The writer takes a group so; offline deduplication takes a whole file so.
//!
//! Here too: what one taken item adds to the in-memory engine ([`apply`]).

use std::collections::VecDeque;

use bawaba_matching::{HouseholdMatch, Index, MatchConfig, Matcher};
use rayon::prelude::*;

use super::{AgencyRef, Item, MATCH_LIMIT};
use crate::service::index::Engine;

/// The guard's threshold: any pair the full matcher could link scores above it.
const GUARD_POSSIBLE: f64 = 1e-4;

/// The matcher that tells whether an item may be the same household as an earlier one of its
/// run (see the module docs).
pub fn guard(matcher: &Matcher) -> Matcher {
    Matcher::new(MatchConfig { possible: GUARD_POSSIBLE, ..matcher.config.clone() })
}

/// Items of one run matched in parallel, in order, waiting to be taken.
pub type Prematched<T> = VecDeque<(T, Item, Option<Vec<HouseholdMatch>>)>;

/// Matches a chunk's items against the index as it stands, in parallel, keeping their order.
pub fn prematch<T: Send>(engine: &Engine, chunk: Vec<(T, Item)>) -> Prematched<T> {
    prematch_with(engine, chunk, true)
}

/// [`prematch`] without member pairs and evidence (`Matcher::match_household_brief`): for
/// offline deduplication, which writes neither.
pub fn prematch_brief<T: Send>(engine: &Engine, chunk: Vec<(T, Item)>) -> Prematched<T> {
    prematch_with(engine, chunk, false)
}

fn prematch_with<T: Send>(engine: &Engine, chunk: Vec<(T, Item)>, explain: bool) -> Prematched<T> {
    let state = engine.state.read();
    chunk
        .into_par_iter()
        .map(|(tag, item)| {
            let (m, ix) = (&engine.matcher, &state.index);
            let pre = if explain {
                m.match_household(ix, &item.prepared, &|_| false, MATCH_LIMIT)
            } else {
                m.match_household_brief(ix, &item.prepared, &|_| false, MATCH_LIMIT)
            };
            (tag, item, Some(pre))
        })
        .collect::<Vec<_>>()
        .into()
}

/// The items taken since a chunk was prematched (what the index did not hold then), for the
/// guard; start a new one with each chunk.
#[derive(Default)]
pub struct Run {
    index: Index,
}

impl Run {
    /// The prematch to use for `item`, or `None` (match it again, alone) when it may be the
    /// same household as an earlier item of the run.
    pub fn fresh(&self, guard: &Matcher, item: &Item, pre: Option<Vec<HouseholdMatch>>) -> Option<Vec<HouseholdMatch>> {
        // Most items share no block with the run's: then the guard has nothing to score.
        let clear = !self.index.may_match(&item.prepared)
            || guard.match_household_brief(&self.index, &item.prepared, &|_| false, 1).is_empty();
        if clear { pre } else { None }
    }

    /// Notes a taken item's members, stored under `person_ids` in household `household_seq`.
    pub fn note(&mut self, person_ids: &[u64], household_seq: u64, item: &Item) {
        for (pid, p) in person_ids.iter().zip(&item.prepared) {
            self.index.insert_ref(*pid, household_seq, p);
        }
    }

    /// Starts the run afresh (a new chunk), keeping the run index's allocations.
    pub fn restart(&mut self) {
        self.index.clear();
    }
}

/// What one taken item adds to the in-memory engine.
pub struct Staged {
    pub household_seq: u64,
    /// The new household's id, when the item made one.
    pub new_household: Option<String>,
    pub person_ids: Vec<u64>,
    pub record_id: String,
}

/// In-memory changes made for a group, undone if its commit fails.
#[derive(Default)]
pub struct Undo {
    pub persons: Vec<u64>,
    pub households: Vec<u64>,
    /// (household seq, record id) of aid noted.
    pub aid: Vec<(u64, String)>,
}

impl Undo {
    /// Takes back every change noted.
    pub fn undo(self, engine: &Engine) {
        let mut state = engine.state.write();
        for p in self.persons {
            state.index.remove_person(p);
        }
        for (seq, record) in self.aid {
            state.remove_aid(seq, &record);
        }
        for h in self.households {
            state.remove_household(h);
        }
    }
}

/// Adds a taken item to the engine: its household when new, its members to the index (with
/// their agency and role), its aid; notes each change in `undo` when given.
pub fn apply(engine: &Engine, staged: Staged, agency: &AgencyRef, item: &Item, mut undo: Option<&mut Undo>) {
    let mut state = engine.state.write();
    if let Some(id) = &staged.new_household {
        state.add_household(id, staged.household_seq);
        if let Some(u) = undo.as_deref_mut() {
            u.households.push(staged.household_seq);
        }
    }
    for ((pid, p), m) in staged.person_ids.into_iter().zip(&item.prepared).zip(&item.record.members) {
        state.index.insert_ref(pid, staged.household_seq, p);
        state.set_person_meta(pid, &agency.code, m.role);
        if let Some(u) = undo.as_deref_mut() {
            u.persons.push(pid);
        }
    }
    let r = &item.record;
    let slot = state.agency_slot(Some(&agency.id), &agency.code);
    state.add_aid(staged.household_seq, &staged.record_id, slot, r.aid_type, r.period_start, r.period_end);
    if let Some(u) = undo {
        u.aid.push((staged.household_seq, staged.record_id));
    }
}
