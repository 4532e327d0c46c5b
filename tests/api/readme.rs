//! The README's curl examples, run as written against a real gateway, so they stay true.

use crate::both_backends;
use crate::support::{Backend, TestApp, TestDb};

/// The master key of the README's examples: long enough for the gateway, for a local try only.
const README_KEY: &str = "try-bawaba-locally-0123456789abcdef";

both_backends!(readme_curl_examples_work_as_written);

fn readme_curl_examples_work_as_written(b: Backend) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let start = readme.find("<!-- readme-examples:start -->").expect("start marker");
    let end = readme.find("<!-- readme-examples:end -->").expect("end marker");
    let block = &readme[start..end];
    let script: String =
        block.lines().filter(|l| !l.starts_with("```") && !l.starts_with("<!--")).collect::<Vec<_>>().join("\n");
    assert!(script.contains("BASE=http://127.0.0.1:8080") && script.contains(&format!("ADMIN={README_KEY}")));
    // The README starts the gateway with the same key, and the gateway takes it.
    assert!(readme.contains(&format!("BAWABA_MASTER_KEY={README_KEY} cargo run --release -- serve")));
    let app = TestApp::start_with(TestDb::new(b), |s| s.master_key = Some(README_KEY.to_owned()));
    let script = script.replace("BASE=http://127.0.0.1:8080", &format!("BASE={}", app.base));
    let out =
        std::process::Command::new("bash").arg("-euo").arg("pipefail").arg("-c").arg(&script).output().expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "README examples failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // The Latin-script household was flagged against the Arabic one, with evidence.
    assert!(stdout.contains("\"kind\":\"overlapping_aid\""), "{stdout}");
    assert!(stdout.contains("\"matched_agency\":\"WFP\""), "{stdout}");
    assert!(stdout.contains("flag_id,kind,household_id"), "CSV report printed");
    assert!(stdout.contains("bawaba_records_stored_total"), "metrics printed");
}
