//! Counter commands carry the acting clerk (issue 13): a click that reaches the writer after
//! another clerk logged in at that counter is refused with `not_on_duty`, and changes nothing.

use super::*;

fn as_clerk(staff: &str, command: Command) -> Command {
    Command::AsClerk {
        staff: StaffId(staff.to_string()),
        command: Box::new(command),
    }
}

fn login(sim: &mut Sim, staff: &str, c: u32) {
    let clerk = ClerkRef {
        id: StaffId(staff.to_string()),
        name: staff.to_uppercase(),
        photo: None,
    };
    sim.exec(Command::Login {
        counter: CounterId(c),
        clerk,
    })
    .expect("login");
}

#[test]
fn a_click_after_another_clerks_login_is_refused_and_changes_nothing() {
    let mut sim = Sim::new(spec());
    login(&mut sim, "nv01", 1);
    let (first, _) = sim.issue("a", None);
    let (second, _) = sim.issue("a", None);
    let called = sim
        .exec(as_clerk(
            "nv01",
            Command::Next {
                counter: CounterId(1),
            },
        ))
        .expect("nv01 is on duty");
    let ticket = called.iter().find_map(Event::ticket).expect("a call");
    assert_eq!(
        (ticket.id, ticket.clerk.clone()),
        (first, Some(StaffId("nv01".into())))
    );

    // nv02 logs in at counter 1; nv01's next click arrives after.
    login(&mut sim, "nv02", 1);
    let view = |s: &State| (s.seq, s.tickets.clone(), s.counters.clone());
    let before = view(&sim.state);
    for cmd in [
        Command::Next {
            counter: CounterId(1),
        },
        Command::Recall {
            counter: CounterId(1),
        },
        Command::NoShow {
            counter: CounterId(1),
        },
        Command::Finish {
            counter: CounterId(1),
        },
        Command::Transfer {
            counter: CounterId(1),
            service: ServiceId::new("b"),
        },
        Command::SetStatus {
            counter: CounterId(1),
            status: CounterStatus::Paused,
        },
    ] {
        assert_eq!(
            sim.exec(as_clerk("nv01", cmd.clone())),
            Err(DomainError::NotOnDuty(1)),
            "{cmd:?}"
        );
    }
    assert_eq!(
        view(&sim.state),
        before,
        "a refused command changes nothing"
    );
    assert_eq!(DomainError::NotOnDuty(1).code(), "not_on_duty");

    // The clerk on duty works as before; the call is theirs.
    let called = sim
        .exec(as_clerk(
            "nv02",
            Command::Next {
                counter: CounterId(1),
            },
        ))
        .expect("nv02 is on duty");
    let ticket = called
        .iter()
        .filter_map(Event::ticket)
        .find(|t| t.status == Status::Called)
        .expect("a call");
    assert_eq!(
        (ticket.id, ticket.clerk.clone()),
        (second, Some(StaffId("nv02".into())))
    );
}

#[test]
fn only_counter_commands_can_be_sent_as_a_clerk() {
    let mut sim = Sim::new(spec());
    login(&mut sim, "nv01", 1);
    let cmd = as_clerk(
        "nv01",
        Command::Issue {
            service: ServiceId::new("a"),
            priority: None,
            remote: false,
        },
    );
    assert_eq!(
        sim.exec(cmd),
        Err(DomainError::InvalidState(Reason::NotYourCounter))
    );
    // An unknown counter is still `unknown_counter`, and nobody is on duty at a closed one.
    assert_eq!(
        sim.exec(as_clerk(
            "nv01",
            Command::Next {
                counter: CounterId(9)
            }
        )),
        Err(DomainError::UnknownCounter(9))
    );
    assert_eq!(
        sim.exec(as_clerk(
            "nv01",
            Command::Next {
                counter: CounterId(2)
            }
        )),
        Err(DomainError::NotOnDuty(2))
    );
}
