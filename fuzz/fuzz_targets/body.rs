//! See `bawaba_fuzz::body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bawaba_fuzz::body(data);
});
