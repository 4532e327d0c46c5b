//! Writes a synthetic caseload as JSON lines: `{"agency", "body", "truth"}` per record, in
//! posting order, and optionally the agencies with their habits.
//!
//! `synth --households 200000 --seed 7 --out caseload.jsonl [--agencies 8]
//!  [--records-per-household 2.5] [--agencies-out agencies.json] [--truth-out households.jsonl]`

use bawaba_synth::{Config, generate};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn usage() -> &'static str {
    "usage: synth [--households N] [--seed S] [--agencies N] [--records-per-household F] [--overlap-rate F] [--out FILE|-] [--agencies-out FILE] [--truth-out FILE]"
}

fn run() -> Result<(), String> {
    let mut cfg = Config::default();
    let mut out = "-".to_string();
    let mut agencies_out = None;
    let mut truth_out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value\n{}", usage()));
        let num = |s: String, name: &str| s.parse::<f64>().map_err(|e| format!("{name}: {e}"));
        match a.as_str() {
            "--households" => cfg.households = num(val(&a)?, &a)? as usize,
            "--seed" => cfg.seed = val(&a)?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--agencies" => cfg.agencies = num(val(&a)?, &a)? as usize,
            "--records-per-household" => cfg.records_per_household = num(val(&a)?, &a)?,
            "--overlap-rate" => cfg.overlap_rate = num(val(&a)?, &a)?,
            "--out" => out = val(&a)?,
            "--agencies-out" => agencies_out = Some(val(&a)?),
            "--truth-out" => truth_out = Some(val(&a)?),
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    let t0 = std::time::Instant::now();
    let c = generate(&cfg);
    let gen_time = t0.elapsed();
    let sink: Box<dyn Write> = if out == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&out).map_err(|e| format!("{out}: {e}"))?)
    };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    for r in &c.records {
        serde_json::to_writer(&mut w, &r.json_line()).map_err(|e| e.to_string())?;
        w.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())?;
    if let Some(path) = agencies_out {
        let s =
            serde_json::to_string_pretty(&serde_json::json!({"agencies": c.agencies})).map_err(|e| e.to_string())?;
        std::fs::write(&path, s).map_err(|e| format!("{path}: {e}"))?;
    }
    if let Some(path) = truth_out {
        let mut w = BufWriter::new(std::fs::File::create(&path).map_err(|e| format!("{path}: {e}"))?);
        for h in &c.households {
            let persons: Vec<_> = h.members.iter().map(|&p| &c.persons[p]).collect();
            serde_json::to_writer(&mut w, &serde_json::json!({"household": h, "persons": persons}))
                .map_err(|e| e.to_string())?;
            w.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())?;
    }
    eprintln!(
        "synth: {} households, {} people, {} records from {} agencies in {:.2?} (+ writing {:.2?})",
        c.households.len(),
        c.persons.len(),
        c.records.len(),
        c.agencies.len(),
        gen_time,
        t0.elapsed() - gen_time
    );
    let (pairs, overlaps) = (c.same_household_pairs().len(), c.true_overlaps_same_type().len());
    eprintln!("synth: {pairs} same-household record pairs, {overlaps} same-type overlapping pairs");
    // The process ends here: skip freeing millions of small strings.
    std::mem::forget(c);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth: {e}");
            ExitCode::FAILURE
        }
    }
}
