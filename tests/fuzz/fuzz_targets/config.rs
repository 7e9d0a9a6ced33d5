//! Fuzz target: the config parser (`xephang::config::parse`), fed arbitrary text as the
//! centre's TOML file. It must return problems, never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xephang_fuzz::config(data));
