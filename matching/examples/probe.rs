//! Probe: time the gateway-style linkage loop on a caseload (development aid).
use bawaba_matching::*;
use bawaba_synth::{Config, generate};
use std::time::Instant;
fn main() {
    let hh: usize = std::env::var("HH").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    let cl = generate(&Config { households: hh, seed: 11, ..Config::default() });
    let m = Matcher::default();
    let mut ix = Index::new();
    let (mut nh, mut np) = (0u64, 0u64);
    let t = Instant::now();
    let mut cands = 0usize;
    for r in &cl.records {
        let members: Vec<PreparedPerson> = r
            .members
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
                    sex: None,
                    phone: mm.phone.as_deref(),
                })
            })
            .collect();
        if std::env::var("CANDS").is_ok() {
            for p in &members {
                cands += ix.debug_candidates(p).0;
            }
        }
        let f = m.match_household(&ix, &members, &|_| false, 3);
        let h = match f.first() {
            Some(x) if x.band >= Band::Probable => x.household,
            _ => {
                nh += 1;
                nh
            }
        };
        for p in members {
            np += 1;
            ix.insert(np, h, p);
        }
    }
    let el = t.elapsed();
    println!(
        "{} records in {:.2?}: {:.1} µs/record; {} persons; mean candidates/member {:.1}",
        cl.records.len(),
        el,
        el.as_secs_f64() * 1e6 / cl.records.len() as f64,
        ix.persons(),
        cands as f64 / np as f64
    );
}
