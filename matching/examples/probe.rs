//! Probe: candidate counts per query (development aid).
use bawaba_matching::*;
use bawaba_synth::{Config, generate};
fn main() {
    let cl = generate(&Config { households: 5000, seed: 11, ..Config::default() });
    let mut persons = Vec::new();
    let mut pid = 0;
    for r in &cl.records {
        for m in &r.members {
            let p = prepare(&PersonInput {
                role: Role::Head,
                name: &m.name,
                national_id: m.national_id.as_deref(),
                date_of_birth: m.date_of_birth.as_deref(),
                sex: None,
                phone: m.phone.as_deref(),
            });
            persons.push((pid, r.truth.household as u64, p));
            pid += 1;
        }
    }
    let ix = Index::build(persons.clone());
    let mut tot = 0usize;
    let mut per = [0usize; 9];
    let mut hist = std::collections::BTreeMap::new();
    for (_, _, p) in persons.iter().take(2000) {
        let (n, pk) = ix.debug_candidates(p);
        for i in 0..9 {
            per[i] += pk[i];
        }
        tot += n;
        *hist.entry(n / 20 * 20).or_insert(0) += 1;
    }
    println!("mean candidates {}", tot as f64 / 2000.0);
    println!("{hist:?}");
    println!(
        "per kind (nid, phone, first+fam, fam+year, lineage, first+father, first+year, fam): {:?}",
        per.iter().map(|x| *x as f64 / 2000.0).collect::<Vec<_>>()
    );
}
