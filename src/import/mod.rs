//! `bawaba import FILE --agency CODE`: a CSV or spreadsheet file of households, as agencies
//! keep them, posted to a running gateway in batches.
//!
//! The import is a client of the gateway over HTTP, never a second writer on its database: the
//! gateway's match index is kept by its own writer alone. It checks first (`GET /v1/whoami`)
//! that the key is the submitter key of the agency named, then posts `POST /v1/records/batch`
//! and reads each item's result. Re-running a file is safe: a record posted again with the same
//! body is a replay, stored once. Rows that cannot be made into a record, and records the
//! gateway refuses, go to an error file (CSV: row, external_id, field, problem) with the row
//! numbers of the file. Errors here are `anyhow`: this is the command line's edge.

pub mod client;
pub mod mapping;
pub mod table;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use bawaba_wire::domain::Decision;
use client::{Gateway, ItemError};
use mapping::{Field, MapRule, Mapping, Pending, RowProblem};

/// `bawaba import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The file: CSV (UTF-8, or Windows-1256; comma, semicolon or tab) or a spreadsheet (XLSX,
    /// XLS, ODS). One row per household member; rows with the same external_id are one record.
    pub file: PathBuf,
    /// The agency whose records these are; the key must be its submitter key.
    #[arg(long, value_name = "CODE")]
    pub agency: String,
    /// The gateway's address.
    #[arg(long, env = "BAWABA_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The agency's submitter key.
    #[arg(long, env = "BAWABA_KEY", hide_env_values = true)]
    pub key: String,
    /// Take a column for a field, e.g. `--map "Beneficiary Name=name"`; `HEADER=-` ignores a
    /// column. Repeat for more. Fields: external_id, type, program, amount, currency,
    /// period_start, period_end, governorate, locality, role, name, national_id,
    /// date_of_birth, sex, phone.
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub map: Vec<MapRule>,
    /// Where to write the rows that were not imported [default: FILE with the extension
    /// `.errors.csv`].
    #[arg(long, value_name = "PATH")]
    pub errors: Option<PathBuf>,
    /// Records per request.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch_size: u32,
    /// The sheet of a spreadsheet to read [default: the first].
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Draw no progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

impl ImportArgs {
    /// The error file's path.
    pub fn errors_path(&self) -> PathBuf {
        self.errors.clone().unwrap_or_else(|| self.file.with_extension("errors.csv"))
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub file: PathBuf,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// Records the rows formed.
    pub records: usize,
    /// Records stored by this run.
    pub created: usize,
    /// Records the gateway already had with the same body.
    pub replayed: usize,
    /// Stored or replayed records whose decision is `duplicate` or `possible_duplicate`.
    pub flagged: usize,
    /// Records not imported: a row could not be converted, or the gateway refused them.
    pub failed: usize,
    /// Rows that belong to no record (no external_id).
    pub orphan_rows: usize,
    /// Columns no field takes.
    pub unknown_columns: Vec<String>,
    /// Lines written to the error file.
    pub error_lines: usize,
    pub errors_path: PathBuf,
    pub elapsed: Duration,
}

impl Summary {
    /// True when every row was imported.
    pub fn is_clean(&self) -> bool {
        self.failed == 0 && self.orphan_rows == 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} rows, {} records in {:.1} s",
            self.file.display(),
            self.rows,
            self.records,
            self.elapsed.as_secs_f64()
        )?;
        writeln!(f, "  created   {:>8}", self.created)?;
        writeln!(f, "  replayed  {:>8}  (already stored)", self.replayed)?;
        writeln!(f, "  flagged   {:>8}  (duplicate or possible_duplicate)", self.flagged)?;
        writeln!(f, "  failed    {:>8}", self.failed)?;
        if self.orphan_rows > 0 {
            writeln!(f, "  rows without external_id {:>8}", self.orphan_rows)?;
        }
        if self.error_lines > 0 {
            write!(f, "errors: {} line(s) in {}", self.error_lines, self.errors_path.display())
        } else {
            write!(f, "errors: none")
        }
    }
}

/// The command: imports, prints the summary, and fails when some rows were not imported.
pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    let summary = import(&args)?;
    println!("{summary}");
    if !summary.is_clean() {
        bail!(
            "{} record(s) and {} row(s) without external_id were not imported: see {}; fix them \
             and run the same command again (records already stored are replayed, not stored twice)",
            summary.failed,
            summary.orphan_rows,
            summary.errors_path.display()
        );
    }
    Ok(())
}

/// Imports a file and says what happened. The error file is written (header only when there is
/// nothing to say) even when the import stops half-way.
pub fn import(args: &ImportArgs) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let known = |headers: &[String]| {
        let hits = headers
            .iter()
            .filter(|h| {
                let k = mapping::normalize_header(h);
                !k.is_empty()
                    && (Field::parse(h).is_some() || args.map.iter().any(|r| mapping::normalize_header(&r.header) == k))
            })
            .count();
        hits >= 2
    };
    let table = table::read(&args.file, args.sheet.as_deref(), &known)?;
    for note in &table.notes {
        eprintln!("note: {note}");
    }
    let map = Mapping::new(&table.headers, &args.map)?;
    if !map.unknown.is_empty() {
        eprintln!(
            "warning: ignoring column(s) {} (use --map HEADER=FIELD to take one, HEADER=- to silence this)",
            map.unknown.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ")
        );
    }
    let gateway = Gateway::new(&args.url, &args.key);
    let who = gateway.whoami().with_context(|| format!("checking the key with {}", args.url))?;
    if who.role != "submitter" {
        bail!("the key is a {} key; importing needs the submitter key of {}", who.role, args.agency);
    }
    match &who.agency {
        Some(a) if a.eq_ignore_ascii_case(args.agency.trim()) => {}
        Some(a) => bail!("the key belongs to agency {a}, not {}: refusing to import", args.agency),
        None => bail!("the key belongs to no agency: refusing to import"),
    }

    let converted = mapping::convert(&table.rows, &map);
    let mut summary = Summary {
        file: args.file.clone(),
        rows: table.rows.len(),
        records: converted.records.len() + converted.failed_records,
        failed: converted.failed_records,
        orphan_rows: converted.orphan_rows,
        unknown_columns: map.unknown.clone(),
        errors_path: args.errors_path(),
        ..Summary::default()
    };
    let mut problems = converted.problems;
    let sent = post_all(&gateway, &converted.records, args, &map, &mut summary, &mut problems);
    problems.sort_by_key(|p| p.row);
    summary.error_lines = problems.len();
    let written = write_errors(&summary.errors_path, &problems);
    summary.elapsed = started.elapsed();
    sent?;
    written?;
    Ok(summary)
}

/// Posts the records in batches, counting outcomes and noting refusals.
fn post_all(
    gateway: &Gateway,
    records: &[Pending],
    args: &ImportArgs,
    map: &Mapping,
    summary: &mut Summary,
    problems: &mut Vec<RowProblem>,
) -> anyhow::Result<()> {
    let bar = if args.no_progress { ProgressBar::hidden() } else { ProgressBar::new(records.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{wide_bar}] {pos}/{len} records, {eta} left, {msg}")?
            .progress_chars("=> "),
    );
    let size = args.batch_size.max(1) as usize;
    let mut done = 0;
    for chunk in records.chunks(size) {
        let bodies: Vec<_> = chunk.iter().map(|p| &p.body).collect();
        let results = match gateway.post_batch(&bodies) {
            Ok(r) => r,
            Err(e) => {
                bar.abandon();
                return Err(e.context(format!(
                    "stopped after {done} of {} records; run the same command again to go on \
                     (records already stored are replayed, not stored twice)",
                    records.len()
                )));
            }
        };
        for (pending, result) in chunk.iter().zip(results) {
            if let Some(err) = result.error {
                summary.failed += 1;
                problems.extend(refusal(pending, &err, map));
                continue;
            }
            if result.replayed {
                summary.replayed += 1;
            } else if result.record_id.is_some() {
                summary.created += 1;
            }
            if matches!(result.decision, Some(Decision::Duplicate | Decision::PossibleDuplicate)) {
                summary.flagged += 1;
            }
        }
        done += chunk.len();
        bar.inc(chunk.len() as u64);
        bar.set_message(format!(
            "{:.0}/s; created {}, replayed {}, flagged {}, failed {}",
            bar.per_sec(),
            summary.created,
            summary.replayed,
            summary.flagged,
            summary.failed
        ));
    }
    bar.finish_and_clear();
    Ok(())
}

/// The gateway's refusal of a record as error-file lines: `members[i].x` is the record's i-th
/// row; the other fields come from the record's first row.
fn refusal(pending: &Pending, err: &ItemError, map: &Mapping) -> Vec<RowProblem> {
    let first = pending.rows.first().copied().unwrap_or(0);
    let external_id = pending.body.external_id.clone();
    if err.details.is_empty() {
        let field = if err.code == "conflict" { map.label(Field::ExternalId) } else { String::new() };
        return vec![RowProblem { row: first, external_id, field, problem: err.message.clone() }];
    }
    err.details
        .iter()
        .map(|d| {
            let (row, rest) = match member_of(&d.field) {
                Some((i, rest)) => (pending.rows.get(i).copied().unwrap_or(first), rest),
                None => (first, d.field.rsplit('.').next().unwrap_or(&d.field)),
            };
            let field =
                Field::ALL.into_iter().find(|f| f.name() == rest).map_or_else(|| d.field.clone(), |f| map.label(f));
            RowProblem { row, external_id: external_id.clone(), field, problem: d.problem.clone() }
        })
        .collect()
}

/// `members[3].name` → (3, "name").
fn member_of(field: &str) -> Option<(usize, &str)> {
    let rest = field.strip_prefix("members[")?;
    let (i, rest) = rest.split_once(']')?;
    Some((i.parse().ok()?, rest.trim_start_matches('.')))
}

/// Writes the error file: CSV with a BOM (so that spreadsheet programs read Arabic right).
fn write_errors(path: &Path, problems: &[RowProblem]) -> anyhow::Result<()> {
    let write = || -> anyhow::Result<()> {
        let mut file = std::fs::File::create(path)?;
        std::io::Write::write_all(&mut file, "\u{feff}".as_bytes())?;
        let mut w = csv::Writer::from_writer(file);
        w.write_record(["row", "external_id", "field", "problem"])?;
        for p in problems {
            w.write_record([p.row.to_string().as_str(), &p.external_id, &p.field, &p.problem])?;
        }
        w.flush()?;
        Ok(())
    };
    write().with_context(|| format!("writing the error file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths() {
        assert_eq!(member_of("members[3].name"), Some((3, "name")));
        assert_eq!(member_of("assistance.type"), None);
    }
}
