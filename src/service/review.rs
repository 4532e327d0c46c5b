//! Review of flags by caseworkers and auditors. Confirming a `possible_same_household` merges
//! the two households (records, members and flags follow, and aid the merge reveals as
//! overlapping is flagged); dismissing one keeps the pair apart for good. Confirming or
//! dismissing an aid flag settles it. Every review is kept with who, when and the note. Reviews
//! run on the intake writer, so a merge never interleaves with a record being matched.

use bawaba_wire::records::StoredFlag;
use bawaba_wire::review::{FlagPage, FlagQuery, ReviewAnswer, ReviewBody, Verdict};
use diesel::Connection;

use super::Services;
use super::audit::audit;
use super::auth::{Principal, Role};
use super::batch;
use super::domain::{Band, FlagKind, FlagStatus};
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::{new_id, now};
use super::index::Engine;
use super::overlap;
use super::policy::OverlapPolicy;
use super::records::flag_for;
use super::validate::{limit, nonempty};
use super::vault::{Column, Vault};
use crate::store::DbConn;
use crate::store::models::{DismissedPairRow, EvidenceRow, FlagRow, ReviewRow};
use crate::store::queries::{self, FlagFilter};

/// Who may list and review flags.
pub const ROLES: &[Role] = &[Role::Caseworker, Role::Auditor];

/// Lists flags, oldest first, a page at a time.
pub fn list(s: &Services, who: &Principal, q: &FlagQuery) -> Result<FlagPage, ServiceError> {
    who.require(ROLES)?;
    let mut problems = Vec::new();
    let status = nonempty(&q.status).and_then(|st| {
        let status = FlagStatus::parse(&st);
        if status.is_none() {
            problems.push(FieldProblem::new("status", "must be open, confirmed, dismissed, superseded or withdrawn"));
        }
        status
    });
    let kind = nonempty(&q.kind).and_then(|k| {
        let kind = FlagKind::parse(&k);
        if kind.is_none() {
            problems.push(FieldProblem::new(
                "kind",
                "must be overlapping_aid, duplicate_record or possible_same_household",
            ));
        }
        kind
    });
    let limit = limit(&mut problems, &q.limit, 100, 1000) as i64;
    let priority = match nonempty(&q.sort).as_deref() {
        None | Some("oldest") => false,
        Some("priority") => true,
        Some(_) => {
            problems.push(FieldProblem::new("sort", "must be priority or oldest"));
            false
        }
    };
    let mut filter = validated(
        problems,
        FlagFilter {
            status: status.map(|s| s.as_str().to_owned()),
            kind: kind.map(|k| k.as_str().to_owned()),
            agency_id: None,
            after: nonempty(&q.cursor),
            limit,
            scope: who.scope_codes(),
        },
    )?;
    let agency_code = nonempty(&q.agency);
    let mut conn = s.conn()?;
    if let Some(code) = agency_code {
        match queries::agency_by_code(&mut conn, &code)? {
            Some(a) => filter.agency_id = Some(a.id),
            None => {
                return Ok(FlagPage { flags: vec![], next_cursor: None });
            }
        }
    }
    if priority {
        return by_priority(s, who, &mut conn, filter);
    }
    let limit = filter.limit;
    filter.limit = limit + 1;
    let mut rows = queries::list_flags(&mut conn, &filter)?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let flags: Vec<_> = rows.into_iter().map(|f| flag_for(&s.vault, who, f)).collect::<Result<_, _>>()?;
    listed(s, who, flags, next_cursor)
}

/// A page of flags, its listing audited (`flag.list`, with the households shown).
fn listed(
    s: &Services,
    who: &Principal,
    flags: Vec<StoredFlag>,
    next_cursor: Option<String>,
) -> Result<FlagPage, ServiceError> {
    let households: Vec<&str> = flags.iter().map(|f| f.household_id.as_str()).collect();
    super::audit::record(
        s,
        who,
        "flag.list",
        None,
        Some(format!("flags={} households={}", flags.len(), households.join(","))),
    )?;
    Ok(FlagPage { flags, next_cursor })
}

/// The most flags `sort=priority` ranks; a queue longer than this ranks its oldest.
pub const PRIORITY_WINDOW: i64 = 10_000;

/// A page of flags in priority order (`batch::priority`); the cursor is the last flag's id.
fn by_priority(
    s: &Services,
    who: &Principal,
    conn: &mut DbConn,
    mut filter: FlagFilter,
) -> Result<FlagPage, ServiceError> {
    let limit = filter.limit as usize;
    let after = filter.after.take();
    filter.limit = PRIORITY_WINDOW;
    let rows = queries::list_flags(conn, &filter)?;
    let flags: Vec<_> = rows.into_iter().map(|f| flag_for(&s.vault, who, f)).collect::<Result<_, _>>()?;
    let sorted = batch::sort_by_priority(conn, flags)?;
    let start = match after {
        Some(a) => sorted.iter().position(|f| f.flag_id == a).map(|i| i + 1).unwrap_or(sorted.len()),
        None => 0,
    };
    let more = sorted.len() > start + limit;
    let flags: Vec<_> = sorted.into_iter().skip(start).take(limit).collect();
    let next_cursor = if more { flags.last().map(|f| f.flag_id.clone()) } else { None };
    listed(s, who, flags, next_cursor)
}

/// Reviews a flag (blocking; runs on the writer).
pub fn review(s: &Services, who: &Principal, flag_id: String, body: ReviewBody) -> Result<ReviewAnswer, ServiceError> {
    who.require(ROLES)?;
    let ReviewBody { decision: verdict, note } = body;
    if note.chars().count() > 2000 || note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::field("note", "must be at most 2000 characters, with no control characters"));
    }
    if let Some(scope) = who.scope_codes() {
        // A flag of a household outside the reviewer's scope is not there for them.
        let mut conn = s.conn()?;
        let flag = queries::flag(&mut conn, &flag_id)?.ok_or(ServiceError::NotFound("flag"))?;
        if !queries::household_in_scope(&mut conn, &flag.household_id, &scope)? {
            return Err(ServiceError::NotFound("flag"));
        }
    }
    let who = who.clone();
    let vault = s.vault.clone();
    s.intake.exclusive(move |conn, engine, policy| apply(conn, engine, policy, &vault, &who, &flag_id, verdict, &note))
}

#[expect(clippy::too_many_arguments, reason = "the writer's parts and the review, borrowed apart")]
fn apply(
    conn: &mut DbConn,
    engine: &Engine,
    policy: &OverlapPolicy,
    vault: &Vault,
    who: &Principal,
    flag_id: &str,
    verdict: Verdict,
    note: &str,
) -> Result<ReviewAnswer, ServiceError> {
    let (answer, action) = conn.transaction::<_, ServiceError, _>(|c| {
        crate::store::lock_for_write(c)?;
        let flag = queries::flag(c, flag_id)?.ok_or(ServiceError::NotFound("flag"))?;
        if FlagStatus::parse(&flag.status) != Some(FlagStatus::Open) {
            return Err(ServiceError::Conflict(format!("this flag was already reviewed ({})", flag.status)));
        }
        let action = decide(c, engine, policy, vault, who, flag, verdict, note)?;
        audit(c, who, "flag.review", Some(&action.flag_id), Some(action.status_after.clone()))?;
        // Kept as a review batch of one, so it can be undone.
        let batch_id = batch::store_batch(c, who, verdict, std::slice::from_ref(&action))?;
        let flag = queries::flag(c, &action.flag_id)?.ok_or(ServiceError::NotFound("flag"))?;
        let answer = ReviewAnswer {
            review_id: action.review_id.clone(),
            flag: flag_for(vault, who, flag)?,
            merged_into: action.merge.as_ref().map(|m| m.into.clone()),
            new_flags: action.new_flags.clone(),
            batch_id: Some(batch_id),
        };
        Ok((answer, action))
    })?;
    batch::follow(engine, std::slice::from_ref(&action));
    Ok(answer)
}

/// Decides one open flag inside the caller's transaction: its status, the review row, and for
/// a possible_same_household the merge (with the overlaps it reveals) or the pair kept apart.
/// The engine follows once the caller commits (`batch::follow`). Not audited here: a single
/// review is audited per flag, a batch once.
#[expect(clippy::too_many_arguments, reason = "the writer's parts and the review, borrowed apart")]
pub(super) fn decide(
    c: &mut DbConn,
    engine: &Engine,
    policy: &OverlapPolicy,
    vault: &Vault,
    who: &Principal,
    flag: FlagRow,
    verdict: Verdict,
    note: &str,
) -> Result<batch::Action, ServiceError> {
    let status = match verdict {
        Verdict::Confirm => FlagStatus::Confirmed,
        Verdict::Dismiss => FlagStatus::Dismissed,
    };
    queries::set_flag_status(c, &flag.id, status.as_str())?;
    let review_id = new_id();
    queries::insert_review(
        c,
        &ReviewRow {
            id: review_id.clone(),
            flag_id: flag.id.clone(),
            agency_id: who.agency_id.clone(),
            key_id: who.key_id.clone(),
            role: who.role.as_str().to_owned(),
            decision: status.as_str().to_owned(),
            note: if note.is_empty() { String::new() } else { vault.seal(Column::ReviewNote, note) },
            created_at: now(),
        },
    )?;
    let mut action = batch::Action {
        flag_id: flag.id.clone(),
        review_id,
        kind: flag.kind.clone(),
        status_before: flag.status.clone(),
        status_after: status.as_str().to_owned(),
        merge: None,
        kept_apart: None,
        new_flags: Vec::new(),
    };
    let same_household = FlagKind::parse(&flag.kind) == Some(FlagKind::PossibleSameHousehold);
    if same_household && flag.household_id != flag.matched_household_id {
        match verdict {
            Verdict::Confirm => {
                // The newer household joins the one that was known first.
                let (from, into) = (flag.household_id.clone(), flag.matched_household_id.clone());
                let records = queries::record_ids_of_household(c, &from)?;
                let redirected = crate::store::desk::merged_into(c, &from)?;
                queries::merge_households(c, &from, &into)?;
                action.new_flags = flag_revealed_overlaps(c, engine, policy, vault, &flag, &from, &into)?;
                action.merge = Some(batch::MergeDone { from, into, records, redirected });
            }
            Verdict::Dismiss => {
                let (a, b) = ordered(&flag.household_id, &flag.matched_household_id);
                queries::insert_dismissed_pair(
                    c,
                    &DismissedPairRow { household_a: a.clone(), household_b: b.clone(), created_at: now() },
                )?;
                action.kept_apart = Some((a, b));
            }
        }
    }
    Ok(action)
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) }
}

/// After a merge, the aid the two households received may overlap: flag it, as certain, since
/// a reviewer confirmed the households are one. As at intake, one flag per moved record and
/// agency, naming that agency's latest overlapping record and counting the rest.
fn flag_revealed_overlaps(
    c: &mut DbConn,
    engine: &Engine,
    policy: &OverlapPolicy,
    vault: &Vault,
    reviewed: &FlagRow,
    from: &str,
    into: &str,
) -> Result<Vec<String>, ServiceError> {
    let found: Vec<(String, Option<String>, overlap::Found)> = {
        let state = engine.state.read();
        let (Some(f), Some(t)) = (state.seq(from), state.seq(into)) else {
            return Ok(Vec::new());
        };
        let known = state.aid_of(t);
        let mut out = Vec::new();
        for moved in state.aid_of(f) {
            let incoming = overlap::Incoming {
                agency: moved.agency,
                aid_type: moved.aid_type,
                start: moved.start,
                end: moved.end,
            };
            for hit in overlap::find(policy, known, incoming) {
                let agency_id = state.agency(hit.agency).and_then(|(id, _)| id).map(str::to_owned);
                out.push((moved.record_id.to_string(), agency_id, hit));
            }
        }
        out
    };
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let evidence_id = new_id();
    let evidence = serde_json::json!([{
        "field": "review", "ours": reviewed.household_id, "theirs": reviewed.matched_household_id,
        "level": "confirmed_same_household", "similarity": 1.0, "weight": 0.0
    }]);
    let body = vault.seal(Column::Evidence, &evidence.to_string());
    queries::insert_evidence(c, &[EvidenceRow { id: evidence_id.clone(), body }])?;
    let mut ids = Vec::new();
    let mut rows = Vec::new();
    for (record_id, agency_id, hit) in found {
        let id = new_id();
        rows.push(FlagRow {
            id: id.clone(),
            record_id,
            household_id: into.to_owned(),
            kind: if hit.same_agency { FlagKind::DuplicateRecord } else { FlagKind::OverlappingAid }
                .as_str()
                .to_owned(),
            band: Band::Certain.as_str().to_owned(),
            score: 1.0,
            matched_household_id: into.to_owned(),
            matched_record_id: Some(hit.record_id.to_string()),
            matched_agency_id: agency_id,
            overlap_type: Some(hit.aid_type.as_str().to_owned()),
            overlap_from: Some(hit.from.to_string()),
            overlap_to: Some(hit.to.to_string()),
            evidence: String::new(),
            status: FlagStatus::Open.as_str().to_owned(),
            created_at: now(),
            matched_records: Some(hit.count as i32),
            evidence_id: Some(evidence_id.clone()),
        });
        ids.push(id);
    }
    queries::insert_flags(c, &rows)?;
    Ok(ids)
}
