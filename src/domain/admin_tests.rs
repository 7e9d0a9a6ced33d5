//! The admin overlay (`domain::admin`): changes fold in order, survive a day change through
//! `day_started` and a replay of the journal's lines, are checked before they are
//! journalled, and leave the lobby without staff, devices or hashes (`scrub`).

use std::sync::Arc;

use proptest::prelude::*;

use super::admin::{Actor, AdminChange, DeviceRole, Overlay};
use super::admin_roster::{BaseDevice, BaseRoster, BaseStaff};
use super::decide::start_of_day;
use super::ids::{CounterId, ServiceId, StaffId};
use super::spec::Mode;
use super::tests::{spec, Sim};
use super::{Command, DomainError, Envelope, Event, State};

fn by() -> Actor {
    Actor {
        id: "gs01".into(),
        name: "Giám sát".into(),
    }
}

fn base() -> Arc<BaseRoster> {
    Arc::new(BaseRoster {
        staff: vec![
            BaseStaff {
                id: StaffId("nv01".into()),
                name: "Clerk 1".into(),
                supervisor: false,
                pin_hash: "h1".into(),
                photo: None,
                disabled: false,
                must_change_pin: false,
            },
            BaseStaff {
                id: StaffId("gs01".into()),
                name: "Giám sát".into(),
                supervisor: true,
                pin_hash: "h2".into(),
                photo: None,
                disabled: false,
                must_change_pin: false,
            },
        ],
        devices: vec![BaseDevice {
            name: "TV".into(),
            role: DeviceRole::Display,
            counter: None,
            token_hash: "0".repeat(64),
        }],
    })
}

/// Decides `change` as the engine does: against the effective spec.
fn admin(sim: &mut Sim, change: AdminChange) -> Result<Vec<Event>, DomainError> {
    let effective = sim.state.overlay.effective(&sim.spec);
    let base_spec = std::mem::replace(&mut sim.spec, effective);
    let out = sim.exec(Command::Admin {
        change: Box::new(change),
        by: by(),
        base: base(),
    });
    sim.spec = base_spec;
    out
}

fn counter_change(n: u32, services: &[&str], mode: Mode) -> AdminChange {
    AdminChange::CounterChanged {
        counter: CounterId(n),
        services: services.iter().map(|s| ServiceId::new(*s)).collect(),
        mode,
    }
}

#[test]
fn changes_fold_in_order_and_the_last_one_wins() {
    let mut sim = Sim::new(spec());
    admin(&mut sim, counter_change(3, &["b"], Mode::Fifo)).expect("first");
    admin(&mut sim, counter_change(3, &["b", "a"], Mode::Ordered)).expect("second");
    let effective = sim.state.overlay.effective(&sim.spec);
    let c = effective.counter(CounterId(3)).expect("counter 3");
    assert_eq!(c.services, vec![ServiceId::new("b"), ServiceId::new("a")]);
    assert_eq!(c.mode, Mode::Ordered);
    assert_eq!(sim.state.overlay.version, 2);
    assert_eq!(sim.state.overlay.audit.len(), 2);
    assert_eq!(sim.state.overlay.audit[1].by, by());
    // The file's spec is untouched.
    assert_eq!(
        sim.spec.counter(CounterId(3)).map(|c| c.services.len()),
        Some(1)
    );
}

#[test]
fn the_overlay_survives_a_day_change_and_a_replay_of_the_journal() {
    let mut sim = Sim::new(spec());
    admin(&mut sim, counter_change(1, &["b"], Mode::Fifo)).expect("counter");
    admin(
        &mut sim,
        AdminChange::StaffAdded {
            id: StaffId("c01".into()),
            name: "Lê Văn C".into(),
            supervisor: false,
            pin_hash: "$argon2id$x".into(),
        },
    )
    .expect("staff");
    // A replay of the day's lines (through JSON, as the journal holds them).
    let lines: Vec<Envelope> = sim
        .log
        .iter()
        .map(|e| serde_json::from_str(&serde_json::to_string(e).expect("ser")).expect("de"))
        .collect();
    let replayed = State::replay(&sim.spec, sim.state.day, &lines);
    assert_eq!(replayed.overlay, sim.state.overlay);
    // The next day starts with the overlay.
    let next = sim.state.day.succ_opt().expect("next day");
    let started = start_of_day(&sim.state, next);
    let env = Envelope {
        seq: sim.state.seq + 1,
        at: sim.now,
        event: serde_json::from_value(serde_json::to_value(&started).expect("ser")).expect("de"),
    };
    let tomorrow = State::replay(&sim.spec, next, [&env]);
    assert_eq!(tomorrow.overlay, sim.state.overlay);
    assert_eq!(
        tomorrow.overlay.effective(&sim.spec),
        sim.state.overlay.effective(&sim.spec)
    );
}

#[test]
fn refused_changes_journal_nothing() {
    let mut sim = Sim::new(spec());
    let before = sim.log.len();
    let dup = AdminChange::StaffAdded {
        id: StaffId("nv01".into()),
        name: "X".into(),
        supervisor: false,
        pin_hash: "h".into(),
    };
    let err = admin(&mut sim, dup).expect_err("duplicate");
    assert_eq!(err.code(), "duplicate");
    assert_eq!(err.field(), Some("id"));
    let last = AdminChange::StaffUpdated {
        id: StaffId("gs01".into()),
        name: None,
        disabled: Some(true),
        photo: None,
    };
    assert_eq!(
        admin(&mut sim, last).expect_err("last").code(),
        "last_supervisor"
    );
    let empty = counter_change(1, &[], Mode::Fifo);
    assert_eq!(
        admin(&mut sim, empty).expect_err("empty").field(),
        Some("services")
    );
    let unknown = counter_change(1, &["zz"], Mode::Fifo);
    assert_eq!(
        admin(&mut sim, unknown).expect_err("unknown").code(),
        "invalid_field"
    );
    assert_eq!(sim.log.len(), before);
    assert!(sim.state.overlay.is_empty());
}

#[test]
fn a_service_with_live_tickets_keeps_a_counter() {
    let mut sim = Sim::new(spec());
    sim.exec(Command::Issue {
        service: ServiceId::new("a"),
        priority: None,
        remote: false,
    })
    .expect("issue");
    // a is at counters 1, 2 and 3: two may drop it, the last may not.
    admin(&mut sim, counter_change(1, &["b"], Mode::Fifo)).expect("1");
    admin(&mut sim, counter_change(2, &["b"], Mode::Fifo)).expect("2");
    let err = admin(&mut sim, counter_change(3, &["b"], Mode::Fifo)).expect_err("3");
    assert_eq!(err.code(), "service_has_tickets");
}

#[test]
fn what_leaves_the_lobby_has_no_staff_device_or_hash() {
    let mut sim = Sim::new(spec());
    let events = admin(
        &mut sim,
        AdminChange::DeviceAdded {
            name: "TV 2".into(),
            role: DeviceRole::Display,
            counter: None,
            token_hash: "a".repeat(64),
        },
    )
    .expect("device");
    let scrubbed = super::scrub::scrub(&events[0]);
    let json = serde_json::to_string(&scrubbed).expect("ser");
    assert!(
        !json.contains("aaaaaaaa") && !json.contains("TV 2"),
        "{json}"
    );
    assert!(json.contains("\"of\":\"device_added\""), "{json}");
    admin(&mut sim, counter_change(1, &["b"], Mode::Fifo)).expect("counter");
    let started = start_of_day(&sim.state, sim.state.day.succ_opt().expect("day"));
    let json = serde_json::to_string(&super::scrub::scrub(&started)).expect("ser");
    assert!(
        !json.contains("aaaaaaaa") && !json.contains("audit"),
        "{json}"
    );
    assert!(json.contains("\"counters\":[{\"counter\":1"), "{json}");
}

fn arb_change() -> impl Strategy<Value = AdminChange> {
    let services = prop::sample::subsequence(vec!["a", "b"], 1..=2);
    prop_oneof![
        (1u32..=3, services, any::<bool>()).prop_map(|(n, s, ordered)| {
            counter_change(n, &s, if ordered { Mode::Ordered } else { Mode::Fifo })
        }),
        ("[a-z]{1,8}", prop::sample::select(vec!["a", "b"])).prop_map(|(name, id)| {
            AdminChange::ServiceChanged {
                id: ServiceId::new(id),
                name: Some(name),
                name_en: None,
                hours: None,
                target_wait_s: None,
                remote: Some(true),
                appointments: None,
                no_appointments: false,
                closed: None,
            }
        }),
        "[a-z ]{0,12}".prop_map(|vi| AdminChange::NoticeChanged {
            vi: Some(vi),
            en: None
        }),
        (prop::sample::select(vec!["nv01", "gs01"]), "[0-9a-f]{8}").prop_map(|(id, h)| {
            AdminChange::PinReset {
                id: StaffId(id.into()),
                pin_hash: h,
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the changes and wherever the day changes, the overlay that the journal's
    /// lines rebuild (the last `day_started` and what follows) is the one applied live.
    #[test]
    fn overlay_carries_through_day_changes(
        changes in prop::collection::vec(arb_change(), 0..12),
        cut in 0usize..12,
    ) {
        let mut sim = Sim::new(spec());
        let mut overlay = Overlay::default();
        let mut tail: Vec<Envelope> = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            if i == cut {
                let next = sim.state.day.succ_opt().expect("day");
                let started = start_of_day(&sim.state, next);
                sim.commit(vec![started]);
                tail = vec![sim.log.last().expect("logged").clone()];
            }
            let Ok(events) = admin(&mut sim, change.clone()) else { continue };
            for e in &events {
                if let Event::ConfigChanged { change, by } = e {
                    let seq = sim.log.last().map_or(0, |l| l.seq);
                    overlay.apply(change, by, seq, sim.now);
                }
            }
            if !tail.is_empty() {
                tail.extend(sim.log.last().cloned());
            }
        }
        prop_assert_eq!(overlay.effective(&sim.spec), sim.state.overlay.effective(&sim.spec));
        prop_assert_eq!(overlay.version, sim.state.overlay.version);
        let lines: Vec<Envelope> = if tail.is_empty() { sim.log.clone() } else { tail };
        let lines: Vec<Envelope> = lines
            .iter()
            .map(|e| serde_json::from_str(&serde_json::to_string(e).expect("ser")).expect("de"))
            .collect();
        let replayed = State::replay(&sim.spec, sim.state.day, &lines);
        prop_assert_eq!(&*replayed.overlay, &*sim.state.overlay);
    }
}

/// The province hub builds its read model from the lobby's scrubbed events: it gets the
/// effective spec (counters, services, notice) and no staff or device.
#[test]
fn the_hub_read_model_follows_the_queue_changes_from_scrubbed_events() {
    let mut sim = Sim::new(spec());
    admin(&mut sim, counter_change(3, &["b", "a"], Mode::Ordered)).expect("counter");
    admin(
        &mut sim,
        AdminChange::NoticeChanged {
            vi: Some("Thông báo".into()),
            en: None,
        },
    )
    .expect("notice");
    admin(
        &mut sim,
        AdminChange::StaffAdded {
            id: StaffId("c01".into()),
            name: "Lê Văn C".into(),
            supervisor: false,
            pin_hash: "$argon2id$secret".into(),
        },
    )
    .expect("staff");
    let shipped: Vec<Arc<Envelope>> = sim
        .log
        .iter()
        .map(|e| {
            Arc::new(Envelope {
                seq: e.seq,
                at: e.at,
                event: super::scrub::scrub(&e.event),
            })
        })
        .collect();
    let info = Arc::new(crate::read::CentreInfo::named("Test", "Test"));
    let model = crate::read::ReadModel::replay(
        Arc::new(sim.spec.clone()),
        info,
        sim.state.day,
        shipped.iter().map(|e| &**e),
        sim.now,
    );
    assert_eq!(*model.spec(), sim.state.overlay.effective(&sim.spec));
    assert_eq!(model.centre().notice.as_deref(), Some("Thông báo"));
    assert!(model.lobby().overlay.staff.is_empty());
    let json = serde_json::to_string(&shipped).expect("ser");
    assert!(
        !json.contains("argon2") && !json.contains("Lê Văn C"),
        "{json}"
    );
}

#[test]
fn the_audit_names_services_when_it_is_read_with_the_spec_of_that_moment() {
    let mut sim = Sim::new(spec());
    admin(&mut sim, counter_change(3, &["b", "a"], Mode::Ordered)).expect("counter");
    let entry = sim.state.overlay.audit.back().cloned().expect("an entry");
    // Folded: by id only, whatever the spec (live and replay fold with different specs).
    assert!(entry.summary.contains("lĩnh vực b, a"), "{}", entry.summary);
    let mut now = spec();
    for s in &mut now.services {
        if s.id.as_str() == "b" {
            s.name = "Hộ tịch".into();
            s.name_en = "Civil status".into();
        }
    }
    // Read: named with the spec given, a service that is gone keeps its id.
    now.services.retain(|s| s.id.as_str() != "a");
    let (vi, en) = entry.rendered(&now);
    assert!(vi.contains("lĩnh vực Hộ tịch (b), a ("), "{vi}");
    assert!(en.contains("services Civil status (b), a ("), "{en}");
    // Entries of changes that name no service read as folded.
    admin(
        &mut sim,
        AdminChange::NoticeChanged {
            vi: Some("x".into()),
            en: None,
        },
    )
    .expect("notice");
    let notice = sim.state.overlay.audit.back().cloned().expect("an entry");
    assert_eq!(
        notice.rendered(&now),
        (notice.summary.clone(), notice.summary_en.clone())
    );
}
