//! Criterion benches, each beside the plain baseline (lower-casing / Jaro–Winkler on raw names,
//! equal IDs) in the same run.
//!
//! Sizes: `BAWABA_BENCH_HOUSEHOLDS` (households in the index for `match_household`, default
//! 200,000 ≈ 1M people) and `BAWABA_BENCH_DEDUP_HOUSEHOLDS` (caseload deduplicated in one batch,
//! default 100,000). For a quick run: `BAWABA_BENCH_HOUSEHOLDS=5000 BAWABA_BENCH_DEDUP_HOUSEHOLDS=2000`.

use bawaba_matching::*;
use bawaba_synth::{Config, Record, generate};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{env_usize, prepared};

fn bench_prepare(c: &mut Criterion) {
    let mut g = c.benchmark_group("prepare");
    let ar = PersonInput::new(Role::Head, "الحاج محمد أحمد عبد الله الشاعر")
        .id("401234563")
        .dob("1980-05-01")
        .phone("+970 599-123-456");
    let lat = PersonInput::new(Role::Head, "Mohammed Ahmad Abdel Rahman Al-Shaer").id("401234563").dob("1980-05-01");
    let _ = prepare(&ar); // warm the name table
    g.bench_function("arabic", |b| b.iter(|| prepare(black_box(&ar))));
    g.bench_function("latin", |b| b.iter(|| prepare(black_box(&lat))));
    g.bench_function("baseline_lowercase", |b| b.iter(|| black_box(ar.name).to_lowercase()));
    g.finish();
}

fn bench_pair(c: &mut Criterion) {
    let mut g = c.benchmark_group("score_pair");
    let m = Matcher::default();
    let ix = Index::new();
    let a = prepare(&PersonInput::new(Role::Head, "محمد أحمد محمود الشاعر").dob("1980-05-01").sex(Sex::M));
    let b = prepare(&PersonInput::new(Role::Head, "محمد احمد محمود الشاعر").dob("1980-05").sex(Sex::M));
    let x = prepare(&PersonInput::new(Role::Head, "Mohammed Ahmad Mahmoud Al-Shaer").dob("1980-05-01"));
    let y = prepare(&PersonInput::new(Role::Head, "خالد يوسف سالم النجار").dob("1975"));
    g.bench_function("arabic_arabic", |bn| bn.iter(|| m.score_pair(&ix, black_box(&a), black_box(&b))));
    g.bench_function("latin_arabic", |bn| bn.iter(|| m.score_pair(&ix, black_box(&x), black_box(&a))));
    g.bench_function("non_match", |bn| bn.iter(|| m.score_pair(&ix, black_box(&y), black_box(&a))));
    g.bench_function("baseline_jaro_winkler", |bn| {
        bn.iter(|| strsim::jaro_winkler(black_box("محمد أحمد محمود الشاعر"), black_box("محمد احمد محمود الشاعر")))
    });
    g.finish();
}

fn bench_match(c: &mut Criterion) {
    let hh = env_usize("BAWABA_BENCH_HOUSEHOLDS", 200_000);
    let t = Instant::now();
    let cl = generate(&Config { households: hh, seed: 11, ..Config::default() });
    let gen_t = t.elapsed();
    // Index every record but the last 500; those are the queries.
    let split = cl.records.len().saturating_sub(500);
    let t = Instant::now();
    let prepared_records: Vec<Vec<PreparedPerson>> = {
        use rayon::prelude::*;
        cl.records[..split].par_iter().map(prepared).collect()
    };
    let prep_t = t.elapsed();
    let mut persons = Vec::new();
    let mut pid = 0u64;
    for (r, members) in cl.records[..split].iter().zip(prepared_records) {
        for p in members {
            persons.push((pid, r.truth.household as u64, p));
            pid += 1;
        }
    }
    let n_persons = persons.len();
    let t = Instant::now();
    let index = Index::build(persons);
    let build_t = t.elapsed();
    eprintln!(
        "index: {} persons, {} households; generate {:.2?}, prepare {:.2?}, build {:.2?}, ~{} bytes/person",
        n_persons,
        index.households(),
        gen_t,
        prep_t,
        build_t,
        index.memory_bytes() / n_persons.max(1)
    );
    let queries: Vec<Vec<PreparedPerson>> = cl.records[split..].iter().map(prepared).collect();
    let m = Matcher::default();
    let mut g = c.benchmark_group("match_household");
    g.sample_size(20);
    let mut k = 0usize;
    g.bench_function(format!("matcher_{n_persons}_persons"), |b| {
        b.iter(|| {
            k = (k + 1) % queries.len();
            black_box(m.match_household(&index, &queries[k], &|_| false, 5))
        })
    });
    // Baseline: equal national ID via a hash map, else JW >= 0.92 over every stored head.
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut heads: Vec<(String, u64)> = Vec::new();
    for r in &cl.records[..split] {
        for mm in &r.members {
            if let Some(id) = &mm.national_id {
                ids.insert(id.clone(), r.truth.household as u64);
            }
        }
        if let Some(h) = r.members.first() {
            heads.push((h.name.to_lowercase(), r.truth.household as u64));
        }
    }
    let raw: Vec<&Record> = cl.records[split..].iter().collect();
    let mut k = 0usize;
    g.bench_function(format!("baseline_{n_persons}_persons"), |b| {
        b.iter(|| {
            k = (k + 1) % raw.len();
            let r = raw[k];
            let by_id = r.members.iter().find_map(|mm| mm.national_id.as_ref().and_then(|i| ids.get(i)));
            if by_id.is_some() {
                return black_box(by_id.copied());
            }
            let head = r.members.first().map(|h| h.name.to_lowercase()).unwrap_or_default();
            black_box(heads.iter().find(|(n, _)| strsim::jaro_winkler(n, &head) >= 0.92).map(|x| x.1))
        })
    });
    g.finish();
}

fn bench_dedup(c: &mut Criterion) {
    let hh = env_usize("BAWABA_BENCH_DEDUP_HOUSEHOLDS", 100_000);
    let cl = generate(&Config { households: hh, seed: 12, ..Config::default() });
    let recs: Vec<Vec<PreparedPerson>> = cl.records.iter().map(prepared).collect();
    let m = Matcher::default();
    let mut g = c.benchmark_group("deduplicate");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(1));
    g.bench_function(format!("matcher_{}_records", recs.len()), |b| {
        b.iter_batched(|| recs.clone(), |r| black_box(m.deduplicate(&r)), BatchSize::PerIteration)
    });
    // Baseline: equal IDs, else JW >= 0.92 on heads blocked by their first three characters (a
    // full scan is quadratic and would not finish at this size).
    g.bench_function(format!("baseline_{}_records", recs.len()), |b| {
        b.iter(|| {
            let mut ids: HashMap<&str, usize> = HashMap::new();
            let mut blocks: HashMap<String, Vec<(String, usize)>> = HashMap::new();
            let mut out = Vec::with_capacity(cl.records.len());
            for (i, r) in cl.records.iter().enumerate() {
                let mut h = r.members.iter().find_map(|mm| mm.national_id.as_deref().and_then(|x| ids.get(x).copied()));
                let head = r.members.first().map(|x| x.name.to_lowercase()).unwrap_or_default();
                let key: String = head.chars().take(3).collect();
                let block = blocks.entry(key).or_default();
                if h.is_none() {
                    h = block.iter().find(|(n, _)| strsim::jaro_winkler(n, &head) >= 0.92).map(|x| x.1);
                }
                let h = h.unwrap_or(i);
                for mm in &r.members {
                    if let Some(x) = mm.national_id.as_deref() {
                        ids.entry(x).or_insert(h);
                    }
                }
                block.push((head, h));
                out.push(h);
            }
            black_box(out)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_prepare, bench_pair, bench_match, bench_dedup);
criterion_main!(benches);
