//! A fixed salsa bug the suite found on 0.24.0 with its recovery fault points, reduced here to
//! salsa alone.
//!
//! `a` and `b` make one fixpoint cycle, headed by `a`. Its recovery function (`cycle_fn`)
//! panics once, the first time salsa calls it. Asked again in the same revision, salsa 0.24.0
//! trips its own assertion "`fetch_cold_cycle` should have inserted a provisional memo with
//! Cycle::initial"; 0.22.0 and 0.23.0 answer (5), and from 0.25.0 salsa unwinds with
//! `Cancelled::PropagatedPanic` for the rest of the revision. A panic in the query's body
//! instead does not show it. Checked as standalone programs on 0.22.0, 0.23.0, 0.24.0, 0.25.0,
//! 0.25.2 and 0.26.0, and on salsa's history: fixed at `ef9f9329` (#999, "Run fixpoint per
//! strongly connected component"), present at its parent.
//!
//! On a release the registry lists as buggy the test asserts salsa's panic, so it fails if
//! the bug is not there.

mod common;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use common::{has_bug, panic_message};
use salsa::Database;

/// Whether the recovery function still has its panic to throw (one test uses it).
static PANIC_ONCE: AtomicBool = AtomicBool::new(true);

#[salsa::input]
struct Input {
    #[returns(copy)]
    value: u32,
}

#[salsa::tracked(returns(copy), cycle_fn = recover, cycle_initial = initial)]
fn a(db: &dyn Database, input: Input) -> u32 {
    b(db, input).max(input.value(db)).min(5)
}

#[salsa::tracked(returns(copy), cycle_fn = recover, cycle_initial = initial)]
fn b(db: &dyn Database, input: Input) -> u32 {
    a(db, input) + 1
}

fn panic_once() {
    if PANIC_ONCE.swap(false, Ordering::SeqCst) {
        panic!("recovery");
    }
}

#[cfg(salsa_cycle_fn_each_iteration)]
fn initial(_db: &dyn Database, _id: salsa::Id, _input: Input) -> u32 {
    0
}

#[cfg(salsa_cycle_fn_each_iteration)]
fn recover(
    _db: &dyn Database,
    _cycle: &salsa::Cycle,
    _last: &u32,
    value: u32,
    _input: Input,
) -> u32 {
    panic_once();
    value
}

#[cfg(not(salsa_cycle_fn_each_iteration))]
fn initial(_db: &dyn Database, _input: Input) -> u32 {
    0
}

#[cfg(not(salsa_cycle_fn_each_iteration))]
fn recover(
    _db: &dyn Database,
    _value: &u32,
    _count: u32,
    _input: Input,
) -> salsa::CycleRecoveryAction<u32> {
    panic_once();
    salsa::CycleRecoveryAction::Iterate
}

/// Salsa features: fixpoint iteration with a panicking recovery function, the head asked
/// again in the same revision.
#[test]
fn a_head_asked_again_after_its_recovery_function_panicked() {
    let db = salsa::DatabaseImpl::default();
    let input = Input::new(&db, 1);
    let first = panic::catch_unwind(AssertUnwindSafe(|| a(&db, input)));
    assert_eq!(
        first.map_err(|payload| panic_message(payload.as_ref())),
        Err("recovery".to_owned())
    );
    let again = panic::catch_unwind(AssertUnwindSafe(|| a(&db, input)));
    match again {
        Err(payload) if has_bug("salsa#999") => assert!(
            panic_message(payload.as_ref()).contains("should have inserted a provisional memo"),
            "{}",
            panic_message(payload.as_ref())
        ),
        Ok(value) => {
            assert!(!has_bug("salsa#999"), "the bug is gone from this salsa");
            assert_eq!(value, 5);
        }
        Err(payload) => assert!(
            payload.is::<salsa::Cancelled>(),
            "only salsa's propagated panic, not {}",
            panic_message(payload.as_ref())
        ),
    }
}
