//! The fuzz corpus, replayed on stable: every input kept in `fuzz/corpus/<target>/` (what
//! `cargo +nightly fuzz run` found interesting, and each crash it found once fixed) goes
//! through the same code as its target (`fuzz/src/lib.rs`, included here), so CI keeps what
//! fuzzing taught without nightly or libFuzzer. A panic fails the test and names the file.

#[path = "../../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus {}: {e}", dir.display()))
        .map(|e| e.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus of {target} holds inputs: {}", files.len());
    let started = std::time::Instant::now();
    for f in &files {
        let data = std::fs::read(f).expect("a corpus file");
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            panic!("{target}: {} makes it panic", f.display());
        }
    }
    eprintln!("{target}: {} inputs replayed in {:?}", files.len(), started.elapsed());
}

#[test]
fn names_corpus() {
    replay("names", harness::names);
}

#[test]
fn body_corpus() {
    replay("body", harness::body);
}

#[test]
fn import_corpus() {
    replay("import", harness::import);
}
