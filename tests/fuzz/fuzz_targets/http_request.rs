//! Fuzz target: whole HTTP requests (method, path, query, headers, body, decoded from the
//! input by `xephang_fuzz::http_input`) through the daemon's real router and engine, in
//! process. See `xephang_fuzz::http_request` (tests/fuzz/src/http_request.rs) for the oracles.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xephang_fuzz::http_request(data));
