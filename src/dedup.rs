//! `bawaba dedup FILE --out FILE`: an agency's whole list deduplicated on this machine, with no
//! server and no database (API.md, "Offline deduplication of a file").
//!
//! This is the command line's edge: it reads the file (JSON Lines, or the CSV and spreadsheet
//! files `bawaba import` takes, read by the same reader and column mapping), hands the records
//! to one use case (`service::dedup::run`, the same engine and planning as intake), and writes
//! one line per input record, in input order, as JSON Lines or CSV, with a progress bar on a
//! terminal and a summary on standard error. JSON lines are parsed, and answers serialised, a
//! slice at a time in parallel, always kept in file order. Errors here are `anyhow`.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::Value;

use crate::import::mapping::{self, Field, MapRule, Mapping};
use crate::import::table;
use crate::service::dedup::{self, Input, Line, Totals};
use crate::service::error::ServiceError;
use crate::service::model;
use crate::service::policy::OverlapPolicy;
use crate::service::validate;
use bawaba_wire::records::RecordBody;

/// `bawaba dedup`.
#[derive(Debug, Clone, clap::Args)]
pub struct DedupArgs {
    /// The file: JSON Lines (`.jsonl`, `.ndjson`: one `POST /v1/records` body per line with
    /// `"agency": "CODE"` beside its fields, or `{"agency", "body"}` as `synth` writes), or CSV
    /// or a spreadsheet (XLSX, XLS, ODS) as `bawaba import` takes them (give `--agency`).
    pub file: PathBuf,
    /// Where to write the answers, one line per input record in input order.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// `jsonl` or `csv`.
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
    pub format: String,
    /// The agency of every record of a CSV or spreadsheet file (and of JSON lines that name
    /// none).
    #[arg(long, value_name = "CODE")]
    pub agency: Option<String>,
    /// Take a column for a field, as `bawaba import --map` does.
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub map: Vec<MapRule>,
    /// The sheet of a spreadsheet to read [default: the first].
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Which aid types conflict with which, as `serve --overlap-policy`.
    #[arg(long, env = "BAWABA_OVERLAP_POLICY", default_value = "")]
    pub overlap_policy: OverlapPolicy,
    /// The matching configuration, as `serve --match-config`; defaults when absent.
    #[arg(long, env = "BAWABA_MATCH_CONFIG")]
    pub match_config: Option<PathBuf>,
    /// The households the list's population holds (the matcher's prior is taken at this size
    /// at least, as `serve --expected-households`) [default: the match configuration's
    /// `expected_households`, else the number of records in the file, the most households it
    /// can hold: the first records are judged as the last].
    #[arg(long, env = "BAWABA_EXPECTED_HOUSEHOLDS", value_name = "N")]
    pub expected_households: Option<usize>,
    /// Draw no progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// Runs the command and prints the summary.
pub fn run(args: &DedupArgs) -> anyhow::Result<Totals> {
    let started = Instant::now();
    let read = read(args)?;
    let n = read.inputs.len();
    let mut config = model::load_config(args.match_config.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    // The file is the population: at most one household per record, unless told otherwise.
    config.expected_households = args.expected_households.unwrap_or(match config.expected_households {
        0 => n,
        set => set,
    });
    let bar = if args.no_progress { ProgressBar::hidden() } else { ProgressBar::new(n as u64) };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records, {per_sec}, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |taken: usize| bar.set_position(taken as u64);
    let lines = dedup::run(config, &args.overlap_policy, read.inputs, &progress);
    bar.finish_and_clear();
    // Put the lines of what could not be read back in their places.
    let mut lines = lines.into_iter();
    let mut all = Vec::with_capacity(read.order.len());
    for slot in read.order {
        match slot {
            Slot::Record => all.extend(lines.next()),
            Slot::Unreadable(line) => all.push(line),
        }
    }
    write(&args.out, &args.format, &all)?;
    let totals = Totals::of(&all);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} records in {} households: {} unique, {} possible duplicate, {} duplicate, {} refused; \
         {:.1} s ({:.0} records/s); wrote {}",
        totals.records,
        totals.households,
        totals.unique,
        totals.possible_duplicate,
        totals.duplicate,
        totals.refused,
        secs,
        totals.records as f64 / secs.max(1e-9),
        args.out.display()
    );
    Ok(totals)
}

/// Where each line of output comes from.
enum Slot {
    /// The next record's answer.
    Record,
    /// A line of the file that is not a record, answered as refused.
    Unreadable(Line),
}

struct Read {
    inputs: Vec<Input>,
    order: Vec<Slot>,
}

fn is_json_lines(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("jsonl" | "ndjson" | "json")
    )
}

fn read(args: &DedupArgs) -> anyhow::Result<Read> {
    if is_json_lines(&args.file) { read_json_lines(args) } else { read_table(args) }
}

/// Lines parsed at once, in parallel.
const PARSE: usize = 8192;

/// One record per line; a line that is not one gets a refused answer naming the field. Lines
/// are parsed `PARSE` at a time, in parallel, and kept in file order.
fn read_json_lines(args: &DedupArgs) -> anyhow::Result<Read> {
    let file = std::fs::File::open(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let mut out = Read { inputs: Vec::new(), order: Vec::new() };
    let mut lines = std::io::BufReader::with_capacity(1 << 20, file).lines().enumerate();
    loop {
        let mut batch = Vec::with_capacity(PARSE);
        for (i, line) in lines.by_ref() {
            let line = line.with_context(|| format!("reading line {} of {}", i + 1, args.file.display()))?;
            if !line.trim().is_empty() {
                batch.push(line);
            }
            if batch.len() == PARSE {
                break;
            }
        }
        if batch.is_empty() {
            return Ok(out);
        }
        let parsed: Vec<Result<Input, Unreadable>> =
            batch.par_iter().map(|line| parse_line(line, args.agency.as_deref())).collect();
        for p in parsed {
            match p {
                Ok(input) => {
                    out.inputs.push(input);
                    out.order.push(Slot::Record);
                }
                Err((agency, external_id, e)) => {
                    out.order.push(Slot::Unreadable(dedup::refused_line(&agency, &external_id, &e)))
                }
            }
        }
    }
}

type Unreadable = (String, String, ServiceError);

/// A JSON line as a record: its agency (the line's, else `--agency`) and its strict body.
fn parse_line(line: &str, default_agency: Option<&str>) -> Result<Input, Unreadable> {
    let unreadable = |agency: &str, id: &str, field: &str, problem: String| {
        (agency.to_owned(), id.to_owned(), ServiceError::field(field, problem))
    };
    let value: Value =
        serde_json::from_str(line).map_err(|e| unreadable("", "", "body", format!("malformed JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(unreadable("", "", "body", "must be a JSON object".into()));
    };
    let agency = match obj.remove("agency") {
        Some(Value::String(a)) => a,
        Some(_) => return Err(unreadable("", "", "agency", "must be a string".into())),
        None => default_agency.unwrap_or_default().to_owned(),
    };
    // `synth` writes `{"agency", "body", "truth"}`.
    let body = match obj.remove("body") {
        Some(body @ Value::Object(_)) if !obj.contains_key("external_id") => body,
        Some(other) => {
            obj.insert("body".into(), other);
            Value::Object(obj)
        }
        None => Value::Object(obj),
    };
    let external_id = body.get("external_id").and_then(Value::as_str).unwrap_or_default().to_owned();
    if agency.trim().is_empty() {
        return Err(unreadable(
            &agency,
            &external_id,
            "agency",
            "is missing: name it on the line or give --agency".into(),
        ));
    }
    let body: RecordBody = validate::parse_value(body).map_err(|e| (agency.clone(), external_id, e))?;
    Ok(Input { agency, body })
}

/// A CSV or spreadsheet file, read and mapped as `bawaba import` does; rows that make no
/// record are reported on standard error.
fn read_table(args: &DedupArgs) -> anyhow::Result<Read> {
    let Some(agency) = args.agency.clone() else {
        bail!("a CSV or spreadsheet file names no agency: give --agency CODE");
    };
    let known = |headers: &[String]| {
        headers
            .iter()
            .filter(|h| {
                let k = mapping::normalize_header(h);
                !k.is_empty()
                    && (Field::parse(h).is_some() || args.map.iter().any(|r| mapping::normalize_header(&r.header) == k))
            })
            .count()
            >= 2
    };
    let table = table::read(&args.file, args.sheet.as_deref(), &known)?;
    for note in &table.notes {
        eprintln!("note: {note}");
    }
    let map = Mapping::new(&table.headers, &args.map)?;
    let converted = mapping::convert(&table.rows, &map);
    for p in converted.problems.iter().take(20) {
        eprintln!("row {} ({}): {} {}", p.row, p.external_id, p.field, p.problem);
    }
    if converted.problems.len() > 20 {
        eprintln!("… and {} more problems", converted.problems.len() - 20);
    }
    if converted.failed_records + converted.orphan_rows > 0 {
        eprintln!(
            "{} record(s) and {} row(s) without external_id could not be read and are left out",
            converted.failed_records, converted.orphan_rows
        );
    }
    let inputs: Vec<Input> =
        converted.records.into_iter().map(|p| Input { agency: agency.clone(), body: p.body }).collect();
    let order = inputs.iter().map(|_| Slot::Record).collect();
    Ok(Read { inputs, order })
}

fn write(path: &Path, format: &str, lines: &[Line]) -> anyhow::Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    if format == "csv" {
        // A BOM, so spreadsheets read the Arabic as UTF-8.
        w.write_all("\u{feff}".as_bytes())?;
        let mut c = csv::Writer::from_writer(w);
        c.write_record(dedup::CSV_HEADER)?;
        for l in lines {
            c.write_record(dedup::csv_row(l))?;
        }
        c.flush()?;
    } else {
        // Serialised in parallel, a slice at a time, and written in order.
        for slice in lines.chunks(PARSE) {
            let bytes: Vec<Vec<u8>> = slice
                .par_chunks(256)
                .map(|ls| {
                    let mut b = Vec::with_capacity(ls.len() * 160);
                    for l in ls {
                        serde_json::to_writer(&mut b, l).map_err(anyhow::Error::from)?;
                        b.push(b'\n');
                    }
                    Ok(b)
                })
                .collect::<anyhow::Result<_>>()?;
            for b in bytes {
                w.write_all(&b)?;
            }
        }
        w.flush()?;
    }
    Ok(())
}
