//! The matching engine as the gateway holds it: the in-memory index of every stored person,
//! the map between household ids (UUID text) and the index's dense integers, and the pairs
//! reviewers kept apart. The database is the source of truth; this is rebuilt from it at start
//! and kept in step by the intake writer after each commit.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bawaba_matching::{self as matching, Index, Matcher, PersonInput};
use parking_lot::RwLock;
use rayon::prelude::*;

use super::domain::{MemberRole, NewMember, Sex};
use crate::store::{DbConn, StoreError, queries};

/// The engine's state, behind one lock: readers share it, the writer takes it briefly.
pub struct EngineState {
    /// Every stored person, blocked and ready to score.
    pub index: Index,
    seq_to_id: HashMap<u64, Arc<str>>,
    id_to_seq: HashMap<Arc<str>, u64>,
    /// Merged households point at the household they joined.
    redirects: HashMap<String, String>,
    /// Household pairs (smaller seq first) a reviewer kept apart.
    dismissed: HashSet<(u64, u64)>,
    /// Who posted each person and in what role, by person id (ids are dense): evidence names
    /// the agency and role of the stored side, so a viewer who may not see its values still
    /// learns whose it is.
    person_meta: Vec<PersonMeta>,
    /// Agency codes met, by the slot `person_meta` keeps.
    agency_codes: Vec<Arc<str>>,
    agency_slots: HashMap<Arc<str>, u32>,
}

/// The agency (a slot in `agency_codes`, `u32::MAX` when unknown) and role of one stored person.
#[derive(Debug, Clone, Copy)]
struct PersonMeta {
    agency: u32,
    role: MemberRole,
}

const NO_META: PersonMeta = PersonMeta { agency: u32::MAX, role: MemberRole::Other };

impl EngineState {
    /// The household id of an index seq.
    pub fn household_id(&self, seq: u64) -> Option<&str> {
        self.seq_to_id.get(&seq).map(|s| &**s)
    }

    /// The index seq of a household id.
    pub fn seq(&self, id: &str) -> Option<u64> {
        self.id_to_seq.get(id).copied()
    }

    /// Follows merges to the household that now holds `id`.
    pub fn resolve<'a>(&'a self, mut id: &'a str) -> &'a str {
        while let Some(next) = self.redirects.get(id) {
            id = next;
        }
        id
    }

    /// Whether a reviewer kept these two households apart.
    pub fn is_dismissed(&self, a: u64, b: u64) -> bool {
        self.dismissed.contains(&(a.min(b), a.max(b)))
    }

    /// Records a new household.
    pub fn add_household(&mut self, id: &str, seq: u64) {
        let id: Arc<str> = id.into();
        self.seq_to_id.insert(seq, id.clone());
        self.id_to_seq.insert(id, seq);
    }

    /// Forgets a household that was never committed.
    pub fn remove_household(&mut self, seq: u64) {
        if let Some(id) = self.seq_to_id.remove(&seq) {
            self.id_to_seq.remove(&id);
        }
    }

    /// Keeps a pair apart for good.
    pub fn dismiss(&mut self, a: u64, b: u64) {
        self.dismissed.insert((a.min(b), a.max(b)));
    }

    /// Notes which agency (its code) posted a person, and in what role.
    pub fn set_person_meta(&mut self, person: u64, agency_code: &str, role: MemberRole) {
        let agency = match self.agency_slots.get(agency_code) {
            Some(&slot) => slot,
            None => {
                let id: Arc<str> = agency_code.into();
                let slot = self.agency_codes.len() as u32;
                self.agency_codes.push(id.clone());
                self.agency_slots.insert(id, slot);
                slot
            }
        };
        let i = person as usize;
        if self.person_meta.len() <= i {
            self.person_meta.resize(i + 1, NO_META);
        }
        self.person_meta[i] = PersonMeta { agency, role };
    }

    /// The code of the agency that posted a person, and the person's role there.
    pub fn person_meta(&self, person: u64) -> Option<(&str, MemberRole)> {
        let m = self.person_meta.get(person as usize)?;
        let agency = self.agency_codes.get(m.agency as usize)?;
        Some((agency, m.role))
    }

    /// Moves every person of `from` into `into`.
    pub fn merge(&mut self, from: &str, into: &str) {
        if let (Some(f), Some(t)) = (self.seq(from), self.seq(into)) {
            self.index.reassign_household(f, t);
        }
        self.redirects.insert(from.to_owned(), into.to_owned());
    }
}

/// The matcher and its state.
pub struct Engine {
    /// The scoring model and bands.
    pub matcher: Matcher,
    /// Index and id maps.
    pub state: RwLock<EngineState>,
    /// Agency id → code, filled as agencies are met (agencies are few and never renamed).
    agency_codes: RwLock<HashMap<String, String>>,
}

/// The matching crate's view of one member.
pub fn person_input(m: &NewMember) -> PersonInput<'_> {
    PersonInput {
        role: match m.role {
            MemberRole::Head => matching::Role::Head,
            MemberRole::Spouse => matching::Role::Spouse,
            MemberRole::Child => matching::Role::Child,
            MemberRole::Other => matching::Role::Other,
        },
        name: &m.name,
        national_id: m.national_id.as_deref(),
        date_of_birth: m.date_of_birth.as_deref(),
        sex: m.sex.map(|s| match s {
            Sex::M => matching::Sex::M,
            Sex::F => matching::Sex::F,
        }),
        phone: m.phone.as_deref(),
    }
}

/// A stored person row as a member.
pub fn member_of_row(row: &crate::store::models::PersonRow) -> NewMember {
    NewMember {
        role: MemberRole::parse(&row.role).unwrap_or(MemberRole::Other),
        name: row.name.clone(),
        national_id: row.national_id.clone(),
        date_of_birth: row.date_of_birth.clone(),
        sex: row.sex.as_deref().and_then(Sex::parse),
        phone: row.phone.clone(),
    }
}

/// Counters the writer continues from.
#[derive(Debug, Clone, Copy, Default)]
pub struct NextIds {
    /// Next household seq.
    pub household: u64,
    /// Next person id.
    pub person: u64,
}

impl Engine {
    /// The code of an agency, from memory or else the database.
    pub fn agency_code(&self, conn: &mut DbConn, id: &str) -> Result<String, diesel::result::Error> {
        if let Some(code) = self.agency_codes.read().get(id) {
            return Ok(code.clone());
        }
        let code = queries::agencies_by_ids(conn, &[id.to_owned()])?.pop().map(|a| a.code).unwrap_or_default();
        self.agency_codes.write().insert(id.to_owned(), code.clone());
        Ok(code)
    }

    /// Rebuilds the engine from the database: households, persons (prepared in parallel) and
    /// dismissed pairs.
    pub fn load(conn: &mut DbConn, matcher: Matcher) -> Result<(Engine, NextIds), StoreError> {
        let households = queries::all_households(conn)?;
        let mut seq_to_id = HashMap::with_capacity(households.len());
        let mut id_to_seq = HashMap::with_capacity(households.len());
        let mut redirects = HashMap::new();
        for (id, seq, merged_into) in households {
            let id: Arc<str> = id.into();
            seq_to_id.insert(seq as u64, id.clone());
            id_to_seq.insert(id.clone(), seq as u64);
            if let Some(target) = merged_into {
                redirects.insert(id.to_string(), target);
            }
        }
        let mut persons = Vec::new();
        let mut metas = Vec::new();
        let mut after = 0i64;
        loop {
            let page = queries::persons_page(conn, after, 50_000)?;
            let Some((last, _)) = page.last() else { break };
            after = last.id;
            let prepared: Vec<_> = page
                .par_iter()
                .filter_map(|(row, _)| {
                    let seq = *id_to_seq.get(row.household_id.as_str())?;
                    Some((row.id as u64, seq, matching::prepare(&person_input(&member_of_row(row)))))
                })
                .collect();
            persons.extend(prepared);
            for (row, agency_code) in &page {
                metas.push((
                    row.id as u64,
                    agency_code.clone(),
                    MemberRole::parse(&row.role).unwrap_or(MemberRole::Other),
                ));
            }
        }
        let index = Index::build(persons);
        let mut dismissed = HashSet::new();
        for (a, b) in queries::dismissed_pairs(conn)? {
            if let (Some(&a), Some(&b)) = (id_to_seq.get(a.as_str()), id_to_seq.get(b.as_str())) {
                dismissed.insert((a.min(b), a.max(b)));
            }
        }
        let (max_seq, max_person) = queries::max_ids(conn)?;
        let mut state = EngineState {
            index,
            seq_to_id,
            id_to_seq,
            redirects,
            dismissed,
            person_meta: Vec::new(),
            agency_codes: Vec::new(),
            agency_slots: HashMap::new(),
        };
        for (person, agency_code, role) in metas {
            state.set_person_meta(person, &agency_code, role);
        }
        let next = NextIds { household: max_seq as u64 + 1, person: max_person as u64 + 1 };
        Ok((Engine { matcher, state: RwLock::new(state), agency_codes: RwLock::default() }, next))
    }
}
