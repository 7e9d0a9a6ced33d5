//! Fuzz target: the journal line parser (`xephang::journal::decode_line`), which start-up runs
//! on every line of a day file that may have been cut by a power loss or damaged on disk.
//! See `xephang_fuzz::journal_line` for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xephang_fuzz::journal_line(data));
