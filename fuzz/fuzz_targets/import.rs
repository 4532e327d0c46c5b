//! See `bawaba_fuzz::import`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bawaba_fuzz::import(data);
});
