//! Fuzz target: what clients send — every JSON request body type of the API and the query
//! strings (`/ws?since=&ticket=`, `/slots`, `?day=`), parsed exactly as the handlers' extractors
//! do, plus ticket ids from paths.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xephang_fuzz::api_input(data));
