//! Marks the PostgreSQL half of the integration suite to run only when a test database is
//! given, so that `cargo test` passes on a machine with no PostgreSQL and reports those tests
//! as ignored rather than passing them silently (so too in a build without the `postgres`
//! feature). Likewise the pages' end-to-end tests run only where Chromium is installed
//! (`.ci/run` installs it, so CI always runs them), and are reported as ignored elsewhere.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rustc-check-cfg=cfg(chromium_tests)");
    println!("cargo::rerun-if-env-changed=BAWABA_TEST_POSTGRES_URL");
    // A build without the `postgres` feature has no PostgreSQL to test.
    if std::env::var("BAWABA_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty())
        && std::env::var_os("CARGO_FEATURE_POSTGRES").is_some()
    {
        println!("cargo::rustc-cfg=pg_tests");
    }
    // Watch the browser, or while there is none the folder it will be installed into.
    if std::path::Path::new("/usr/bin/chromium").exists() {
        println!("cargo::rerun-if-changed=/usr/bin/chromium");
        println!("cargo::rustc-cfg=chromium_tests");
    } else {
        println!("cargo::rerun-if-changed=/usr/bin");
    }
}
