//! A fixed salsa bug the suite finds on 0.28.1, reduced here to salsa alone, on one thread.
//!
//! salsa#1263 ("Can't merge cycle heads ... with different iterations", fixed in 0.28.2 by
//! "propagate poisoned cycle heads") was reported from ty#4077 and tested by salsa with four
//! threads entering overlapping attribute/range cycles at once
//! (`tests/parallel/cycle_merge_after_panic.rs`). The suite's finding
//! (`corpus/regressions/0011`) needs no concurrency: one request panics in a recovery
//! function deep inside the cycle, which leaves every memo on its stack poisoned (no value,
//! back at iteration 0), and the next request of the same revision, entering the cycle at
//! another head, merges a poisoned head with a provisional memo of a later iteration.
//!
//! Here that graph, smaller: `attribute(scope, index, infer)` and `range(scope, chunk)` as in
//! salsa's test (2 scopes, 4 expressions, chunks of 2, values saturating at 2, the late
//! dependency opening at 2; `cycle_fn` adds one per iteration, as there), asked on one thread:
//! `attribute(1, 1, false)` with the 6th recovery call panicking, then `attribute(0, 3,
//! false)`. On 0.28.1 the second panics with salsa's merge assertion; from 0.28.2 it unwinds
//! with `Cancelled::PropagatedPanic` or answers. (Measured with a program of salsa's own
//! test, 2026-12-02: the same first-then-second on one thread fails deterministically on
//! 0.28.1 for these parameters and for the test's own (3 scopes, 16 expressions, the 17th
//! recovery), never on 0.28.2.)
//!
//! On a release the registry lists as buggy the test asserts the merge panic, so it fails if
//! the bug is not there.

// Written in salsa 0.25's cycle API (`cycle_fn` is called after every iteration, with
// `&Cycle`); the bug came later.
#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

use common::{has_bug, panic_message};
use salsa::Database;

const SCOPES: u32 = 2;
const EXPRESSIONS: u32 = 4;
const CHUNK: u32 = 2;
const LIMIT: u32 = 2;
/// The recovery call that panics.
const PANIC_AT: u32 = 6;

thread_local! {
    /// `attribute`'s recovery calls so far on this thread (the test runs on one).
    static RECOVERIES: Cell<u32> = const { Cell::new(0) };
}

#[salsa::tracked(returns(copy), cycle_fn = grow, cycle_initial = zero)]
fn attribute(db: &dyn Database, scope: u32, index: u32, infer: bool) -> u32 {
    if infer {
        for chunk in 0..index / CHUNK {
            range(db, scope, chunk);
        }
        // Salsa's test adds `(index + 1) % (SCOPES - 1)`, always 0 with two scopes.
        let target = (scope + 1) % SCOPES;
        attribute(db, target, index % 7, false)
    } else {
        let first = attribute(db, scope, (index + 2) % 3, true);
        if first >= LIMIT {
            let expression = EXPRESSIONS - 1 - (3 * index) % (EXPRESSIONS / 2);
            let other = (scope + 1 + index % SCOPES) % SCOPES;
            attribute(db, other, expression, true);
        }
        (first + 1).min(LIMIT)
    }
}

#[salsa::tracked(returns(copy), cycle_fn = keep_unit, cycle_initial = unit)]
fn range(db: &dyn Database, scope: u32, chunk: u32) {
    for expression in chunk * CHUNK..(chunk + 1) * CHUNK {
        attribute(db, scope, expression, true);
    }
}

fn zero(_db: &dyn Database, _id: salsa::Id, _scope: u32, _index: u32, _infer: bool) -> u32 {
    0
}

/// One more per iteration, up to the limit (salsa's test's recovery); the `PANIC_AT`-th call
/// panics.
fn grow(
    _db: &dyn Database,
    _cycle: &salsa::Cycle,
    previous: &u32,
    _value: u32,
    _scope: u32,
    _index: u32,
    _infer: bool,
) -> u32 {
    let call = RECOVERIES.with(|calls| {
        calls.set(calls.get() + 1);
        calls.get()
    });
    if call == PANIC_AT {
        panic!("a recovery function panicking");
    }
    (previous + 1).min(LIMIT)
}

fn unit(_db: &dyn Database, _id: salsa::Id, _scope: u32, _chunk: u32) {}

fn keep_unit(
    _db: &dyn Database,
    _cycle: &salsa::Cycle,
    _previous: &(),
    _value: (),
    _scope: u32,
    _chunk: u32,
) {
}

/// The message of a panic payload, or `None` for salsa's `Cancelled`.
fn message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    (!payload.is::<salsa::Cancelled>()).then(|| panic_message(payload))
}

/// Salsa features: fixpoint iteration over overlapping cycles with members that join late, a
/// recovery function (`cycle_fn`) that panics, the memos an unwind poisons, a second entry
/// into the cycle in the same revision.
#[test]
fn a_query_entering_a_cycle_whose_recovery_panicked_does_not_merge_poisoned_heads() {
    let db = salsa::DatabaseImpl::default();
    RECOVERIES.with(|calls| calls.set(0));
    let first = panic::catch_unwind(AssertUnwindSafe(|| attribute(&db, 1, 1, false)));
    let first = first.expect_err("the recovery function panicked");
    assert_eq!(
        message(first.as_ref()).as_deref(),
        Some("a recovery function panicking")
    );

    let second = panic::catch_unwind(AssertUnwindSafe(|| attribute(&db, 0, 3, false)));
    let second = second.err().and_then(|payload| message(payload.as_ref()));
    if has_bug("salsa#1263") {
        let second = second.expect("the second entry panicked");
        assert!(
            second.contains("Can't merge cycle heads"),
            "the second entry panicked otherwise: {second}"
        );
    } else {
        assert_eq!(second, None, "an answer or salsa's `Cancelled`");
    }
}
