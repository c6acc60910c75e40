//! A fixed salsa bug the suite finds on 0.22.0 and 0.23.0, reduced here to salsa alone.
//!
//! A fixpoint head that panics in the middle of an iteration left its provisional memo in the
//! memo table. In a later revision that changed only inputs of lower durability, that memo
//! shallow-verified (its durability is HIGH), was marked verified and final, and its stale
//! provisional value came back as the answer. Fixed in 0.24.0 by salsa#993 ("Cleanup
//! provisional cycle head memos when query panics"), which replaces such a memo with the
//! cycle's initial one when the head unwinds.
//!
//! `head` and `mid` form a cycle that climbs to the input's `max` (3), one per iteration;
//! `head` panics once, at the iteration where `mid` answers 1. After a LOW synthetic write,
//! both must answer 3; with the bug they answer 1. The suite meets it as salsa's `assert_eq`
//! on a head's iteration counts (`corpus/regressions/0010`: a panic injected at a
//! cancellation check inside a star-import cycle, then every query asked again); the
//! reduction comes from a helper's reading of the fix (2026-12-02: 1 and 1 on 0.22.0, 0.23.0
//! and the fix's parent `e257df12`, 3 and 3 at `29ab321b` and 0.24.0).
//!
//! On a release the registry lists as buggy the test asserts the wrong answer, so it fails if
//! the bug is not there.

mod common;

use common::has_bug;
use salsa::{Database, Durability};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};

/// Armed for the one execution that must panic (the only test in this binary reads it).
static PANIC: AtomicBool = AtomicBool::new(false);

#[salsa::input]
struct Input {
    #[returns(copy)]
    max: u32,
}

#[salsa::tracked(returns(copy), cycle_fn = keep, cycle_initial = zero)]
fn head(db: &dyn Database, input: Input) -> u32 {
    let below = mid(db, input);
    if below == 1 && PANIC.swap(false, Ordering::SeqCst) {
        panic!("a panic inside the fixpoint head");
    }
    (below + 1).min(input.max(db))
}

#[salsa::tracked(returns(copy))]
fn mid(db: &dyn Database, input: Input) -> u32 {
    head(db, input)
}

#[cfg(salsa_cycle_fn_each_iteration)]
fn zero(_db: &dyn Database, _id: salsa::Id, _input: Input) -> u32 {
    0
}

#[cfg(salsa_cycle_fn_each_iteration)]
fn keep(_db: &dyn Database, _: &salsa::Cycle, _: &u32, value: u32, _input: Input) -> u32 {
    value
}

#[cfg(not(salsa_cycle_fn_each_iteration))]
fn zero(_db: &dyn Database, _input: Input) -> u32 {
    0
}

#[cfg(not(salsa_cycle_fn_each_iteration))]
fn keep(_db: &dyn Database, _: &u32, _: u32, _input: Input) -> salsa::CycleRecoveryAction<u32> {
    salsa::CycleRecoveryAction::Iterate
}

/// Salsa features: fixpoint iteration of a two-query cycle, a panic unwinding out of the head
/// mid-iteration, shallow verification by durability in the next revision.
#[test]
fn a_head_that_panicked_mid_iteration_answers_from_scratch_in_the_next_revision() {
    let mut db = salsa::DatabaseImpl::default();
    let input = Input::builder(3).durability(Durability::HIGH).new(&db);
    PANIC.store(true, Ordering::SeqCst);
    let unwound = std::panic::catch_unwind(AssertUnwindSafe(|| head(&db, input)));
    assert!(unwound.is_err(), "the head panicked");
    db.synthetic_write(Durability::LOW);
    let answers = (head(&db, input), mid(&db, input));
    if has_bug("salsa#993") {
        assert_ne!(answers, (3, 3), "the bug is gone from this salsa");
    } else {
        assert_eq!(answers, (3, 3));
    }
}
