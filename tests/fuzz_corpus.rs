//! The CI smoke of the fuzz targets without libFuzzer (cargo-fuzz takes about 3 minutes to
//! install and needs `RUSTC_BOOTSTRAP=1`): every input of the committed corpus
//! (`tests/fuzz/corpus/<target>/`) goes through the very functions the targets call
//! (`tests/fuzz/src/lib.rs`, included here), each followed by a bounded set of deterministic
//! mutations (truncations, byte flips, splices). Any input a fuzz run finds crashing is added
//! to the corpus and thereby becomes a regression test. See RELIABILITY.md, "Fuzzing".

#[path = "fuzz/src/lib.rs"]
mod targets;

use std::path::PathBuf;

/// Mutations tried per corpus input.
const MUTATIONS: u64 = 96;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            (name, std::fs::read(e.path()).expect("read corpus file"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus for {target}");
    files
}

/// A deterministic variant of `input` (xorshift seeded by the input's index and `k`).
fn mutate(input: &[u8], other: &[u8], seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = input.to_vec();
    for _ in 0..1 + next() % 4 {
        let len = out.len().max(1) as u64;
        match next() % 5 {
            0 => out.truncate((next() % len) as usize),
            1 if !out.is_empty() => {
                let i = (next() % len) as usize;
                out[i] ^= 1 << (next() % 8);
            }
            2 if !out.is_empty() => {
                let i = (next() % len) as usize;
                const BYTES: &[u8] = b"{}[]\":,0-9e.\\ \n\x00\xff";
                out[i] = BYTES[(next() % BYTES.len() as u64) as usize];
            }
            3 if !other.is_empty() => {
                let cut = (next() % len) as usize;
                let from = (next() % other.len() as u64) as usize;
                out.truncate(cut.min(out.len()));
                out.extend_from_slice(&other[from..]);
            }
            _ => {
                let i = (next() % (len + 1)) as usize;
                let byte = (next() & 0xff) as u8;
                out.insert(i.min(out.len()), byte);
            }
        }
    }
    out
}

fn replay(target: &str, run: fn(&[u8])) {
    let files = corpus(target);
    let mut runs = 0u64;
    for (i, (name, bytes)) in files.iter().enumerate() {
        let result = std::panic::catch_unwind(|| run(bytes));
        assert!(result.is_ok(), "{target}: corpus input {name} crashes");
        let other = &files[(i + 1) % files.len()].1;
        for k in 0..MUTATIONS {
            let m = mutate(bytes, other, (i as u64) << 32 | k);
            if std::panic::catch_unwind(|| run(&m)).is_err() {
                panic!(
                    "{target}: mutation {k} of {name} crashes: {:?}",
                    String::from_utf8_lossy(&m)
                );
            }
            runs += 1;
        }
    }
    eprintln!("{target}: {} corpus inputs, {runs} mutations", files.len());
}

#[test]
fn journal_line_corpus() {
    replay("journal_line", targets::journal_line);
}

#[test]
fn config_corpus() {
    replay("config", targets::config);
}

#[test]
fn api_input_corpus() {
    replay("api_input", targets::api_input);
}
