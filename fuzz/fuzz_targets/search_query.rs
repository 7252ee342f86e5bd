//! Fuzz target `search_query`: its body is `app::fuzzing::search_query` (see there for what
//! it checks); `scripts/fuzz` runs it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| app::fuzzing::search_query(data));
