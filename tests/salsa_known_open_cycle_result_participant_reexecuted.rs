//! A salsa bug the suite found within seconds of its first campaign with `class_mro` (a
//! `cycle_result` query), reduced here to salsa alone.
//!
//! Two queries with `cycle_result` (an immediate fallback) call each other, so they form one
//! cycle. Salsa gives every participant of such a cycle its fallback "so that the results
//! don't depend on the query call order" (salsa's `function/execute.rs`). Ask `b` in one
//! revision: `b` heads the cycle, `a` is a participant, both take their fallback. Then a new
//! revision that changes nothing the queries read (a `synthetic_write` at LOW, the durability
//! of their input), and ask `a` first: salsa re-executes `a` alone, `a` reads `b`'s memo
//! (verified, no cycle this time) and answers `["a", "b (cycle)"]`, though nothing changed and
//! a fresh database, or the same one asked `b` first, answers `a`'s fallback. Setting the
//! input to the same value again brings the fallback back.
//!
//! Known open on the releases the registry lists (`open-0007`, 0.26.0 to 0.28.5): the test
//! asserts the wrong answer there, so it fails the day salsa fixes the bug.

// Written in salsa 0.25's cycle API (`cycle_fn` takes `&Cycle`, `cycle_initial` the
// query's id): the bug came later.
#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use common::has_bug;
use salsa::{Database, Durability};

#[salsa::input]
struct Input {
    value: u32,
}

/// Itself, then what `b` answers.
#[salsa::tracked(returns(clone), cycle_result = fallback_a)]
fn a(db: &dyn Database, input: Input) -> Vec<&'static str> {
    let mut order = vec!["a"];
    order.extend(b(db, input));
    order
}

/// Reads the input, then itself and what `a` answers.
#[salsa::tracked(returns(clone), cycle_result = fallback_b)]
fn b(db: &dyn Database, input: Input) -> Vec<&'static str> {
    input.value(db);
    let mut order = vec!["b"];
    order.extend(a(db, input));
    order
}

fn fallback_a(_db: &dyn Database, _id: salsa::Id, _input: Input) -> Vec<&'static str> {
    vec!["a (cycle)"]
}

fn fallback_b(_db: &dyn Database, _id: salsa::Id, _input: Input) -> Vec<&'static str> {
    vec!["b (cycle)"]
}

/// Salsa features: `cycle_result` (FallbackImmediate), deep verification of a cycle
/// participant's memo in a revision with no change (`synthetic_write`).
#[test]
fn known_open_a_cycle_result_participant_asked_first_after_a_no_op_revision_loses_its_fallback() {
    let mut db = salsa::DatabaseImpl::default();
    let input = Input::new(&db, 0);
    assert_eq!(b(&db, input), ["b (cycle)"]);

    db.synthetic_write(Durability::LOW);
    let after = a(&db, input);

    // A fresh database answers `a`'s fallback whichever query it is asked first.
    let fresh = salsa::DatabaseImpl::default();
    let fresh_input = Input::new(&fresh, 0);
    assert_eq!(a(&fresh, fresh_input), ["a (cycle)"]);

    if has_bug("open-0007") {
        // What salsa should answer: `["a (cycle)"]`. What it does:
        assert_eq!(
            after,
            ["a", "b (cycle)"],
            "salsa fixed it: update the registry"
        );
    } else {
        assert_eq!(after, ["a (cycle)"]);
    }
}

/// The same participant, re-executed alone in the same revision: ask `a` (the head; `b` a
/// participant, both at their fallbacks), then `trigger_cancellation` (what a write that
/// cancels the other handles leaves behind when it has not started a revision yet: salsa
/// 0.27's cancellation count moves), then `b`. Nothing was written, yet `b` runs again, reads
/// `a`'s fallback without a cycle, and answers `["b", "a (cycle)"]`. The suite met it through
/// an injected cancellation during a whole-project check (`fault cancel at intern N`), which
/// its campaigns group with open-0007: the answer is the same participant's without its
/// fallback.
#[test]
fn known_open_a_cycle_result_participant_asked_after_a_cancellation_in_the_same_revision_loses_its_fallback()
 {
    let mut db = salsa::DatabaseImpl::default();
    let input = Input::new(&db, 0);
    assert_eq!(a(&db, input), ["a (cycle)"]);

    db.trigger_cancellation();
    let after = b(&db, input);

    // A fresh database answers `b`'s fallback whichever query it is asked first.
    let fresh = salsa::DatabaseImpl::default();
    let fresh_input = Input::new(&fresh, 0);
    assert_eq!(b(&fresh, fresh_input), ["b (cycle)"]);
    assert_eq!(a(&fresh, fresh_input), ["a (cycle)"]);

    if has_bug("open-0007") && cfg!(salsa_local_cancellation) {
        // What salsa should answer: `["b (cycle)"]`. What it does:
        assert_eq!(
            after,
            ["b", "a (cycle)"],
            "salsa fixed it: update the registry"
        );
    } else {
        assert_eq!(after, ["b (cycle)"]);
    }
}
