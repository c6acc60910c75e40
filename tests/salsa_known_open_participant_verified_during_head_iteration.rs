//! A salsa bug a 10-minute campaign found after conditionals began to skip the branches their
//! test rules out, reduced here to salsa alone.
//!
//! Two fixpoint queries: `x` returns `p`; `p` joins `x`, a constant, and, only when its own
//! provisional value is non-zero, an input field (`late`). So `p` reads `late` only from its
//! second iteration on, as a ty conditional whose test is bottom in the first iteration
//! reaches a call only later. In the first revision the cycle converges at `p = x = 1`. Then
//! `late` changes: salsa re-executes `p`, and in its first iteration `p` reads `x`, whose old
//! memo salsa verifies (its one dependency, `p`, is the query running) and marks verified in
//! this revision; `p`'s later iterations reuse that memo instead of re-executing `x`, so `p`
//! becomes 3 and `x` stays 1, where a fresh database answers 3 for both. With `late` read in
//! every iteration, or without the `always` read that makes the first iteration's durability
//! LOW (so that the first revision converges one iteration earlier), it does not happen.
//!
//! Why, as far as salsa 0.28.5's code tells (`function/execute.rs`, `complete_cycle_query` and
//! `flatten_cycle_dependencies`): a participant's memo keeps, instead of its edge to the head,
//! the inputs of the head's memo as it was when the participant completed. `x` last completed
//! in iteration 1, when `p`'s memo was iteration 0's, which never read `late` (`p` reads it
//! after `x` in iteration 1). So `x`'s memo depends on `always` alone; after `late` changes,
//! deep verification finds it unchanged and marks it verified for the revision, and the
//! re-executing head reuses it. Related to salsa#1326 (open: an input read conditionally, a
//! cycle entered from different heads), with one head here.
//!
//! Known open on the releases the registry lists (`open-0008`, 0.26.0 to 0.28.5, the same
//! program built against each): the test asserts the wrong answer there, so it fails the
//! day salsa fixes the bug.

// Written in salsa 0.25's cycle API (`cycle_fn` takes `&Cycle`, `cycle_initial` the
// query's id): the bug came later.
#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use common::has_bug;
use salsa::{Database, Setter};

#[salsa::input]
struct Input {
    always: u32,
    late: u8,
}

/// `x`, joined with 1, and with `late` once its own provisional value is non-zero.
#[salsa::tracked(returns(copy), cycle_fn = keep_p, cycle_initial = zero_p)]
fn p(db: &dyn Database, input: Input) -> u8 {
    input.always(db);
    let mut value = x(db, input) | 1;
    if p(db, input) != 0 {
        value |= input.late(db);
    }
    value
}

/// What `p` answers.
#[salsa::tracked(returns(copy), cycle_fn = keep_x, cycle_initial = zero_x)]
fn x(db: &dyn Database, input: Input) -> u8 {
    p(db, input)
}

fn zero_p(_db: &dyn Database, _id: salsa::Id, _input: Input) -> u8 {
    0
}

fn keep_p(_db: &dyn Database, _: &salsa::Cycle, _: &u8, value: u8, _input: Input) -> u8 {
    value
}

fn zero_x(_db: &dyn Database, _id: salsa::Id, _input: Input) -> u8 {
    0
}

fn keep_x(_db: &dyn Database, _: &salsa::Cycle, _: &u8, value: u8, _input: Input) -> u8 {
    value
}

/// Salsa features: fixpoint iteration (`cycle_fn`, `cycle_initial`), a dependency that joins a
/// cycle in its second iteration, deep verification of a participant's memo while its head
/// re-executes in a new revision.
#[test]
fn known_open_a_participant_verified_while_its_head_reruns_keeps_its_old_value() {
    let mut db = salsa::DatabaseImpl::default();
    let input = Input::new(&db, 0, 0);
    assert_eq!((p(&db, input), x(&db, input)), (1, 1));

    input.set_late(&mut db).to(2);
    let after = (p(&db, input), x(&db, input));

    let fresh = salsa::DatabaseImpl::default();
    let fresh_input = Input::new(&fresh, 0, 2);
    assert_eq!((p(&fresh, fresh_input), x(&fresh, fresh_input)), (3, 3));

    if has_bug("open-0008") {
        // What salsa should answer: `(3, 3)`. What it does:
        assert_eq!(after, (3, 1), "salsa fixed it: update the registry");
    } else {
        assert_eq!(after, (3, 3));
    }
}
