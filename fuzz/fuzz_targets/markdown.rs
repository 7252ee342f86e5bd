//! Fuzz target `markdown`: its body is `app::fuzzing::markdown` (see there for what
//! it checks); `scripts/fuzz` runs it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| app::fuzzing::markdown(data));
