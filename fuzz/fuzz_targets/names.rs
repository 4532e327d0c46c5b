//! See `bawaba_fuzz::names`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bawaba_fuzz::names(data);
});
