//! Offline deduplication of a file (`bawaba dedup`, API.md "Offline deduplication of a file"):
//! an agency's whole list taken as if its records were posted one by one, in file order, on
//! one machine with no server and no database.
//!
//! It is intake without the store: each record is validated and prepared as intake does
//! (`validate::record`, the built-in gazetteer), matched and planned by the same `plan`, under
//! the same overlap policy, and added to an in-memory engine by the same `order::apply`; the
//! run is taken in chunks matched in parallel and then in order (`intake::order`), as the
//! writer takes a group. Validation reads no engine, so the next records are validated on one
//! core while a chunk is taken in order on the other (taking is serial: the second core would
//! otherwise wait). So it gives the households and flags that posting the file would (a test
//! compares them). A record whose agency and external_id came earlier in the file is
//! answered as intake would answer it: the same body is a replay (the first answer again), a
//! different one a conflict.

use std::collections::HashMap;

use bawaba_matching::{MatchConfig, Matcher};
use bawaba_places::Gazetteer;
use bawaba_wire::records::RecordBody;
use rayon::prelude::*;
use serde::Serialize;

use super::domain::{Band, Decision, FlagKind};
use super::error::{FieldProblem, ServiceError};
use super::index::Engine;
use super::intake::order::{self, Run, Staged};
use super::intake::{AgencyRef, Item, plan_without_evidence};
use super::policy::OverlapPolicy;
use super::validate;

/// Records matched in parallel before they are taken in order.
const CHUNK: usize = 512;

/// One record of the file: the agency that would post it and its body.
#[derive(Debug, Clone)]
pub struct Input {
    pub agency: String,
    pub body: RecordBody,
}

/// What became of one input record: one line of the output, in input order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub agency: String,
    pub external_id: String,
    /// The household the record joined or made (`h` and a number, stable within one run);
    /// absent when the record was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub household_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    pub flags: Vec<LineFlag>,
    /// Why the record was refused (what intake would answer with 400 or 409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<LineError>,
}

/// A flag of one record, naming the other side by agency and external_id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineFlag {
    pub kind: FlagKind,
    pub band: Band,
    pub score: f64,
    pub matched_household_id: String,
    /// For an overlap, the agency whose record it overlaps (its latest, of
    /// `matched_records`); for a possible household, the agency of its latest record.
    pub matched_agency: Option<String>,
    pub matched_external_id: Option<String>,
    /// For an overlap, how many of that agency's records in the household it overlaps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_records: Option<u32>,
}

/// A refusal: the stable code and, for a validation error, each field's problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineError {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<FieldProblem>,
}

impl From<&ServiceError> for LineError {
    fn from(e: &ServiceError) -> Self {
        LineError { code: e.code(), message: e.to_string(), problems: e.problems().to_vec() }
    }
}

/// What the run found, for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub records: usize,
    pub refused: usize,
    pub households: usize,
    pub unique: usize,
    pub possible_duplicate: usize,
    pub duplicate: usize,
}

impl Totals {
    /// Counts the lines.
    pub fn of(lines: &[Line]) -> Totals {
        let mut t = Totals { records: lines.len(), ..Totals::default() };
        let mut households = std::collections::HashSet::new();
        for l in lines {
            match l.decision {
                Some(Decision::Unique) => t.unique += 1,
                Some(Decision::PossibleDuplicate) => t.possible_duplicate += 1,
                Some(Decision::Duplicate) => t.duplicate += 1,
                None => t.refused += 1,
            }
            if let Some(h) = &l.household_id {
                households.insert(h.as_str());
            }
        }
        t.households = households.len();
        t
    }
}

/// Deduplicates `inputs` in order with the matching configuration and overlap policy given;
/// `progress` is told how many records were taken so far. Never fails as a whole: a record
/// that cannot be taken gets a line with its error.
///
/// Memory: the inputs are consumed as they are validated, a chunk at a time (each input's
/// strings freed once its record is taken); what stays for the whole run is the engine,
/// each record's agency and external_id (to name the other side of a flag) and the lines.
pub fn run(
    config: MatchConfig,
    policy: &OverlapPolicy,
    inputs: Vec<Input>,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Line> {
    let places = Gazetteer::builtin();
    let agencies: Vec<String> = inputs.iter().map(|i| i.agency.trim().to_uppercase()).collect();
    let external_ids: Vec<String> = inputs.iter().map(|i| i.body.external_id.trim().to_owned()).collect();
    let engine = Engine::empty(Matcher::new(config));
    {
        let mut state = engine.state.write();
        // Grown once for the persons (each record's members); households, fewer than records
        // in a list worth deduplicating, start at half the records and may grow once more.
        let persons = inputs.iter().map(|i| i.body.members.len()).sum();
        state.reserve(persons, inputs.len() / 2);
        for code in &agencies {
            // Offline an agency's code is its id too.
            state.agency_slot(Some(code), code);
        }
    }
    let guard = order::guard(&engine.matcher);
    let mut lines: Vec<Option<Line>> = vec![None; agencies.len()];
    // The first record of each agency and external_id, with its body hash: a later one with the
    // same body is a replay of its answer, with another a conflict (file order only).
    let mut first: HashMap<(&str, &str), (usize, String)> = HashMap::new();
    let mut replays: Vec<(usize, usize)> = Vec::new();
    let mut next_household = 0u64;
    let mut next_person = 0u64;
    let mut taken = 0usize;
    // The run's index, emptied (its allocations kept) for each chunk.
    let mut run = Run::default();
    // Valid first records waiting to be taken, in order; taken CHUNK at a time (the chunks, so
    // the answers, do not depend on how many records are validated at once).
    let mut pending: std::collections::VecDeque<(usize, Item)> = std::collections::VecDeque::new();
    let mut inputs = inputs.into_iter().enumerate();
    let mut exhausted = false;
    // The next records validated in parallel (validation reads no engine).
    let validate =
        |inputs: &mut std::iter::Enumerate<std::vec::IntoIter<Input>>| -> Vec<(usize, Result<Item, ServiceError>)> {
            let batch: Vec<(usize, Input)> = inputs.by_ref().take(CHUNK).collect();
            batch.into_par_iter().map(|(n, i)| (n, validate::record(i.body, &places))).collect()
        };
    // Items taken are freed on another thread, a chunk at a time: off the one that takes.
    let (spent, freed) = crossbeam_channel::unbounded::<Vec<Item>>();
    let freeing = std::thread::spawn(move || freed.into_iter().for_each(drop));
    // A validated record becomes a line (refused), a replay of an earlier one, or pending.
    let mut sort = |items: Vec<(usize, Result<Item, ServiceError>)>,
                    pending: &mut std::collections::VecDeque<(usize, Item)>,
                    lines: &mut Vec<Option<Line>>| {
        for (n, item) in items {
            match item {
                Err(e) => lines[n] = Some(refused(&agencies[n], &external_ids[n], Some(&e))),
                Ok(item) => match first.get(&(agencies[n].as_str(), external_ids[n].as_str())) {
                    None => {
                        first.insert((&agencies[n], &external_ids[n]), (n, item.body_hash.clone()));
                        pending.push_back((n, item));
                    }
                    Some((m, hash)) if *hash == item.body_hash => replays.push((n, *m)),
                    Some(_) => {
                        let e = ServiceError::Conflict(format!(
                            "external_id `{}` was already used by this agency with another body",
                            external_ids[n]
                        ));
                        lines[n] = Some(refused(&agencies[n], &external_ids[n], Some(&e)));
                    }
                },
            }
        }
    };
    loop {
        // A whole chunk, unless the file has no more.
        while pending.len() < CHUNK && !exhausted {
            let items = validate(&mut inputs);
            exhausted = items.is_empty();
            sort(items, &mut pending, &mut lines);
        }
        if pending.is_empty() {
            break;
        }
        let chunk: Vec<(usize, Item)> = pending.drain(..pending.len().min(CHUNK)).collect();
        // Matched on both cores against the index as it stands.
        let prematched = order::prematch_brief(&engine, chunk);
        // Then taken in order on one core while the other validates the next records: taking
        // is serial, so this keeps both busy (validation would otherwise run while the chunk is
        // matched, and leave a core idle while it is taken).
        let take = || {
            // The guard looks only at what the index did not hold when the chunk was matched.
            run.restart();
            let mut used = Vec::with_capacity(CHUNK);
            for (n, item, pre) in prematched {
                let pre = run.fresh(&guard, &item, pre);
                let agency = AgencyRef { id: agencies[n].clone(), code: agencies[n].clone() };
                let plan = plan_without_evidence(&engine, policy, &agency.id, &item, pre);
                let (household_seq, new_household) = match plan.target {
                    Some((_, seq)) => (seq, None),
                    None => {
                        let seq = next_household;
                        next_household += 1;
                        (seq, Some(household_name(seq)))
                    }
                };
                let person_ids: Vec<u64> = (0..item.prepared.len() as u64).map(|i| next_person + i).collect();
                next_person += person_ids.len() as u64;
                let decision = Decision::from_flags(&plan.flags);
                let flags = plan.flags.iter().map(|f| line_flag(&engine, f, &agencies, &external_ids)).collect();
                run.note(&person_ids, household_seq, &item);
                let staged = Staged { household_seq, new_household, person_ids, record_id: n.to_string() };
                order::apply(&engine, staged, &agency, &item, None);
                lines[n] = Some(Line {
                    agency: agencies[n].clone(),
                    external_id: external_ids[n].clone(),
                    household_id: Some(household_name(household_seq)),
                    decision: Some(decision),
                    flags,
                    error: None,
                });
                used.push(item);
                taken += 1;
            }
            // Dropped here if the freeing thread is gone (it goes only when `spent` does).
            let _ = spent.send(used);
            progress(taken);
        };
        let next = || if exhausted { Vec::new() } else { validate(&mut inputs) };
        let ((), items) = rayon::join(take, next);
        exhausted |= items.is_empty();
        sort(items, &mut pending, &mut lines);
    }
    drop(spent);
    let _ = freeing.join();
    // The engine is of no more use: let it go on another thread while the lines are made.
    std::thread::spawn(move || drop(engine));
    for (n, m) in replays {
        lines[n] = lines[m].clone();
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(n, l)| l.unwrap_or_else(|| refused(&agencies[n], &external_ids[n], None)))
        .collect()
}

/// The CSV output's columns.
pub const CSV_HEADER: [&str; 8] =
    ["agency", "external_id", "household_id", "decision", "flags", "matches", "error", "problems"];

/// One line as a CSV row (see [`CSV_HEADER`]): the flags as their count and, in `matches`, one
/// `kind band score agency/external_id` per flag, separated by `; `; every cell defused so a
/// spreadsheet never runs it as a formula.
pub fn csv_row(l: &Line) -> [String; 8] {
    let matches = l
        .flags
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}/{}",
                f.kind.as_str(),
                f.band.as_str(),
                f.score,
                f.matched_agency.as_deref().unwrap_or("-"),
                f.matched_external_id.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let problems = l.error.as_ref().map_or(String::new(), |e| {
        e.problems.iter().map(|p| format!("{}: {}", p.field, p.problem)).collect::<Vec<_>>().join("; ")
    });
    [
        l.agency.clone(),
        l.external_id.clone(),
        l.household_id.clone().unwrap_or_default(),
        l.decision.map(|d| d.as_str().to_owned()).unwrap_or_default(),
        l.flags.len().to_string(),
        matches,
        l.error.as_ref().map(|e| e.code.to_owned()).unwrap_or_default(),
        problems,
    ]
    .map(|c| super::reports::defuse(&c).into_owned())
}

/// The line of a record refused before it could be taken (a line of the file that is not a
/// record): what intake would answer.
pub fn refused_line(agency: &str, external_id: &str, error: &ServiceError) -> Line {
    refused(agency, external_id, Some(error))
}

/// A household's name in the output.
fn household_name(seq: u64) -> String {
    format!("h{}", seq + 1)
}

/// A refused record's line.
fn refused(agency: &str, external_id: &str, error: Option<&ServiceError>) -> Line {
    let fallback = ServiceError::Internal("the record could not be taken".into());
    Line {
        agency: agency.to_owned(),
        external_id: external_id.to_owned(),
        household_id: None,
        decision: None,
        flags: Vec::new(),
        error: Some(LineError::from(error.unwrap_or(&fallback))),
    }
}

/// A plan's flag as a line names it: the other record by agency and external_id.
fn line_flag(engine: &Engine, f: &super::domain::FlagOut, agencies: &[String], external_ids: &[String]) -> LineFlag {
    let record = f.matched_record_id.as_deref().and_then(|r| r.parse::<usize>().ok()).or_else(|| {
        // A possible household: name its latest record.
        let state = engine.state.read();
        let seq = state.seq(&f.matched_household_id)?;
        state.aid_of(seq).iter().max_by_key(|a| a.order).and_then(|a| a.record_id.parse().ok())
    });
    LineFlag {
        kind: f.kind,
        band: f.band,
        score: f.score,
        matched_household_id: f.matched_household_id.clone(),
        matched_agency: record.map(|r| agencies[r].clone()),
        matched_external_id: record.map(|r| external_ids[r].clone()),
        matched_records: f.matched_records,
    }
}
