//! Marks the PostgreSQL half of the integration suite to run only when a test database is
//! given, so that `cargo test` passes on a machine with no PostgreSQL and reports those tests
//! as ignored rather than passing them silently.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=BAWABA_TEST_POSTGRES_URL");
    if std::env::var("BAWABA_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}
