//! The matching engine as the gateway holds it: the in-memory index of every stored person,
//! the map between household ids (UUID text) and the index's dense integers, the pairs
//! reviewers kept apart, and each household's aid (agency, type, period of every record), so
//! overlaps are found without a query. The database is the source of truth; this is rebuilt
//! from it at start (national IDs and phones opened with the data key: near IDs and phones
//! still match; see `vault`) and kept in step by the intake writer after each commit.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bawaba_matching::{self as matching, Index, Matcher, PersonInput};
use parking_lot::RwLock;
use rayon::prelude::*;

use super::domain::{AidType, MemberRole, NewMember, Sex, stored_date};
use super::overlap::Aid;
use super::vault::{Column, Vault};
use crate::store::{DbConn, StoreError, queries};

/// The engine's state, behind one lock: readers share it, the writer takes it briefly.
pub struct EngineState {
    /// Every stored person, blocked and ready to score.
    pub index: Index,
    seq_to_id: foldhash::HashMap<u64, Arc<str>>,
    id_to_seq: foldhash::HashMap<Arc<str>, u64>,
    /// Merged households point at the household they joined.
    redirects: HashMap<String, String>,
    /// Household pairs (smaller seq first) a reviewer kept apart.
    dismissed: HashSet<(u64, u64)>,
    /// Who posted each person and in what role, by person id (ids are dense): evidence names
    /// the agency and role of the stored side, so a viewer who may not see its values still
    /// learns whose it is.
    person_meta: Vec<PersonMeta>,
    /// Agencies met (id when known, code), by the slot `person_meta` and `aid` keep.
    agencies: Vec<(Option<Arc<str>>, Arc<str>)>,
    slot_by_code: HashMap<Arc<str>, u32>,
    slot_by_id: HashMap<Arc<str>, u32>,
    /// Every record's aid, by household seq.
    aid: HashMap<u64, Vec<Aid>>,
    /// The order the next record's aid takes.
    next_aid: u64,
    /// Persons stored with a name whose national ID the engine does not hold, as the rebuild at
    /// start found them: their sealed ID or phone did not open (damage, logged), or their
    /// household was not known. An exact look-up by ID reads these rows besides (usually none).
    pub unheld: Vec<i64>,
}

/// The agency (a slot in `agency_codes`, `u32::MAX` when unknown) and role of one stored person.
#[derive(Debug, Clone, Copy)]
struct PersonMeta {
    agency: u32,
    role: MemberRole,
}

const NO_META: PersonMeta = PersonMeta { agency: u32::MAX, role: MemberRole::Other };

impl EngineState {
    /// An engine that holds nothing yet (offline deduplication starts from one).
    pub fn empty() -> EngineState {
        EngineState {
            index: Index::new(),
            seq_to_id: foldhash::HashMap::default(),
            id_to_seq: foldhash::HashMap::default(),
            redirects: HashMap::new(),
            dismissed: HashSet::new(),
            person_meta: Vec::new(),
            agencies: Vec::new(),
            slot_by_code: HashMap::new(),
            slot_by_id: HashMap::new(),
            aid: HashMap::new(),
            next_aid: 0,
            unheld: Vec::new(),
        }
    }

    /// Makes room for about `persons` persons in `households` households (offline
    /// deduplication knows its file's size): capacity only.
    pub fn reserve(&mut self, persons: usize, households: usize) {
        self.index.reserve(persons, households);
        self.seq_to_id.reserve(households);
        self.id_to_seq.reserve(households);
        self.aid.reserve(households);
        self.person_meta.reserve(persons);
    }

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

    /// The households (ids, merges followed) where the engine holds a person with exactly this
    /// national ID: every person row with that ID but erased ones (an erased person has no ID
    /// left) and the few the rebuild could not hold with their ID (`unheld`). A
    /// withdrawn record's members stay in the engine (only its aid leaves), and a person written
    /// again in the same household (a shadow) shares its household with the one it repeats.
    /// Candidates: a caller that must not be wrong confirms them against the stored keyed hash
    /// (`queries::persons_with_national_id_hash`).
    pub fn households_with_national_id(&self, national_id: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .index
            .households_with_national_id(national_id)
            .into_iter()
            .filter_map(|seq| self.household_id(seq).map(|id| self.resolve(id).to_owned()))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether a reviewer kept these two households apart.
    pub fn is_dismissed(&self, a: u64, b: u64) -> bool {
        self.dismissed.contains(&(a.min(b), a.max(b)))
    }

    /// Lifts a pair kept apart (a dismissal undone).
    pub fn undismiss(&mut self, a: u64, b: u64) {
        self.dismissed.remove(&(a.min(b), a.max(b)));
    }

    /// Forgets that `from` was merged (a merge undone): it resolves to itself again.
    pub fn unmerge(&mut self, from: &str) {
        self.redirects.remove(from);
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

    /// The slot of an agency (made on first sight); `id` fills in one known by code only.
    pub fn agency_slot(&mut self, id: Option<&str>, code: &str) -> u32 {
        let slot = match self.slot_by_code.get(code) {
            Some(&slot) => slot,
            None => {
                let code: Arc<str> = code.into();
                let slot = self.agencies.len() as u32;
                self.agencies.push((None, code.clone()));
                self.slot_by_code.insert(code, slot);
                slot
            }
        };
        if let Some(id) = id
            && self.agencies[slot as usize].0.is_none()
        {
            let id: Arc<str> = id.into();
            self.agencies[slot as usize].0 = Some(id.clone());
            self.slot_by_id.insert(id, slot);
        }
        slot
    }

    /// The slot of an agency known by id.
    pub fn agency_by_id(&self, id: &str) -> Option<u32> {
        self.slot_by_id.get(id).copied()
    }

    /// The id and code of the agency in a slot.
    pub fn agency(&self, slot: u32) -> Option<(Option<&str>, &str)> {
        self.agencies.get(slot as usize).map(|(id, code)| (id.as_deref(), &**code))
    }

    /// Notes which agency (its code) posted a person, and in what role.
    pub fn set_person_meta(&mut self, person: u64, agency_code: &str, role: MemberRole) {
        let agency = self.agency_slot(None, agency_code);
        self.set_person_slot(person, agency, role);
    }

    /// [`EngineState::set_person_meta`] with the agency's slot (`u32::MAX`: not known).
    fn set_person_slot(&mut self, person: u64, agency: u32, role: MemberRole) {
        let i = person as usize;
        if self.person_meta.len() <= i {
            self.person_meta.resize(i + 1, NO_META);
        }
        self.person_meta[i] = PersonMeta { agency, role };
    }

    /// The code of the agency that posted a person, and the person's role there.
    pub fn person_meta(&self, person: u64) -> Option<(&str, MemberRole)> {
        let m = self.person_meta.get(person as usize)?;
        let (_, agency) = self.agencies.get(m.agency as usize)?;
        Some((agency, m.role))
    }

    /// The aid every record of a household gave (in no set order; see [`Aid::order`]).
    pub fn aid_of(&self, household: u64) -> &[Aid] {
        self.aid.get(&household).map_or(&[], Vec::as_slice)
    }

    /// Notes a stored record's aid.
    pub fn add_aid(
        &mut self,
        household: u64,
        record_id: &str,
        agency: u32,
        aid_type: AidType,
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) {
        let order = self.next_aid;
        self.next_aid += 1;
        self.aid.entry(household).or_default().push(Aid {
            record_id: record_id.into(),
            agency,
            aid_type,
            start,
            end,
            order,
        });
    }

    /// Forgets a record's aid (a commit that failed, a withdrawal).
    pub fn remove_aid(&mut self, household: u64, record_id: &str) {
        if let Some(list) = self.aid.get_mut(&household) {
            list.retain(|a| &*a.record_id != record_id);
        }
    }

    /// Moves the aid of these records from household `from` to household `into` (a split).
    pub fn move_aid(&mut self, from: u64, into: u64, records: &[String]) {
        let Some(list) = self.aid.get_mut(&from) else { return };
        let (moved, stay): (Vec<Aid>, Vec<Aid>) =
            std::mem::take(list).into_iter().partition(|a| records.iter().any(|r| **r == *a.record_id));
        *list = stay;
        self.aid.entry(into).or_default().extend(moved);
    }

    /// Moves every person and every record's aid of `from` into `into`.
    pub fn merge(&mut self, from: &str, into: &str) {
        if let (Some(f), Some(t)) = (self.seq(from), self.seq(into)) {
            self.index.reassign_household(f, t);
            if let Some(moved) = self.aid.remove(&f) {
                self.aid.entry(t).or_default().extend(moved);
            }
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
        groups: crate::service::planning::read_groups(row.groups.as_deref()),
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
    /// An engine that holds nothing yet.
    pub fn empty(matcher: Matcher) -> Engine {
        Engine { matcher, state: RwLock::new(EngineState::empty()) }
    }

    /// Rebuilds the engine from the database: households, persons (prepared in parallel),
    /// dismissed pairs, and every record's aid and agency (its persons' agency).
    pub fn load(conn: &mut DbConn, matcher: Matcher, vault: &Vault) -> Result<(Engine, NextIds), StoreError> {
        let t = std::time::Instant::now();
        // Milliseconds by phase: households, waiting for persons, preparing, adding, finishing, aid.
        let mut ms = [0u128; 6];
        let households = queries::all_households(conn)?;
        let mut seq_to_id = foldhash::HashMap::with_capacity_and_hasher(households.len(), Default::default());
        let mut id_to_seq = foldhash::HashMap::with_capacity_and_hasher(households.len(), Default::default());
        let mut redirects = HashMap::new();
        for (id, seq, merged_into) in households {
            let id: Arc<str> = id.into();
            seq_to_id.insert(seq as u64, id.clone());
            id_to_seq.insert(id.clone(), seq as u64);
            if let Some(target) = merged_into {
                redirects.insert(id.to_string(), target);
            }
        }
        // The index is built page by page: the persons of one page are prepared, interned and
        // dropped before the next is read, so a restart never holds every person prepared at
        // once (that made the rebuilt engine take more memory than the one intake grew). The
        // next page is read on a thread of its own meanwhile, so the database and the two
        // cores preparing work at once; at most one page waits.
        // Room for every person at once (the highest person id bounds their number): filled a
        // page at a time, the arrays doubled and were copied into fresh memory again and again
        // (a profile of a restart at 1.6M people spent 18% of its samples clearing new pages).
        let (max_seq, max_person) = queries::max_ids(conn)?;
        let most_persons = usize::try_from(max_person).unwrap_or(0);
        // What the persons' reader does not read (it holds the connection until it is done).
        let agencies = queries::list_agencies(conn)?;
        let dismissed_pairs = queries::dismissed_pairs(conn)?;
        let agency_index: HashMap<&str, u32> =
            agencies.iter().enumerate().map(|(i, a)| (a.id.as_str(), i as u32)).collect();
        let mut builder = Index::builder();
        builder.reserve(most_persons, id_to_seq.len());
        // Each person's id, role and record (as its place in `record_ids`): the record's agency
        // is known once the records are read, after the persons.
        let mut metas: Vec<(u64, u32, MemberRole)> = Vec::with_capacity(most_persons);
        let mut record_ids: Vec<RecordKey> = Vec::new();
        let unheld = parking_lot::Mutex::new(Vec::new());
        ms[0] = t.elapsed().as_millis();
        // The reader reads every record (its aid, its agency) after the persons, while the last
        // pages are added and the index finished (the aid was read after all that, 2.5 s of a
        // 12.5 s start at 1.6 M people, with a core to spare).
        let (index, records) = std::thread::scope(|scope| -> Result<(Index, StoredRecords), StoreError> {
            let (pages, next_page) = std::sync::mpsc::sync_channel(1);
            let reader = &mut *conn;
            let (id_to_seq, agency_index) = (&id_to_seq, &agency_index);
            let records = scope.spawn(move || -> Result<StoredRecords, diesel::result::Error> {
                let mut after = 0i64;
                loop {
                    let page = queries::persons_for_index(reader, after, 50_000);
                    let last = page.as_ref().ok().and_then(|p| p.last().map(|row| row.id));
                    // The empty page ends the run; the error or a loader who left ends the
                    // reading (what it would read next is of no use).
                    let failed = page.is_err();
                    if pages.send(page).is_err() || failed {
                        return Ok(StoredRecords::default());
                    }
                    match last {
                        Some(id) => after = id,
                        None => break,
                    }
                }
                read_records(reader, id_to_seq, agency_index)
            });
            loop {
                let t = std::time::Instant::now();
                let page =
                    next_page.recv().map_err(|_| StoreError::Connection("the persons' reader stopped".into()))??;
                ms[1] += t.elapsed().as_millis();
                if page.is_empty() {
                    break;
                }
                let t = std::time::Instant::now();
                let (prepared, page_metas): (Vec<_>, Vec<_>) = page
                    .into_par_iter()
                    .map(|row| {
                        let role = MemberRole::parse(&row.role).unwrap_or(MemberRole::Other);
                        let meta = (row.id as u64, RecordKey::of(&row.record_id), role);
                        // An erased person (no name left) is matched with no one.
                        if row.name.is_empty() {
                            return (None, meta);
                        }
                        let Some(&seq) = id_to_seq.get(row.household_id.as_str()) else {
                            unheld.lock().push(row.id);
                            return (None, meta);
                        };
                        // A value that does not open (damage) is matched without, and said so.
                        let opened = vault
                            .open_opt(Column::NationalId, row.national_id.as_deref())
                            .and_then(|id| Ok((id, vault.open_opt(Column::Phone, row.phone.as_deref())?)));
                        let (national_id, phone) = opened.unwrap_or_else(|e| {
                            tracing::error!(person = row.id, error = %e, "a stored person's ID or phone does not open");
                            unheld.lock().push(row.id);
                            (None, None)
                        });
                        let member = NewMember {
                            role,
                            name: row.name,
                            national_id,
                            date_of_birth: row.date_of_birth,
                            sex: row.sex.as_deref().and_then(Sex::parse),
                            phone,
                            groups: Vec::new(),
                        };
                        (Some((meta.0, seq, matching::prepare(&person_input(&member)))), meta)
                    })
                    .unzip();
                ms[2] += t.elapsed().as_millis();
                let t = std::time::Instant::now();
                builder.add(prepared.into_iter().flatten().collect());
                // A record's persons are stored together, so its id is kept once.
                for (person, record, role) in page_metas {
                    if record_ids.last() != Some(&record) {
                        record_ids.push(record);
                    }
                    metas.push((person, (record_ids.len() - 1) as u32, role));
                }
                ms[3] += t.elapsed().as_millis();
            }
            let t = std::time::Instant::now();
            let index = builder.finish();
            ms[4] = t.elapsed().as_millis();
            let t = std::time::Instant::now();
            let records =
                records.join().map_err(|_| StoreError::Connection("the records' reader stopped".into()))??;
            ms[5] = t.elapsed().as_millis();
            Ok((index, records))
        })?;
        let t = std::time::Instant::now();
        let mut dismissed = HashSet::new();
        for (a, b) in dismissed_pairs {
            if let (Some(&a), Some(&b)) = (id_to_seq.get(a.as_str()), id_to_seq.get(b.as_str())) {
                dismissed.insert((a.min(b), a.max(b)));
            }
        }
        let mut unheld = unheld.into_inner();
        unheld.sort_unstable();
        let mut state =
            EngineState { index, seq_to_id, id_to_seq, redirects, dismissed, unheld, ..EngineState::empty() };
        let slots: Vec<u32> = agencies.iter().map(|a| state.agency_slot(Some(&a.id), &a.code)).collect();
        let record_slots: Vec<u32> =
            record_ids.iter().map(|r| records.agency_of.get(r).map_or(u32::MAX, |&a| slots[a as usize])).collect();
        drop(record_ids);
        for (person, record, role) in metas {
            state.set_person_slot(person, record_slots[record as usize], role);
        }
        for a in records.aid {
            state.add_aid(a.household, &a.record_id, slots[a.agency as usize], a.aid_type, a.start, a.end);
        }
        ms[5] += t.elapsed().as_millis();
        // Where a start's time goes (the reader's wait is time the database was slower than
        // the cores preparing).
        tracing::debug!(
            households = ms[0],
            waited_for_persons = ms[1],
            prepare = ms[2],
            add = ms[3],
            finish = ms[4],
            aid_and_the_rest = ms[5],
            "engine rebuilt, ms by phase"
        );
        let next = NextIds { household: max_seq as u64 + 1, person: max_person as u64 + 1 };
        Ok((Engine { matcher, state: RwLock::new(state) }, next))
    }
}

/// The stored records as the persons' reader reads them for the engine.
#[derive(Default)]
struct StoredRecords {
    /// The aid of every record not withdrawn, in the order they were stored.
    aid: Vec<StoredAid>,
    /// Every record's agency, as its place in `queries::list_agencies`.
    agency_of: foldhash::HashMap<RecordKey, u32>,
}

/// A record's id as the start keys it: its 128 bits when it is a UUID written as the gateway
/// writes them (every id it makes), else its text. As strings, once in the persons' order and
/// once in the map of agencies, 500,000 records' ids raised the start's peak memory by 21 MB
/// (1.64 M persons on SQLite: 1,045 MB against 1,024 with these).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RecordKey {
    Uuid(u128),
    Text(Box<str>),
}

impl RecordKey {
    fn of(id: &str) -> RecordKey {
        // Only the one spelling the gateway writes (lower case, hyphenated) is read as bits,
        // so two ids written differently are never taken for one.
        let mut buf = uuid::Uuid::encode_buffer();
        match uuid::Uuid::try_parse(id) {
            Ok(u) if u.hyphenated().encode_lower(&mut buf) == id => RecordKey::Uuid(u.as_u128()),
            _ => RecordKey::Text(id.into()),
        }
    }
}

/// A stored record's aid as the persons' reader reads it for the engine: its household's seq,
/// and its agency as the agency's place in `queries::list_agencies`.
struct StoredAid {
    household: u64,
    record_id: String,
    agency: u32,
    aid_type: AidType,
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
}

/// Every record in the order the records were stored, a page at a time: the aid of those not
/// withdrawn (one whose household, agency or aid type is not known is left out, as the engine
/// would leave it) and every record's agency (the agency of the persons it lists).
fn read_records(
    conn: &mut DbConn,
    id_to_seq: &foldhash::HashMap<Arc<str>, u64>,
    agency_index: &HashMap<&str, u32>,
) -> Result<StoredRecords, diesel::result::Error> {
    let mut read = StoredRecords::default();
    let mut after: Option<(String, String)> = None;
    loop {
        let page = queries::records_for_index(conn, after.as_ref(), 50_000)?;
        let Some((last, _)) = page.last() else { return Ok(read) };
        after = Some((last.created_at.clone(), last.id.clone()));
        for (r, withdrawn) in page {
            let Some(&agency) = agency_index.get(r.agency_id.as_str()) else { continue };
            read.agency_of.insert(RecordKey::of(&r.id), agency);
            let (Some(&household), Some(aid_type), false) =
                (id_to_seq.get(r.household_id.as_str()), AidType::parse(&r.assistance_type), withdrawn)
            else {
                continue;
            };
            read.aid.push(StoredAid {
                household,
                agency,
                aid_type,
                start: stored_date(&r.period_start),
                end: stored_date(&r.period_end),
                record_id: r.id,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RecordKey;

    #[test]
    fn a_record_id_is_keyed_by_its_bits_only_as_the_gateway_writes_it() {
        let made = crate::service::ids::new_id();
        assert!(matches!(RecordKey::of(&made), RecordKey::Uuid(_)), "{made}");
        let id = "0190a6b2-7c3e-7abc-8def-0123456789ab".to_owned();
        assert_eq!(RecordKey::of(&id), RecordKey::Uuid(0x0190a6b2_7c3e_7abc_8def_0123456789ab));
        // The same UUID written otherwise is another id, kept as text: never taken for the first.
        for other in [id.to_uppercase(), id.replace('-', ""), format!("{{{id}}}")] {
            assert_eq!(RecordKey::of(&other), RecordKey::Text(other.clone().into()));
            assert_ne!(RecordKey::of(&other), RecordKey::of(&id));
        }
        assert_eq!(RecordKey::of("rec-1"), RecordKey::Text("rec-1".into()));
        assert_eq!(RecordKey::of(&id), RecordKey::of(&id.clone()));
    }
}
