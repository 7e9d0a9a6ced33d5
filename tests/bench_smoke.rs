//! A small run of the load tool (benches/load) so it cannot rot: a few board sockets for
//! about two seconds against the debug binary, the floor on a thread of this process, two
//! short issue runs and a small start-up journal. Asserts the numbers are sane, not fast.

#[path = "../benches/load/mod.rs"]
mod load;

use std::path::PathBuf;

#[test]
fn load_tool_produces_sane_numbers() {
    let opts = load::Options {
        bin: PathBuf::from(env!("CARGO_BIN_EXE_xephang")),
        sockets: vec![5],
        repeat: 2,
        seconds: 2.0,
        rate: Some(10.0),
        kiosks: vec![1, 8],
        issue_cap: 400,
        events: 3000,
        startup_runs: 1,
        floor: load::FloorMode::InProcess,
        idle_logins: 1,
        rust_log: "info".into(),
        config: None,
    };
    let report = load::run(&opts);
    let table = load::report::tables(&report);
    println!(
        "{}\n{table}",
        load::report::header(&report, "tests/bench_smoke.rs")
    );

    assert!(report.idle.rss > 0, "no RSS read for the idle daemon");
    assert_eq!(report.levels.len(), 2, "two runs of the one level");
    let (n, level) = &report.levels[0];
    let level = level
        .as_ref()
        .unwrap_or_else(|e| panic!("latency run with {n} sockets: {e}"));
    assert!(
        level.daemon.calls >= 10,
        "too few calls: {:?}",
        level.daemon
    );
    assert_eq!(level.daemon.pairs, level.daemon.calls * 5);
    assert_eq!(
        level.daemon.missed, 0,
        "a socket missed a call: {:?}",
        level.daemon
    );
    assert!(level.daemon.p50_us > 0 && level.daemon.p50_us <= level.daemon.p99_us);
    assert!(level.daemon.p99_us <= level.daemon.max_us);
    assert!(level.called_size > 100, "no ticket_called frame sampled");
    assert!(level.mem_sockets.rss > 0);
    let floor = level
        .floor
        .as_ref()
        .unwrap_or_else(|| panic!("floor: {:?}", level.floor_error));
    assert_eq!(floor.missed, 0, "the floor lost frames: {floor:?}");
    assert!(floor.calls == level.daemon.calls || floor.calls >= 10);
    assert!(
        level.fsync_mean_us.is_some_and(|us| us > 0),
        "no fsync read from /metrics during the run"
    );
    // (The kernel counts CPU in ticks of 10 ms: a short debug run may round to 0.)
    assert!(
        level.cpu_per_call_us.is_some(),
        "no daemon CPU read from /proc during the run"
    );
    // The medians over the two runs, with the floor ratio of each run.
    let sums = load::summary::summaries(&report);
    assert_eq!(sums.len(), 1);
    assert_eq!((sums[0].sockets, sums[0].runs), (5, 2));
    assert_eq!(sums[0].p99_ratios.len(), 2);
    assert!(sums[0].p99_ratio.is_some_and(|r| r > 0.0));
    assert!(table.contains("#### Medians per N") && table.contains("| 5 | 2 |"));

    for (k, run) in &report.issues {
        let run = run
            .as_ref()
            .unwrap_or_else(|e| panic!("issue run with {k} kiosks: {e}"));
        assert!(
            run.issued > 0 && run.per_s > 0.0,
            "{k} kiosks issued nothing: {run:?}"
        );
        assert_eq!(run.failed, 0, "{run:?}");
        assert!(
            run.fsyncs > 0 && run.fsyncs as usize <= run.issued + 2,
            "{run:?}"
        );
    }

    let startup = report.startup.as_ref().expect("start-up measured");
    let startup = startup.as_ref().unwrap_or_else(|e| panic!("start-up: {e}"));
    assert!(startup.events >= 3000);
    assert_eq!(
        startup.replayed,
        Some(startup.events as u64),
        "the daemon did not replay the journal"
    );
    assert!(startup.median.as_nanos() > 0);

    let dir = load::daemon::tempdir().unwrap();
    let md = dir.path().join("BENCHMARKS.md");
    load::report::write(&md, &report, "smoke").unwrap();
    load::report::write(&md, &report, "smoke again").unwrap();
    let text = std::fs::read_to_string(&md).unwrap();
    assert_eq!(
        text.matches(load::report::BEGIN).count(),
        1,
        "rewrite must replace the marked part"
    );
    assert!(text.contains("smoke again") && text.contains("### Targets"));
}
