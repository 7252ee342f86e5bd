//! Fuzz target `api_json`: its body is `app::fuzzing::api_json` (see there for what
//! it checks); `scripts/fuzz` runs it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| app::fuzzing::api_json(data));
