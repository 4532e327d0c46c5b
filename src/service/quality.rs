//! How often the matcher is right, per band (API.md "The review desk and the family as one").
//!
//! Two sources: reviewers' decisions on `possible_same_household` flags (confirmed or
//! dismissed, as the flags stand now, so an undone batch no longer counts), and blind spot
//! checks of automatic links. A spot check draws, at random, records that joined a household
//! older than themselves at intake (not by a review merge), scores each again against the rest
//! of its household with the engine's matcher and keeps those `certain` or `probable`; the
//! reviewer sees both sides' members, never the score or band, and answers `same` or
//! `different`. `GET /v1/review/quality` combines both per band.

use std::collections::{HashMap, HashSet};

use bawaba_matching::{Band as MatchBand, prepare};
use bawaba_wire::desk::{BandQuality, DrawBody, Quality, SpotAnswerBody, SpotAnswered, SpotCheck, SpotChecks};
use bawaba_wire::households::KnownMember;
use rand::seq::SliceRandom;

use super::Services;
use super::audit::record;
use super::auth::{Principal, Role};
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::{new_id, now};
use super::records::stored_member;
use crate::store::desk::{self as store, SpotCheckRow};
use crate::store::queries;

/// Who draws and answers spot checks.
pub const CHECK: &[Role] = &[Role::Caseworker, Role::Auditor];
/// Who reads the quality estimate.
pub const READ: &[Role] = &[Role::Auditor, Role::Admin];
/// Who opens the auditor's page (`/ui/quality`): those who read the estimate or answer checks.
pub const PAGE: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Admin];

/// Records looked at, newest first, when drawing.
const POOL: i64 = 50_000;
/// Members of the rest of the household shown with a spot check.
const SHOWN: i64 = 50;

/// `POST /v1/review/spot-checks`: draws up to `size` automatic links not drawn before.
pub fn draw(s: &Services, who: &Principal, body: DrawBody) -> Result<SpotChecks, ServiceError> {
    who.require(CHECK)?;
    let size = body.size.unwrap_or(20);
    if !(1..=100).contains(&size) {
        return Err(ServiceError::field("size", "must be 1 to 100"));
    }
    let mut conn = s.conn()?;
    let scope = who.scope_codes();
    let mut pool = store::linked_records(&mut conn, scope.as_ref(), POOL)?;
    let drawn: HashSet<String> = store::spot_checked_records(&mut conn)?.into_iter().collect();
    let merged: HashSet<String> = store::live_batch_bodies(&mut conn)?
        .iter()
        .filter_map(|b| serde_json::from_str::<super::batch::BatchBody>(b).ok())
        .flat_map(|b| b.actions.into_iter().filter_map(|a| a.merge).flat_map(|m| m.records))
        .collect();
    pool.retain(|(r, _)| !drawn.contains(r) && !merged.contains(r));
    pool.shuffle(&mut rand::rng());
    let mut rows = Vec::new();
    let at = now();
    for (record_id, household_id) in pool.into_iter().take(size as usize * 10) {
        if rows.len() >= size as usize {
            break;
        }
        let Some((band, score)) = rescore(s, &mut conn, &record_id, &household_id)? else { continue };
        rows.push(SpotCheckRow {
            id: new_id(),
            record_id,
            household_id,
            band: band.to_owned(),
            score,
            drawn_at: at.clone(),
            drawn_by: who.key_id.clone().or_else(|| who.agency_id.clone()),
            answer: None,
            answered_at: None,
            answered_by: None,
        });
    }
    store::insert_spot_checks(&mut conn, &rows)?;
    show(s, who, &mut conn, rows)
}

/// The band and score of a record against the rest of its household, by the engine's
/// matcher; `None` unless `certain` or `probable`.
fn rescore(
    s: &Services,
    conn: &mut crate::store::DbConn,
    record_id: &str,
    household_id: &str,
) -> Result<Option<(&'static str, f64)>, ServiceError> {
    let prepared = |rows: Vec<crate::store::models::PersonRow>| -> Result<Vec<_>, ServiceError> {
        let mut out = Vec::with_capacity(rows.len());
        for p in rows {
            let row = s.vault.open_person(p)?;
            let m = super::index::member_of_row(&row);
            out.push(prepare(&super::index::person_input(&m)));
        }
        Ok(out)
    };
    let ours = prepared(queries::persons_of_record(conn, record_id)?)?;
    let (rest, _) = queries::members_of_household(conn, household_id, None, 200)?;
    let theirs = prepared(rest.into_iter().map(|(p, _)| p).filter(|p| p.record_id != record_id).collect())?;
    if ours.is_empty() || theirs.is_empty() {
        return Ok(None);
    }
    let state = s.engine.state.read();
    let found = s.engine.matcher.compare_households(&state.index, &ours, &theirs);
    Ok(found.and_then(|m| match m.band {
        MatchBand::Certain => Some(("certain", m.score)),
        MatchBand::Probable => Some(("probable", m.score)),
        _ => None,
    }))
}

/// Spot checks as the reviewer sees them: both sides' members, no score. Audited.
fn show(
    s: &Services,
    who: &Principal,
    conn: &mut crate::store::DbConn,
    rows: Vec<SpotCheckRow>,
) -> Result<SpotChecks, ServiceError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut codes: HashMap<String, String> = HashMap::new();
    for r in rows {
        let record_members = queries::persons_of_record(conn, &r.record_id)?
            .into_iter()
            .map(|p| stored_member(&s.vault, p))
            .collect::<Result<Vec<_>, _>>()?;
        let (rest, _) = queries::members_of_household(conn, &r.household_id, None, SHOWN + 50)?;
        let mut household_members = Vec::new();
        for (p, agency_id) in rest.into_iter().filter(|(p, _)| p.record_id != r.record_id).take(SHOWN as usize) {
            if !codes.contains_key(&agency_id) {
                let found = queries::agencies_by_ids(conn, std::slice::from_ref(&agency_id))?;
                codes.insert(agency_id.clone(), found.into_iter().next().map(|a| a.code).unwrap_or_default());
            }
            let record_id = p.record_id.clone();
            let mut member = stored_member(&s.vault, p)?;
            super::planning::hide_protection(&mut member.groups);
            household_members.push(KnownMember { agency: codes[&agency_id].clone(), record_id, member });
        }
        out.push(SpotCheck {
            spot_check_id: r.id,
            record_id: r.record_id,
            household_id: r.household_id,
            record_members,
            household_members,
            drawn_at: r.drawn_at,
        });
    }
    let households: Vec<&str> = out.iter().map(|c| c.household_id.as_str()).collect();
    record(s, who, "spot_check.view", None, Some(format!("checks={} households={}", out.len(), households.join(","))))?;
    Ok(SpotChecks { spot_checks: out })
}

/// `GET /v1/review/spot-checks`: those waiting for an answer (in the caller's scope).
pub fn open(s: &Services, who: &Principal) -> Result<SpotChecks, ServiceError> {
    open_first(s, who, 100).map(|(checks, _)| checks)
}

/// The first `shown` spot checks waiting for an answer in the caller's scope (only those are
/// shown and audited), and how many wait in all.
pub fn open_first(s: &Services, who: &Principal, shown: usize) -> Result<(SpotChecks, usize), ServiceError> {
    who.require(CHECK)?;
    let mut conn = s.conn()?;
    let mut rows = store::open_spot_checks(&mut conn, 100)?;
    if let Some(scope) = who.scope_codes() {
        let mut kept = Vec::with_capacity(rows.len());
        for r in rows {
            if queries::household_in_scope(&mut conn, &r.household_id, &scope)? {
                kept.push(r);
            }
        }
        rows = kept;
    }
    let waiting = rows.len();
    rows.truncate(shown);
    Ok((show(s, who, &mut conn, rows)?, waiting))
}

/// `POST /v1/review/spot-checks/{id}`: `same` or `different`, once.
pub fn answer(s: &Services, who: &Principal, id: &str, body: SpotAnswerBody) -> Result<SpotAnswered, ServiceError> {
    who.require(CHECK)?;
    let answer = body.answer.trim().to_owned();
    let problems = if answer == "same" || answer == "different" {
        vec![]
    } else {
        vec![FieldProblem::new("answer", "must be same or different")]
    };
    validated(problems, ())?;
    let mut conn = s.conn()?;
    let row = store::spot_check(&mut conn, id)?.ok_or(ServiceError::NotFound("spot check"))?;
    if let Some(scope) = who.scope_codes()
        && !queries::household_in_scope(&mut conn, &row.household_id, &scope)?
    {
        return Err(ServiceError::NotFound("spot check"));
    }
    if let Some(a) = &row.answer {
        return Err(ServiceError::Conflict(format!("this spot check was already answered ({a})")));
    }
    let at = now();
    let by = who.key_id.clone().or_else(|| who.agency_id.clone());
    store::answer_spot_check(&mut conn, id, &answer, &at, by.as_deref())?;
    record(s, who, "spot_check.answer", Some(id), Some(answer.clone()))?;
    Ok(SpotAnswered { spot_check_id: id.to_owned(), answer, answered_at: at })
}

/// A 95% Wilson interval of `right` of `n`.
pub fn wilson(right: u64, n: u64) -> Vec<f64> {
    if n == 0 {
        return vec![0.0, 1.0];
    }
    let (z, n, p) = (1.96_f64, n as f64, right as f64 / n as f64);
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt() / d;
    vec![round4((c - h).max(0.0)), round4((c + h).min(1.0))]
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// `GET /v1/review/quality`.
pub fn quality(s: &Services, who: &Principal) -> Result<Quality, ServiceError> {
    who.require(READ)?;
    let mut conn = s.conn()?;
    let decisions = store::household_decisions(&mut conn)?;
    let answers = store::spot_check_answers(&mut conn)?;
    let open = store::open_spot_checks(&mut conn, i64::MAX)?.len() as u64;
    let bands = ["certain", "probable", "possible"]
        .into_iter()
        .map(|band| {
            let count =
                |v: &[(String, String)], what: &str| v.iter().filter(|(b, x)| b == band && x == what).count() as u64;
            let (confirmed, dismissed) = (count(&decisions, "confirmed"), count(&decisions, "dismissed"));
            let (same, different) = (count(&answers, "same"), count(&answers, "different"));
            let ratio = |a: u64, b: u64| (a + b > 0).then(|| round4(a as f64 / (a + b) as f64));
            let (right, judged) = (confirmed + same, confirmed + dismissed + same + different);
            BandQuality {
                band: band.to_owned(),
                confirmed,
                dismissed,
                spot_checked_same: same,
                spot_checked_different: different,
                precision_from_decisions: ratio(confirmed, dismissed),
                precision_from_spot_checks: ratio(same, different),
                precision: round4((right as f64 + 1.0) / (judged as f64 + 2.0)),
                interval: wilson(right, judged),
                judged,
            }
        })
        .collect();
    record(s, who, "review.quality", None, None)?;
    Ok(Quality { bands, spot_checks_open: open })
}
