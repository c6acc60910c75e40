//! salsa's own open bug of displaced memos, shown with a plain value: one revision, one
//! thread, and a query that answers something its only dependency does not.
//!
//! salsa 0.28.5's `tests/cycle_displaced_memo.rs` builds this graph with an interned value and
//! expects a panic, with a TODO to "fix validation of displaced memos": #1329 made reading an
//! interned value that validation left behind panic, and the bug itself stays. The graph:
//! `consumer` returns what `producer` returns; `producer` and `recursive_reader` call each
//! other; `condition` and `outer` call each other (`condition = !outer`), and `outer` calls
//! `dependency`, which calls `recursive_reader` only when the input is enabled. After the
//! input changes, asking `consumer` verifies `producer`'s memo; that re-executes `dependency`,
//! which now calls `recursive_reader` and so `producer`, whose query this thread already
//! holds: salsa puts `producer`'s initial value in its slot while the old memo is still being
//! verified (the memo is displaced), and `consumer` comes out verified with its old value.
//!
//! With a plain value instead of an interned one nothing panics, on 0.28.5 either: `consumer`
//! answers `Some(1)` and `producer`, asked next in the same revision, `None`, though
//! `consumer` is `producer` and nothing else. A fresh database answers `None` for both. (On
//! 0.25.2 both answer `Some(1)`: consistent, though not what a fresh database answers, which
//! `condition = !outer` allows, since a cycle of a query that is not monotone has an answer that
//! depends on the order it is solved in. Only the disagreement between the two queries is
//! asserted as the bug.)
//!
//! Known open on the releases the registry lists (`open-0010`, 0.26.2 to 0.28.5; measured as
//! a standalone program on 0.26.2, 0.27.2, 0.28.1, 0.28.2 and 0.28.5): the test asserts the
//! wrong answer there, so it fails the day salsa fixes the bug.
//!
//! The suite's database has not shown it, and its rules make that unlikely: they are monotone,
//! and with `condition = outer` instead of `!outer` the same program on 0.28.5 answers `None`
//! for both queries after the edit; the displaced memo then does no harm.

// salsa 0.25's cycle API (`cycle_initial` takes the query's id).
#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use common::has_bug;
use salsa::{Database, Setter};

#[salsa::input]
struct Input {
    #[returns(copy)]
    enabled: bool,
}

/// What `producer` returns, and nothing else.
#[salsa::tracked(returns(copy))]
fn consumer(db: &dyn Database, input: Input) -> Option<u32> {
    producer(db, input)
}

#[salsa::tracked(returns(copy), cycle_initial = initial_true)]
fn recursive_reader(db: &dyn Database, input: Input) -> bool {
    producer(db, input).is_some()
}

#[salsa::tracked(returns(copy), cycle_initial = initial_none)]
fn producer(db: &dyn Database, input: Input) -> Option<u32> {
    condition(db, input);
    let present = recursive_reader(db, input);
    present.then_some(u32::from(present))
}

#[salsa::tracked(returns(copy), cycle_initial = initial_false)]
fn condition(db: &dyn Database, input: Input) -> bool {
    !outer(db, input)
}

#[salsa::tracked(returns(copy), cycle_initial = initial_false)]
fn outer(db: &dyn Database, input: Input) -> bool {
    if condition(db, input) {
        dependency(db, input);
    }
    true
}

/// Reads the input; calls `recursive_reader` once it is enabled.
#[salsa::tracked(returns(copy))]
fn dependency(db: &dyn Database, input: Input) {
    if input.enabled(db) {
        recursive_reader(db, input);
    }
}

fn initial_true(_db: &dyn Database, _id: salsa::Id, _input: Input) -> bool {
    true
}

fn initial_false(_db: &dyn Database, _id: salsa::Id, _input: Input) -> bool {
    false
}

fn initial_none(_db: &dyn Database, _id: salsa::Id, _input: Input) -> Option<u32> {
    None
}

/// Salsa features: fixpoint iteration (`cycle_initial`) in two cycles, deep verification of a
/// cycle head's memo after an input write, a cycle that forms during that verification (a
/// re-executed dependency calls back into the head being verified).
#[test]
fn known_open_a_memo_displaced_during_its_verification_leaves_its_reader_stale() {
    let mut db = salsa::DatabaseImpl::default();
    let input = Input::new(&db, false);
    outer(&db, input);
    recursive_reader(&db, input);
    assert_eq!(consumer(&db, input), Some(1));

    input.set_enabled(&mut db).to(true);
    let consumed = consumer(&db, input);
    let produced = producer(&db, input);

    let fresh = salsa::DatabaseImpl::default();
    let fresh_input = Input::new(&fresh, true);
    assert_eq!(consumer(&fresh, fresh_input), None);
    assert_eq!(producer(&fresh, fresh_input), None);

    if has_bug("open-0010") {
        // What salsa should answer: the same for both. What it does:
        assert_eq!(
            (consumed, produced),
            (Some(1), None),
            "salsa fixed it: update the registry"
        );
    } else {
        assert_eq!(consumed, produced, "consumer answers what producer does");
    }
}
