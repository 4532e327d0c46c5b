//! The review desk (API.md "The review desk and the family as one"): a flag side by side with
//! its score as a waterfall, decisions on many flags at once as one review batch (with a dry
//! run), the undo of a batch, and the queue's priority order.
//!
//! Every review, single (`review::review`) or in a batch, is kept as a review batch whose body
//! lists what it did, by id only: the review rows, the merge (the records it moved, the
//! households it redirected, the flags it raised) or the pair it kept apart. An undo reverses
//! exactly that, unless something later depends on it: the household the merge kept was merged
//! again, by a later batch or otherwise, the moved records left it, a flag changed since, or a
//! flag the merge raised was reviewed. Then it answers 409 naming what depends on it.
//! Batches and undos run on the intake writer, like single reviews; a batch is audited once.

use std::collections::HashMap;

use bawaba_wire::desk::{
    BatchReviewAnswer, BatchReviewBody, ComparisonRow, FlagDetail, FlagRestored, UndoAnswer, WaterfallStep,
};
use bawaba_wire::domain::EvidenceItem;
use bawaba_wire::records::StoredFlag;
use diesel::Connection;

use super::Services;
use super::audit::audit;
use super::auth::Principal;
use super::batch::{Action, BatchBody, MergeDone, follow, store_batch, verdict_str};
use super::domain::FlagStatus;
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::now;
use super::records::flag_for;
use super::review::ROLES;
use crate::store::desk as store;
use crate::store::queries;

/// The most flags one batch takes.
pub const BATCH_MAX: usize = 500;

/// A transaction's error: a service error, or a dry run rolled back on purpose.
enum TxError {
    Service(ServiceError),
    DryRun(Vec<Action>),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Service(e.into())
    }
}

impl From<ServiceError> for TxError {
    fn from(e: ServiceError) -> Self {
        TxError::Service(e)
    }
}

/// `POST /v1/flags/review`: one decision on many flags, as one batch (blocking; on the writer).
/// A dry run does everything in a transaction that is rolled back, so it says exactly what
/// would change.
pub fn review_batch(s: &Services, who: &Principal, body: BatchReviewBody) -> Result<BatchReviewAnswer, ServiceError> {
    who.require(ROLES)?;
    let BatchReviewBody { flags, decision, note, dry_run } = body;
    let mut problems = Vec::new();
    if flags.is_empty() {
        problems.push(FieldProblem::new("flags", "must list at least one flag"));
    }
    if flags.len() > BATCH_MAX {
        problems.push(FieldProblem::new("flags", format!("must list at most {BATCH_MAX} flags")));
    }
    let mut ids: Vec<String> = Vec::with_capacity(flags.len());
    for (i, f) in flags.iter().enumerate() {
        if f.trim().is_empty() || f.len() > 64 {
            problems.push(FieldProblem::new(format!("flags[{i}]"), "is not a flag id"));
        } else if ids.contains(f) {
            problems.push(FieldProblem::new(format!("flags[{i}]"), "is listed twice"));
        } else {
            ids.push(f.clone());
        }
    }
    if note.chars().count() > 2000 || note.chars().any(|c| c.is_control() && c != '\n') {
        problems.push(FieldProblem::new("note", "must be at most 2000 characters, with no control characters"));
    }
    validated(problems, ())?;
    let who = who.clone();
    let vault = s.vault.clone();
    s.intake.exclusive(move |conn, engine, policy| {
        let done = conn.transaction::<_, TxError, _>(|c| {
            crate::store::lock_for_write(c)?;
            let scope = who.scope_codes();
            let mut rows = Vec::with_capacity(ids.len());
            let mut missing = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let row = queries::flag(c, id)?;
                let visible = match (&row, &scope) {
                    (Some(r), Some(scope)) => queries::household_in_scope(c, &r.household_id, scope)?,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                match row {
                    Some(r) if visible => rows.push(r),
                    _ => missing.push(FieldProblem::new(format!("flags[{i}]"), "is not a flag you may review")),
                }
            }
            validated(missing, ())?;
            let reviewed: Vec<String> = rows
                .iter()
                .filter(|r| FlagStatus::parse(&r.status) != Some(FlagStatus::Open))
                .map(|r| format!("{} ({})", r.id, r.status))
                .collect();
            if !reviewed.is_empty() {
                return Err(ServiceError::Conflict(format!("already reviewed: {}", reviewed.join(", "))).into());
            }
            let mut actions = Vec::with_capacity(rows.len());
            for row in rows {
                // A merge earlier in the batch may have moved this flag's households.
                let row = queries::flag(c, &row.id)?.ok_or(ServiceError::NotFound("flag"))?;
                actions.push(super::review::decide(c, engine, policy, &vault, &who, row, decision, &note)?);
            }
            if dry_run {
                return Err(TxError::DryRun(actions));
            }
            let batch_id = store_batch(c, &who, decision, &actions)?;
            let flags: Vec<&str> = actions.iter().map(|a| a.flag_id.as_str()).collect();
            audit(
                c,
                &who,
                "review.batch",
                Some(&batch_id),
                Some(format!("decision={} flags={}", verdict_str(decision), flags.join(","))),
            )?;
            Ok((batch_id, actions))
        });
        match done {
            Ok((batch_id, actions)) => {
                follow(engine, &actions);
                Ok(BatchReviewAnswer {
                    batch_id: Some(batch_id),
                    dry_run: false,
                    decision,
                    changes: actions.iter().map(Action::change).collect(),
                })
            }
            Err(TxError::DryRun(actions)) => Ok(BatchReviewAnswer {
                batch_id: None,
                dry_run: true,
                decision,
                changes: actions.iter().map(Action::change).collect(),
            }),
            Err(TxError::Service(e)) => Err(e),
        }
    })
}

/// `POST /v1/reviews/{batch_id}/undo` (blocking; on the writer).
pub fn undo(s: &Services, who: &Principal, batch_id: String) -> Result<UndoAnswer, ServiceError> {
    who.require(ROLES)?;
    if batch_id.len() > 64 {
        return Err(ServiceError::NotFound("review batch"));
    }
    let who = who.clone();
    let vault = s.vault.clone();
    s.intake.exclusive(move |conn, engine, _| {
        let at = now();
        let done = conn.transaction::<_, ServiceError, _>(|c| {
            crate::store::lock_for_write(c)?;
            let batch = store::batch(c, &batch_id)?.ok_or(ServiceError::NotFound("review batch"))?;
            let body: BatchBody = serde_json::from_str(&batch.body)
                .map_err(|e| ServiceError::Internal(format!("review batch {}: {e}", batch.id)))?;
            // A batch with a flag outside the caller's scope is not there for them.
            if let Some(scope) = who.scope_codes() {
                for a in &body.actions {
                    let Some(f) = queries::flag(c, &a.flag_id)? else { continue };
                    if !queries::household_in_scope(c, &f.household_id, &scope)? {
                        return Err(ServiceError::NotFound("review batch"));
                    }
                }
            }
            if let Some(when) = &batch.undone_at {
                return Err(ServiceError::Conflict(format!("review batch {} was already undone at {when}", batch.id)));
            }
            let later = store::batches_after(c, &batch)?;
            let later: Vec<(String, BatchBody)> = later
                .into_iter()
                .filter_map(|b| serde_json::from_str::<BatchBody>(&b.body).ok().map(|body| (b.id, body)))
                .collect();
            let mut out = Vec::with_capacity(body.actions.len());
            let mut splits: Vec<(MergeDone, Vec<crate::store::models::PersonRow>, i64)> = Vec::new();
            let mut lifted: Vec<(String, String)> = Vec::new();
            for a in body.actions.iter().rev() {
                let flag = queries::flag(c, &a.flag_id)?.ok_or(ServiceError::NotFound("flag"))?;
                if flag.status != a.status_after {
                    return Err(ServiceError::Conflict(format!(
                        "flag {} is {} now, not {} as this batch left it",
                        a.flag_id, flag.status, a.status_after
                    )));
                }
                let mut restored = FlagRestored {
                    flag_id: a.flag_id.clone(),
                    status: FlagStatus::Open.as_str().to_owned(),
                    split_out: None,
                    split_from: None,
                    lifted: Vec::new(),
                    superseded: Vec::new(),
                };
                if let Some(m) = &a.merge {
                    if let Some(t) = store::merged_target(c, &m.into)? {
                        let by = later.iter().find(|(_, b)| {
                            b.actions.iter().any(|x| x.merge.as_ref().is_some_and(|y| y.from == m.into))
                        });
                        return Err(ServiceError::Conflict(match by {
                            Some((id, _)) => format!(
                                "review batch {id} merged household {} into {t} since; undo that batch first",
                                m.into
                            ),
                            None => format!("household {} was merged into {t} since", m.into),
                        }));
                    }
                    if let Some((id, _)) = later.iter().find(|(_, b)| {
                        b.actions.iter().any(|x| x.merge.as_ref().is_some_and(|y| y.into == m.into || y.from == m.from))
                    }) {
                        return Err(ServiceError::Conflict(format!(
                            "review batch {id} merged another household into {} since; undo that batch first",
                            m.into
                        )));
                    }
                    if store::records_in(c, &m.records, &m.into)? != m.records.len() as i64 {
                        return Err(ServiceError::Conflict(format!(
                            "records the merge moved into household {} have left it since (a split)",
                            m.into
                        )));
                    }
                    for nf in &a.new_flags {
                        if let Some(f) = queries::flag(c, nf)?
                            && FlagStatus::parse(&f.status) != Some(FlagStatus::Open)
                        {
                            return Err(ServiceError::Conflict(format!(
                                "flag {nf}, raised by the merge, was {} since",
                                f.status
                            )));
                        }
                    }
                    queries::move_records(c, &m.records, &m.from)?;
                    store::set_merged_into(c, std::slice::from_ref(&m.from), None)?;
                    store::set_merged_into(c, &m.redirected, Some(&m.from))?;
                    queries::set_flags_status(c, &a.new_flags, FlagStatus::Superseded.as_str())?;
                    let persons = queries::persons_of_records(c, &m.records)?;
                    let seq = queries::household(c, &m.from)?.map(|h| h.seq).unwrap_or_default();
                    splits.push((m.clone(), persons, seq));
                    restored.split_out = Some(m.from.clone());
                    restored.split_from = Some(m.into.clone());
                    restored.superseded = a.new_flags.clone();
                }
                if let Some((x, y)) = &a.kept_apart {
                    store::delete_dismissed_pair(c, x, y)?;
                    lifted.push((x.clone(), y.clone()));
                    restored.lifted = vec![x.clone(), y.clone()];
                }
                queries::set_flag_status(c, &a.flag_id, FlagStatus::Open.as_str())?;
                out.push(restored);
            }
            store::mark_undone(c, &batch.id, &at)?;
            audit(c, &who, "review.undo", Some(&batch.id), Some(format!("flags={}", out.len())))?;
            Ok((out, splits, lifted))
        })?;
        let (mut flags, splits, lifted) = done;
        flags.reverse();
        // The engine follows: each household split back out with its members and aid, each
        // pair that may be linked again.
        let mut prepared = Vec::new();
        for (m, persons, seq) in splits {
            let mut ps = Vec::with_capacity(persons.len());
            for p in persons {
                let row = vault.open_person(p)?;
                let member = super::index::member_of_row(&row);
                ps.push((row.id as u64, bawaba_matching::prepare(&super::index::person_input(&member))));
            }
            prepared.push((m, ps, seq));
        }
        let mut state = engine.state.write();
        for (m, ps, seq) in prepared {
            state.unmerge(&m.from);
            let from = match state.seq(&m.from) {
                Some(f) => f,
                None => {
                    state.add_household(&m.from, seq as u64);
                    seq as u64
                }
            };
            for (pid, p) in ps {
                state.index.insert(pid, from, p);
            }
            if let Some(into) = state.seq(&m.into) {
                state.move_aid(into, from, &m.records);
            }
        }
        for (x, y) in lifted {
            if let (Some(x), Some(y)) = (state.seq(&x), state.seq(&y)) {
                state.undismiss(x, y);
            }
        }
        Ok(UndoAnswer { batch_id, undone_at: at, flags })
    })
}

/// `GET /v1/flags/{flag_id}`: the flag, its paired members field by field, and its score as a
/// waterfall. Audited as `flag.view`; outside the caller's scope a flag is not there.
pub fn flag_detail(s: &Services, who: &Principal, id: &str) -> Result<FlagDetail, ServiceError> {
    who.require(ROLES)?;
    if id.len() > 64 {
        return Err(ServiceError::NotFound("flag"));
    }
    let mut conn = s.conn()?;
    let row = queries::flag(&mut conn, id)?.ok_or(ServiceError::NotFound("flag"))?;
    if let Some(scope) = who.scope_codes()
        && !queries::household_in_scope(&mut conn, &row.household_id, &scope)?
    {
        return Err(ServiceError::NotFound("flag"));
    }
    super::audit::record(s, who, "flag.view", Some(id), Some(format!("household={}", row.household_id)))?;
    let flag = flag_for(&s.vault, who, row)?;
    let cfg = &s.engine.matcher.config;
    let households = s.engine.state.read().index.households();
    let prior = cfg.population_prior(households);
    let prior = (prior / (1.0 - prior)).log2();
    Ok(FlagDetail { comparison: comparison(&flag.evidence), waterfall: waterfall(cfg, prior, &flag), flag })
}

/// Whether a compared field agrees: `None` when one side does not say.
fn agrees(e: &EvidenceItem) -> Option<bool> {
    match e.level.as_str() {
        "missing" | "unknown" => None,
        "different" | "disagree" | "mismatch" => Some(false),
        _ if e.weight > 0.0 => Some(true),
        _ if e.weight < 0.0 => Some(false),
        "exact" | "same" | "agree" => Some(true),
        _ => None,
    }
}

/// The paired members field by field, in the evidence's order (strongest pair first).
pub fn comparison(evidence: &[EvidenceItem]) -> Vec<ComparisonRow> {
    evidence
        .iter()
        .map(|e| ComparisonRow {
            field: e.field.clone(),
            ours: e.ours.clone(),
            theirs: e.theirs.clone(),
            agrees: agrees(e),
            level: e.level.clone(),
        })
        .collect()
}

/// The member an evidence field belongs to (`members[0]` of `members[0].name.first`).
fn member_of(field: &str) -> &str {
    field.split('.').next().unwrap_or(field)
}

/// Milli-bits: the waterfall is summed in integers so that its steps add up exactly.
fn mb(x: f64) -> i64 {
    (x.clamp(-1.0e6, 1.0e6) * 1000.0).round() as i64
}

/// The score as a waterfall: the prior, each field's weight (a name as its parts, each with its
/// frequency adjustment), `household` (what the household rules add: further pairs at a
/// fraction, caps, penalties; and any change of the prior since the flag was raised), and the
/// total, whose weight is the sum of the steps before it and whose probability is the score.
pub fn waterfall(cfg: &bawaba_matching::MatchConfig, prior: f64, flag: &StoredFlag) -> Vec<WaterfallStep> {
    let mut steps: Vec<(String, i64, Option<f64>)> = vec![("prior".to_owned(), mb(prior), None)];
    // Members whose name is given by parts (then the name's summary line, their sum, is left
    // out) and members linked by lineage (then its summary line is the pair's whole weight).
    let mut parts: HashMap<&str, bool> = HashMap::new();
    let mut lineage: HashMap<&str, bool> = HashMap::new();
    for e in &flag.evidence {
        let m = member_of(&e.field);
        if e.field.starts_with(&format!("{m}.name.")) {
            parts.insert(m, true);
        }
        if e.field == format!("{m}.name") && (e.level == "father_of_theirs" || e.level == "child_of_theirs") {
            lineage.insert(m, true);
        }
    }
    for e in &flag.evidence {
        let m = member_of(&e.field);
        let summary = e.field == format!("{m}.name");
        if lineage.contains_key(m) {
            if summary {
                steps.push((e.field.clone(), mb(e.weight), None));
            }
            continue;
        }
        if summary && parts.contains_key(m) {
            continue;
        }
        if e.field == "review" {
            continue;
        }
        steps.push((e.field.clone(), mb(e.weight), tf_adjustment(cfg, &e.field, &e.level, e.weight)));
    }
    let p = flag.score.clamp(1e-18, 1.0 - 1e-18);
    let total = mb((p / (1.0 - p)).log2().clamp(-60.0, 60.0));
    let sum: i64 = steps.iter().map(|s| s.1).sum();
    steps.push(("household".to_owned(), total - sum, None));
    let mut out: Vec<WaterfallStep> = steps
        .into_iter()
        .map(|(step, w, tf)| WaterfallStep { step, weight: w as f64 / 1000.0, tf_adjustment: tf, probability: None })
        .collect();
    out.push(WaterfallStep {
        step: "total".to_owned(),
        weight: total as f64 / 1000.0,
        tf_adjustment: None,
        probability: Some(flag.score),
    });
    out
}

/// For a name part that agreed exactly or as a variant: the weight minus the weight the model
/// gives that level for an average name (its default u), i.e. what the name's frequency here
/// added or took away. Rounded to milli-bits.
fn tf_adjustment(cfg: &bawaba_matching::MatchConfig, field: &str, level: &str, weight: f64) -> Option<f64> {
    let li = match level {
        "exact" => 0,
        "transliteration" | "spelling_variant" => 1,
        _ => return None,
    };
    let part = field.rsplit('.').next()?;
    let (m, u) = match part {
        "first" => (cfg.m.first_name[li], cfg.u.first_name[li]),
        "father" => (cfg.m.father_name[li], cfg.u.father_name[li]),
        "grandfather" => (cfg.m.grandfather_name[li], cfg.u.grandfather_name[li]),
        "family" => (cfg.m.family_name[li], cfg.u.family_name[li]),
        _ => return None,
    };
    let base = (m.max(1e-9) / u.max(1e-12)).log2();
    Some(mb(weight - base) as f64 / 1000.0)
}
