//! Probe: time the gateway-style linkage loop on a caseload and print some errors
//! (development aid). `HH=5000 cargo run --release --example probe`.
use bawaba_matching::*;
use bawaba_synth::{Config, Record, generate};
use std::collections::HashMap;
use std::time::Instant;

fn prep(r: &Record) -> Vec<PreparedPerson> {
    r.members
        .iter()
        .map(|mm| {
            prepare(&PersonInput {
                role: match mm.role {
                    "head" => Role::Head,
                    "spouse" => Role::Spouse,
                    "child" => Role::Child,
                    _ => Role::Other,
                },
                name: &mm.name,
                national_id: mm.national_id.as_deref(),
                date_of_birth: mm.date_of_birth.as_deref(),
                sex: match mm.sex.as_deref() {
                    Some("M") => Some(Sex::M),
                    Some("F") => Some(Sex::F),
                    _ => None,
                },
                phone: mm.phone.as_deref(),
            })
        })
        .collect()
}

fn show(r: &Record) -> String {
    r.members
        .iter()
        .map(|m| {
            format!(
                "{}:{} [{} {} {}]",
                m.role,
                m.name,
                m.national_id.as_deref().unwrap_or("-"),
                m.date_of_birth.as_deref().unwrap_or("-"),
                m.sex.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn main() {
    let hh: usize = std::env::var("HH").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    let show_n: usize = std::env::var("SHOW").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let cl = generate(&Config { households: hh, seed: 11, ..Config::default() });
    let m = Matcher::default();
    if std::env::var("MODE").as_deref() == Ok("dedup") {
        let t = Instant::now();
        let recs: Vec<Vec<PreparedPerson>> = {
            use rayon::prelude::*;
            cl.records.par_iter().map(prep).collect()
        };
        let tp = t.elapsed();
        let t = Instant::now();
        let groups = m.deduplicate(&recs);
        let groups_n = groups.iter().max().map_or(0, |g| g + 1);
        println!(
            "deduplicate {} records ({} members): prepare {:.2?}, deduplicate {:.2?}, {} groups",
            recs.len(),
            recs.iter().map(Vec::len).sum::<usize>(),
            tp,
            t.elapsed(),
            groups_n
        );
        return;
    }
    let mut ix = Index::new();
    let (mut nh, mut np) = (0u64, 0u64);
    let t = Instant::now();
    let mut first_rec_of_h: HashMap<u64, usize> = HashMap::new();
    let mut first_rec_of_truth: HashMap<usize, usize> = HashMap::new();
    let (mut fps, mut fns) = (0, 0);
    for (i, r) in cl.records.iter().enumerate() {
        let members = prep(r);
        let f = m.match_household(&ix, &members, &|_| false, 3);
        let h = match f.first() {
            Some(x) if x.band >= Band::Probable => x.household,
            _ => {
                nh += 1;
                nh
            }
        };
        if show_n > 0 {
            let joined = first_rec_of_h.get(&h).copied();
            if let Some(j) = joined
                && cl.records[j].truth.household != r.truth.household
                && fps < show_n
            {
                fps += 1;
                println!("FP {:.3}\n  new: {}\n  old: {}", f[0].score, show(r), show(&cl.records[j]));
                for p in &f[0].pairs {
                    println!("    pair ours {} theirs {} score {:.3}", p.ours, p.theirs_name, p.score);
                    for e in &p.evidence {
                        println!(
                            "      {:<16} {:<18} {} / {} w {:.2}",
                            e.field.as_str(),
                            e.level,
                            e.ours,
                            e.theirs,
                            e.weight
                        );
                    }
                }
            }
            if joined.is_none()
                && let Some(&j) = first_rec_of_truth.get(&r.truth.household)
                && fns < show_n
            {
                fns += 1;
                let cfg = MatchConfig { possible: 0.0, ..MatchConfig::default() };
                let dbg = Matcher::new(cfg).compare_households(&ix, &members, &prep(&cl.records[j]));
                println!(
                    "FN best {:?} cmp {:?}\n  new: {}\n  old: {}",
                    f.first().map(|x| x.score),
                    dbg.as_ref().map(|d| d.score),
                    show(r),
                    show(&cl.records[j])
                );
                if let Some(d) = dbg {
                    for p in &d.pairs {
                        println!("    pair ours {} theirs {} score {:.3}", p.ours, p.theirs_name, p.score);
                        for e in &p.evidence {
                            println!(
                                "      {:<16} {:<18} {} / {} w {:.2}",
                                e.field.as_str(),
                                e.level,
                                e.ours,
                                e.theirs,
                                e.weight
                            );
                        }
                    }
                }
            }
        }
        first_rec_of_h.entry(h).or_insert(i);
        first_rec_of_truth.entry(r.truth.household).or_insert(i);
        for p in members {
            np += 1;
            ix.insert(np, h, p);
        }
    }
    let el = t.elapsed();
    println!(
        "{} records in {:.2?}: {:.1} µs/record; {} persons",
        cl.records.len(),
        el,
        el.as_secs_f64() * 1e6 / cl.records.len() as f64,
        ix.persons()
    );
}
