//! Fuzz target `ws_frame`: its body is `app::fuzzing::ws_frame` (see there for what
//! it checks); `scripts/fuzz` runs it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| app::fuzzing::ws_frame(data));
