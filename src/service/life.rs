//! The life of a record after intake (API.md, "The life of a record"): its correction (matched
//! again on the intake writer, see `intake::correct`), withdrawal, history, and an agency's
//! export of its own records.
//!
//! Conventions, as for reading a record: a submitter that names another agency's record is
//! told it is not found (404), never that it exists; a role that may not do this is refused
//! (403). Every change runs on the intake writer, so it never interleaves with a record being
//! matched, and is audited there in its own transaction; reads of personal data (the export)
//! are audited as they are answered.

use bawaba_wire::life::{
    ExportedRecord, RecordHistory, RecordPage, RecordVersion, RecordsQuery, VersionEnd, WithdrawAnswer, WithdrawBody,
};
use bawaba_wire::records::{RecordBody, StoredAssistance, StoredLocation};
use diesel::Connection;

use super::Services;
use super::audit::{audit, record as audit_read};
use super::auth::{Principal, Role};
use super::domain::FlagStatus;
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::{new_id, now};
use super::intake::{AgencyRef, Outcome};
use super::records::stored_member;
use super::reports::defuse;
use super::validate::{self, date, limit, nonempty};
use super::vault::Column;
use crate::store::models::{RecordLife, RecordRow, RecordVersionRow};
use crate::store::queries;

/// Who may correct, withdraw and export records: the agency's own system.
pub const OWN: &[Role] = &[Role::Submitter];
/// Who may read a record's history (a submitter, only its own agency's).
pub const HISTORY: &[Role] = &[Role::Submitter, Role::Caseworker, Role::Auditor];

fn agency_of(p: &Principal) -> Result<AgencyRef, ServiceError> {
    match (&p.agency_id, &p.agency_code) {
        (Some(id), Some(code)) => Ok(AgencyRef { id: id.clone(), code: code.clone() }),
        _ => Err(ServiceError::Forbidden),
    }
}

/// Why, as a reason or note is taken: 1 to 2,000 characters, no control characters but newlines.
pub fn reason(field: &str, text: &str, required: bool) -> Result<String, ServiceError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(ServiceError::field(field, "is required: say why"));
    }
    if t.chars().count() > 2000 || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::field(field, "must be at most 2000 characters, with no control characters"));
    }
    Ok(t.to_owned())
}

/// Corrects a record: the agency that posted it sends it again, same `external_id`, changed.
/// Matched again through the intake writer; the answer is the intake answer (`Replayed` when
/// the body is the one stored). Blocking.
pub fn correct(s: &Services, who: &Principal, record_id: &str, body: RecordBody) -> Result<Outcome, ServiceError> {
    who.require(OWN)?;
    let agency = agency_of(who)?;
    let item = {
        let places = s.places.read();
        validate::record(body, &places)?
    };
    // Audited on the writer, in the correction's own transaction.
    let mut outcome = s.intake.correct(agency, record_id.to_owned(), who.clone(), item)?;
    let (Outcome::Created(a) | Outcome::Replayed(a)) = &mut outcome;
    for f in &mut a.flags {
        who.redact(&mut f.evidence);
    }
    Ok(outcome)
}

/// Withdraws a record (aid never delivered, posted by mistake): it leaves reports and overlap
/// checks (the engine forgets its aid), its open flags and those naming it close as
/// `withdrawn`, and it stays readable, with its history. Blocking; runs on the writer.
pub fn withdraw(
    s: &Services,
    who: &Principal,
    record_id: &str,
    body: WithdrawBody,
) -> Result<WithdrawAnswer, ServiceError> {
    who.require(OWN)?;
    let agency = agency_of(who)?;
    let why = reason("reason", &body.reason, true)?;
    let who = who.clone();
    let vault = s.vault.clone();
    let id = record_id.to_owned();
    s.intake.exclusive(move |conn, engine, _| {
        let (answer, household) = conn.transaction::<_, ServiceError, _>(|c| {
            crate::store::lock_for_write(c)?;
            let r = queries::record(c, &id)?.ok_or(ServiceError::NotFound("record"))?;
            if r.agency_id != agency.id {
                return Err(ServiceError::NotFound("record"));
            }
            let life = queries::record_life(c, &id)?.ok_or(ServiceError::NotFound("record"))?;
            if life.withdrawn_at.is_some() {
                return Err(ServiceError::Conflict("this record was already withdrawn".into()));
            }
            let at = now();
            let sealed = vault.seal(Column::Reason, &why);
            queries::set_withdrawn(c, &id, &at, &sealed)?;
            let members = queries::persons_of_record(c, &id)?.len() as i32;
            queries::insert_record_version(c, &version_row(&r, &life, "withdrawn", &at, &who, Some(sealed), members))?;
            let closed: Vec<String> = queries::open_flags_touching(c, &id)?.into_iter().map(|f| f.id).collect();
            queries::set_flags_status(c, &closed, FlagStatus::Withdrawn.as_str())?;
            audit(c, &who, "record.withdraw", Some(&id), Some(format!("flags_closed={}", closed.len())))?;
            Ok((
                WithdrawAnswer {
                    record_id: id.clone(),
                    status: "withdrawn".into(),
                    withdrawn_at: at,
                    flags_closed: closed,
                },
                r.household_id,
            ))
        })?;
        // Out of overlap checks: later records do not overlap it.
        let mut state = engine.state.write();
        if let Some(seq) = state.seq(state.resolve(&household)) {
            state.remove_aid(seq, &id);
        }
        Ok(answer)
    })
}

/// The row that keeps a record's version as it was before a change.
fn version_row(
    r: &RecordRow,
    life: &RecordLife,
    action: &str,
    at: &str,
    who: &Principal,
    reason: Option<String>,
    members: i32,
) -> RecordVersionRow {
    RecordVersionRow {
        id: new_id(),
        record_id: r.id.clone(),
        version: life.version,
        action: action.to_owned(),
        at: at.to_owned(),
        key_id: who.key_id.clone(),
        reason,
        household_id: r.household_id.clone(),
        assistance_type: r.assistance_type.clone(),
        program: r.program.clone(),
        amount: r.amount,
        currency: r.currency.clone(),
        period_start: r.period_start.clone(),
        period_end: r.period_end.clone(),
        governorate: r.governorate.clone(),
        locality: r.locality.clone(),
        members,
        decision: super::intake::stored_decision(&r.answer).as_str().to_owned(),
    }
}

fn status_of(life: &RecordLife) -> &'static str {
    if life.withdrawn_at.is_some() { "withdrawn" } else { "active" }
}

/// A record's versions, oldest first, the current one last; a submitter sees only its own
/// agency's records' history. Holds no personal data (members are counted).
pub fn history(s: &Services, who: &Principal, record_id: &str) -> Result<RecordHistory, ServiceError> {
    who.require(HISTORY)?;
    let mut conn = s.conn()?;
    let r = queries::record(&mut conn, record_id)?.ok_or(ServiceError::NotFound("record"))?;
    if who.role == Role::Submitter && who.agency_id.as_deref() != Some(r.agency_id.as_str()) {
        return Err(ServiceError::NotFound("record"));
    }
    // A scoped caller reads a record's history only when its household is in scope, as the record.
    if let Some(scope) = who.scope_codes()
        && !queries::household_in_scope(&mut conn, &r.household_id, &scope)?
    {
        return Err(ServiceError::NotFound("record"));
    }
    let life = queries::record_life(&mut conn, record_id)?.ok_or(ServiceError::NotFound("record"))?;
    let rows = queries::record_versions(&mut conn, record_id)?;
    let members = queries::persons_of_record(&mut conn, record_id)?.len() as u32;
    let agency = queries::agencies_by_ids(&mut conn, std::slice::from_ref(&r.agency_id))?
        .pop()
        .map(|a| a.code)
        .unwrap_or_default();
    audit_read(s, who, "record.history", Some(record_id), None)?;
    let key_ids: Vec<String> = rows.iter().filter_map(|v| v.key_id.clone()).collect();
    let keys: std::collections::HashMap<String, Option<String>> =
        queries::keys_by_ids(&mut conn, &key_ids)?.into_iter().map(|k| (k.id, k.label)).collect();
    let by = |key_id: &Option<String>| match key_id {
        Some(k) => keys.get(k).cloned().flatten().filter(|l| !l.is_empty()).unwrap_or_else(|| format!("key:{k}")),
        None => agency.clone(),
    };
    let mut versions: Vec<RecordVersion> = Vec::with_capacity(rows.len() + 1);
    let mut withdrawn: Option<VersionEnd> = None;
    for v in rows {
        let end = VersionEnd {
            action: v.action.clone(),
            at: v.at.clone(),
            reason: v.reason.as_deref().map(|r| s.vault.open(Column::Reason, r)).transpose()?,
            by: Some(by(&v.key_id)),
        };
        if v.action == "withdrawn" {
            // The withdrawal ends the current version: said on it, below.
            withdrawn = Some(end);
            continue;
        }
        versions.push(RecordVersion {
            version: v.version.max(1) as u32,
            current: false,
            household_id: v.household_id,
            assistance: StoredAssistance {
                aid_type: v.assistance_type,
                program: v.program,
                amount: v.amount,
                currency: v.currency,
                period_start: v.period_start,
                period_end: v.period_end,
            },
            governorate: v.governorate,
            locality: v.locality,
            members: v.members.max(0) as u32,
            decision: v.decision,
            ended: Some(end),
        });
    }
    let household_id = s.engine.state.read().resolve(&r.household_id).to_owned();
    versions.push(RecordVersion {
        version: life.version.max(1) as u32,
        current: true,
        household_id,
        assistance: StoredAssistance {
            aid_type: r.assistance_type,
            program: r.program,
            amount: r.amount,
            currency: r.currency,
            period_start: r.period_start,
            period_end: r.period_end,
        },
        governorate: r.governorate,
        locality: r.locality,
        members,
        decision: super::intake::stored_decision(&r.answer).as_str().to_owned(),
        ended: withdrawn,
    });
    Ok(RecordHistory {
        record_id: r.id,
        external_id: r.external_id,
        agency,
        status: status_of(&life).to_owned(),
        version: life.version.max(1) as u32,
        created_at: r.created_at,
        versions,
    })
}

/// The export's parameters, validated.
pub struct ExportRequest {
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: usize,
    pub csv: bool,
}

/// Validates `GET /v1/records` parameters, and that `who` may export (before any CSV is written).
pub fn export_request(who: &Principal, q: &RecordsQuery) -> Result<ExportRequest, ServiceError> {
    who.require(OWN)?;
    agency_of(who)?;
    let mut problems = Vec::new();
    let from = date(&mut problems, "from", &q.from);
    let to = date(&mut problems, "to", &q.to);
    if let (Some(a), Some(b)) = (from, to)
        && b < a
    {
        problems.push(FieldProblem::new("to", "must not be before from"));
    }
    let csv = match nonempty(&q.format).as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            problems.push(FieldProblem::new("format", "must be json or csv"));
            false
        }
    };
    let limit = limit(&mut problems, &q.limit, 100, 1000);
    let cursor = nonempty(&q.cursor);
    if cursor.as_ref().is_some_and(|c| c.len() > 64) {
        problems.push(FieldProblem::new("cursor", "is not a cursor this gateway gave"));
    }
    validated(
        problems,
        ExportRequest { from: from.map(|d| d.to_string()), to: to.map(|d| d.to_string()), cursor, limit, csv },
    )
}

/// One page of the agency's own records (withdrawn ones too, marked), with their members.
/// Audited: it reads personal data, if the agency's own.
pub fn export(s: &Services, who: &Principal, q: &RecordsQuery) -> Result<RecordPage, ServiceError> {
    let r = export_request(who, q)?;
    let agency = agency_of(who)?;
    audit_read(s, who, "record.export", None, Some("json".into()))?;
    let mut conn = s.conn()?;
    let mut rows = queries::agency_records(
        &mut conn,
        &agency.id,
        r.from.as_deref(),
        r.to.as_deref(),
        r.cursor.as_deref(),
        r.limit as i64 + 1,
    )?;
    let more = rows.len() > r.limit;
    rows.truncate(r.limit);
    let records = exported(s, &mut conn, rows)?;
    let next_cursor = if more { records.last().map(|r| r.record_id.clone()) } else { None };
    Ok(RecordPage { records, next_cursor })
}

fn exported(
    s: &Services,
    conn: &mut crate::store::DbConn,
    rows: Vec<(RecordRow, RecordLife)>,
) -> Result<Vec<ExportedRecord>, ServiceError> {
    let ids: Vec<String> = rows.iter().map(|(r, _)| r.id.clone()).collect();
    let mut persons: std::collections::HashMap<String, Vec<_>> = std::collections::HashMap::new();
    for p in queries::persons_of_records(conn, &ids)? {
        persons.entry(p.record_id.clone()).or_default().push(p);
    }
    let state = s.engine.state.read();
    rows.into_iter()
        .map(|(r, life)| {
            let members = persons
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| stored_member(&s.vault, p))
                .collect::<Result<_, _>>()?;
            Ok(ExportedRecord {
                assistance: StoredAssistance::from(&r),
                location: StoredLocation::from(&r),
                household_id: state.resolve(&r.household_id).to_owned(),
                status: status_of(&life).to_owned(),
                version: life.version.max(1) as u32,
                decision: super::intake::stored_decision(&r.answer).as_str().to_owned(),
                record_id: r.id,
                external_id: r.external_id,
                members,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// Every one of the agency's records the filter selects, as CSV (one line per member, the
/// record's columns on each; spreadsheet formulas defused), written as it is read in pages;
/// `sink` answers `false` when the reader has gone. Audited before the first byte.
pub fn export_csv(
    s: &Services,
    who: &Principal,
    q: &RecordsQuery,
    sink: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Result<(), ServiceError> {
    let r = export_request(who, q)?;
    let agency = agency_of(who)?;
    audit_read(s, who, "record.export", None, Some("csv".into()))?;
    let mut conn = s.conn()?;
    let header = [
        "record_id",
        "external_id",
        "household_id",
        "status",
        "version",
        "type",
        "program",
        "amount",
        "currency",
        "period_start",
        "period_end",
        "governorate",
        "locality",
        "decision",
        "created_at",
        "member",
        "role",
        "name",
        "national_id",
        "date_of_birth",
        "sex",
        "phone",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| ServiceError::Internal(format!("writing CSV: {e}"));
    w.write_record(header).map_err(csv_err)?;
    let mut after = r.cursor.clone();
    loop {
        let rows =
            queries::agency_records(&mut conn, &agency.id, r.from.as_deref(), r.to.as_deref(), after.as_deref(), 1000)?;
        let Some((last, _)) = rows.last() else { break };
        after = Some(last.id.clone());
        let full = rows.len() == 1000;
        for e in exported(s, &mut conn, rows)? {
            let opt = |v: &Option<String>| v.clone().unwrap_or_default();
            let record = [
                e.record_id.clone(),
                e.external_id.clone(),
                e.household_id.clone(),
                e.status.clone(),
                e.version.to_string(),
                e.assistance.aid_type.clone(),
                opt(&e.assistance.program),
                e.assistance.amount.map(|a| a.to_string()).unwrap_or_default(),
                opt(&e.assistance.currency),
                e.assistance.period_start.clone(),
                e.assistance.period_end.clone(),
                opt(&e.location.governorate),
                opt(&e.location.locality),
                e.decision.clone(),
                e.created_at.clone(),
            ];
            for (i, m) in e.members.iter().enumerate() {
                let member = [
                    i.to_string(),
                    m.role.clone(),
                    m.name.clone(),
                    opt(&m.national_id),
                    opt(&m.date_of_birth),
                    opt(&m.sex),
                    opt(&m.phone),
                ];
                w.write_record(record.iter().chain(member.iter()).map(|f| defuse(f).into_owned())).map_err(csv_err)?;
            }
        }
        let chunk = std::mem::replace(&mut w, csv::Writer::from_writer(Vec::new()))
            .into_inner()
            .map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))?;
        if !sink(chunk) {
            return Ok(());
        }
        if !full {
            break;
        }
    }
    let rest = w.into_inner().map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))?;
    if !rest.is_empty() {
        sink(rest);
    }
    Ok(())
}

/// Who may split a household: those who review joins.
pub const SPLIT: &[Role] = &[Role::Caseworker, Role::Auditor];

/// Most records one split moves.
const SPLIT_MAX: usize = 1000;

/// Undoes a wrong join: the records listed leave household `household_id` for a new one (their
/// members, their flags and the engine's index and aid follow), open aid flags between the two
/// sides close as `superseded`, and the pair is kept apart as a dismissed one is, so a later
/// record joins one side at most. Runs on the writer (it makes a household).
pub fn split(
    s: &Services,
    who: &Principal,
    household_id: &str,
    body: bawaba_wire::life::SplitBody,
) -> Result<bawaba_wire::life::SplitAnswer, ServiceError> {
    use crate::store::models::{DismissedPairRow, HouseholdRow};
    who.require(SPLIT)?;
    let note = reason("note", &body.note, false)?;
    let mut ids: Vec<String> = Vec::with_capacity(body.records.len());
    let mut problems = Vec::new();
    if body.records.is_empty() {
        problems.push(FieldProblem::new("records", "must list at least one record of the household"));
    }
    if body.records.len() > SPLIT_MAX {
        problems.push(FieldProblem::new("records", format!("must list at most {SPLIT_MAX} records")));
    }
    for (i, r) in body.records.iter().enumerate() {
        if r.trim().is_empty() || r.len() > 64 {
            problems.push(FieldProblem::new(format!("records[{i}]"), "is not a record id"));
        } else if !ids.contains(r) {
            ids.push(r.clone());
        }
    }
    validated(problems, ())?;
    let who = who.clone();
    let vault = s.vault.clone();
    let asked = household_id.to_owned();
    let listed = body.records;
    s.intake.exclusive_with_ids(move |conn, engine, _, next| {
        let saved = *next;
        let hid = engine.state.read().resolve(&asked).to_owned();
        let done = conn.transaction::<_, ServiceError, _>(|c| {
            crate::store::lock_for_write(c)?;
            let home = queries::household(c, &hid)?.ok_or(ServiceError::NotFound("household"))?;
            // A scoped caller splits only a household with a record in its scope; any other
            // is not there (as for its view).
            if let Some(scope) = who.scope_codes()
                && !queries::household_in_scope(c, &home.id, &scope)?
            {
                return Err(ServiceError::NotFound("household"));
            }
            let all = queries::record_ids_of_household(c, &home.id)?;
            let stray: Vec<FieldProblem> = listed
                .iter()
                .enumerate()
                .filter(|(_, r)| !all.contains(r))
                .map(|(i, _)| FieldProblem::new(format!("records[{i}]"), "is not a record of this household"))
                .collect();
            validated(stray, ())?;
            if all.iter().all(|r| ids.contains(r)) {
                return Err(ServiceError::field("records", "must leave at least one record in the household"));
            }
            let seq = next.household;
            next.household += 1;
            let new_id = new_id();
            let at = now();
            queries::insert_household(
                c,
                &HouseholdRow { id: new_id.clone(), seq: seq as i64, merged_into: None, created_at: at.clone() },
            )?;
            queries::move_records(c, &ids, &new_id)?;
            // Aid flags between the two sides no longer stand: the households are two.
            let across: Vec<String> = queries::open_flags_of_records(c, &ids)?
                .into_iter()
                .filter(|f| {
                    let moved = |r: &Option<String>| r.as_ref().is_some_and(|r| ids.contains(r));
                    let stays = |r: &Option<String>| r.as_ref().is_some_and(|r| all.contains(r) && !ids.contains(r));
                    let rec = Some(f.record_id.clone());
                    (moved(&rec) && stays(&f.matched_record_id)) || (stays(&rec) && moved(&f.matched_record_id))
                })
                .map(|f| f.id)
                .collect();
            queries::set_flags_status(c, &across, FlagStatus::Superseded.as_str())?;
            let (a, b) =
                if home.id <= new_id { (home.id.clone(), new_id.clone()) } else { (new_id.clone(), home.id.clone()) };
            queries::insert_dismissed_pair(c, &DismissedPairRow { household_a: a, household_b: b, created_at: at })?;
            let mut detail = format!("records={} into={new_id}", ids.len());
            if !note.is_empty() {
                detail.push_str(&format!(" note={}", vault.seal(Column::Reason, &note)));
            }
            audit(c, &who, "household.split", Some(&home.id), Some(detail))?;
            let persons = queries::persons_of_records(c, &ids)?;
            Ok((home.id, seq, new_id, across, persons))
        });
        let (home, seq, new_household, across, persons) = match done {
            Ok(v) => v,
            Err(e) => {
                *next = saved;
                return Err(e);
            }
        };
        // The engine follows: the new household, its members' index entries, its aid, and the
        // pair kept apart.
        let mut prepared = Vec::with_capacity(persons.len());
        for p in persons {
            let row = vault.open_person(p)?;
            let m = super::index::member_of_row(&row);
            prepared.push((row.id as u64, bawaba_matching::prepare(&super::index::person_input(&m))));
        }
        let mut state = engine.state.write();
        state.add_household(&new_household, seq);
        for (pid, p) in prepared {
            state.index.insert(pid, seq, p);
        }
        if let Some(old) = state.seq(&home) {
            state.move_aid(old, seq, &ids);
            state.dismiss(old, seq);
        }
        Ok(bawaba_wire::life::SplitAnswer {
            household_id: home,
            new_household_id: new_household,
            records: ids,
            flags_closed: across,
        })
    })
}

/// Who may erase a person: the admin.
pub const ERASE: &[Role] = &[Role::Admin];

/// Erases a person: the member row's name, national ID, phone and birth date (and their look-up
/// hashes), and those of every other member row with the same national ID, are removed; the
/// evidence of matches that may quote them (flags raised by their records or naming their
/// households) is rewritten without any value that quotes them, and so are the stored answers
/// of their records; the engine forgets them. Aid amounts, records and flags stay, so reports
/// count what they counted. On SQLite the freed space is overwritten and the write-ahead log
/// emptied, so the values are not left in the file. Runs on the writer; audited with the reason
/// sealed.
pub fn erase(
    s: &Services,
    who: &Principal,
    person_id: &str,
    body: bawaba_wire::life::EraseBody,
) -> Result<bawaba_wire::life::EraseAnswer, ServiceError> {
    who.require(ERASE)?;
    let why = reason("reason", &body.reason, true)?;
    let pid: i64 = person_id.trim().parse().map_err(|_| ServiceError::NotFound("person"))?;
    let who = who.clone();
    let vault = s.vault.clone();
    let asked = person_id.to_owned();
    s.intake.exclusive(move |conn, engine, _| {
        queries::zero_freed_space(conn, true)?;
        let done = conn.transaction::<_, ServiceError, _>(|c| {
            crate::store::lock_for_write(c)?;
            let first = queries::person(c, pid)?.ok_or(ServiceError::NotFound("person"))?;
            let mut rows = vec![first.clone()];
            if let Some(h) = &first.national_id_hash {
                // Every other row with the same ID: the engine holds every stored person but
                // the erased and its `unheld` (see `households_with_national_id`; on the
                // writer, between groups, it is in step with the database), so the households
                // it files under the ID, and the person's own, hold them all but those; their
                // rows are read and confirmed by the keyed hash through the households' index
                // (the hash has none), and the unheld ones by id.
                let (mut households, unheld) = {
                    let state = engine.state.read();
                    let households = match vault.open_person(first.clone())?.national_id {
                        Some(id) => state.households_with_national_id(&id),
                        None => Vec::new(),
                    };
                    (households, state.unheld.clone())
                };
                households.push(first.household_id.clone());
                households.sort_unstable();
                households.dedup();
                rows.extend(
                    queries::persons_with_national_id_hash(c, &households, h)?.into_iter().filter(|p| p.id != first.id),
                );
                for id in unheld {
                    if let Some(p) = queries::person(c, id)?
                        && p.national_id_hash.as_ref() == Some(h)
                        && !rows.iter().any(|r| r.id == p.id)
                    {
                        rows.push(p);
                    }
                }
            }
            let mut needles = Needles::default();
            for r in &rows {
                // A row whose sealed values do not open (damage, logged at start) is erased all
                // the same; its name and birth date (stored as given) are still looked for.
                let opened = vault.open_person(r.clone()).unwrap_or_else(|e| {
                    tracing::warn!(person = r.id, error = %e, "erasing a person whose ID or phone does not open");
                    crate::store::models::PersonRow { national_id: None, phone: None, ..r.clone() }
                });
                needles.add(&opened);
            }
            let mut records: Vec<String> = rows.iter().map(|r| r.record_id.clone()).collect();
            records.sort_unstable();
            records.dedup();
            let mut households: Vec<String> = {
                let state = engine.state.read();
                rows.iter().flat_map(|r| [r.household_id.clone(), state.resolve(&r.household_id).to_owned()]).collect()
            };
            households.sort_unstable();
            households.dedup();
            for r in &rows {
                queries::erase_person(c, r.id)?;
            }
            // Evidence that may quote them, shared or of older flags, rewritten.
            let flags = queries::flags_touching(c, &records, &households)?;
            let mut evidence_ids: Vec<String> = flags.iter().filter_map(|f| f.evidence_id.clone()).collect();
            evidence_ids.sort_unstable();
            evidence_ids.dedup();
            let mut rewritten = 0;
            for e in queries::evidence_bodies(c, &evidence_ids)? {
                if let Some(clean) = needles.scrub(&vault.open_evidence(&e.body)?) {
                    queries::set_evidence_body(c, &e.id, &vault.seal(Column::Evidence, &clean))?;
                    rewritten += 1;
                }
            }
            for f in flags.iter().filter(|f| !f.evidence.is_empty()) {
                if let Some(clean) = needles.scrub(&vault.open_evidence(&f.evidence)?) {
                    queries::set_flag_evidence(c, &f.id, &vault.seal(Column::Evidence, &clean))?;
                    rewritten += 1;
                }
            }
            for r in &records {
                if let Some(row) = queries::record(c, r)?
                    && let Some(clean) = needles.scrub(&row.answer)
                {
                    queries::set_record_answer(c, r, &clean)?;
                }
            }
            let detail = format!("persons={} reason={}", rows.len(), vault.seal(Column::Reason, &why));
            audit(c, &who, "person.erase", Some(&asked), Some(detail))?;
            Ok((rows, records, rewritten))
        });
        // Zeroing freed space is for the erasure alone: this is the writer's connection.
        if let Err(e) = queries::zero_freed_space(conn, false) {
            tracing::warn!(error = %e, "freed space is still zeroed on the writer's connection after an erasure");
        }
        let (rows, records, rewritten) = done?;
        {
            let mut state = engine.state.write();
            for r in &rows {
                state.index.remove_person(r.id as u64);
            }
        }
        if let Err(e) = queries::checkpoint(conn) {
            tracing::warn!(error = %e, "the write-ahead log could not be emptied after an erasure");
        }
        Ok(bawaba_wire::life::EraseAnswer {
            person_id: asked,
            person_ids: rows.iter().map(|r| r.id.to_string()).collect(),
            records,
            evidence_rewritten: rewritten,
        })
    })
}

/// The values of erased persons, and the forms evidence may quote them in.
#[derive(Default)]
struct Needles {
    /// Whole values and name parts, as written and normalised.
    text: std::collections::HashSet<String>,
    /// The digits of IDs, phones and birth dates.
    digits: std::collections::HashSet<String>,
}

impl Needles {
    fn add(&mut self, p: &crate::store::models::PersonRow) {
        let names = [p.name.clone(), bawaba_matching::normalize::name(&p.name)];
        for n in names {
            for part in n.split_whitespace().filter(|t| t.chars().count() >= 2) {
                self.text.insert(part.to_owned());
            }
            self.text.insert(n.trim().to_owned());
        }
        for v in [&p.national_id, &p.phone, &p.date_of_birth].into_iter().flatten() {
            self.text.insert(v.trim().to_owned());
            let d = bawaba_matching::normalize::ascii_digits(v);
            if d.len() >= 4 {
                self.digits.insert(d.clone());
                // A phone is quoted with or without its country code.
                if d.len() > 9 {
                    self.digits.insert(d[d.len() - 9..].to_owned());
                }
            }
        }
        self.text.retain(|t| !t.is_empty());
    }

    /// Whether a quoted value quotes an erased one.
    fn quotes(&self, v: &str) -> bool {
        let v = v.trim();
        if self.text.contains(v) || self.text.contains(&bawaba_matching::normalize::name(v)) {
            return true;
        }
        let d = bawaba_matching::normalize::ascii_digits(v);
        if d.len() >= 4 && self.digits.iter().any(|n| d.contains(n.as_str()) || n.contains(d.as_str())) {
            return true;
        }
        let parts: Vec<&str> = v.split_whitespace().collect();
        !parts.is_empty() && parts.iter().any(|t| t.chars().count() >= 2 && self.text.contains(*t))
    }

    /// JSON text with every string that quotes an erased value made null; `None` when none did.
    fn scrub(&self, json: &str) -> Option<String> {
        let mut v: serde_json::Value = serde_json::from_str(json).ok()?;
        fn walk(n: &Needles, v: &mut serde_json::Value) -> bool {
            match v {
                serde_json::Value::String(s) if n.quotes(s) => {
                    *v = serde_json::Value::Null;
                    true
                }
                serde_json::Value::Array(a) => a.iter_mut().fold(false, |c, x| walk(n, x) | c),
                serde_json::Value::Object(o) => {
                    o.iter_mut().filter(|(k, _)| !KEEP.contains(&k.as_str())).fold(false, |c, (_, x)| walk(n, x) | c)
                }
                _ => false,
            }
        }
        /// Keys whose values are the gateway's own words and ids, never a person's.
        const KEEP: &[&str] = &[
            "field",
            "level",
            "kind",
            "band",
            "decision",
            "flag_id",
            "record_id",
            "household_id",
            "matched_household_id",
            "matched_record_id",
            "matched_agency",
            "theirs_agency",
            "theirs_role",
            "type",
            "from",
            "to",
            "governorate_code",
            "locality_code",
        ];
        walk(self, &mut v).then(|| v.to_string())
    }
}
