//! A fixed salsa bug the suite finds on 0.24.0 and 0.25.2, reduced here to salsa alone: a
//! tracked struct created in every iteration of a fixpoint, with its identity fields the same
//! each time, must be the same struct in every iteration, and its `#[tracked]` field read
//! back must be the value this iteration wrote.
//!
//! `count` is a self-cycle that climbs to a limit: each iteration stores the next count in a
//! `Slot` (identity: a constant key) and answers with the slot's field. Before salsa#1068
//! (0.26.0, "Fix stale tracked struct values in later iterations") the disambiguators were not
//! seeded in later iterations, so the struct of iteration 2 was not the struct of iteration
//! 1, the field read back was stale, the value stopped changing and the cycle "converged"
//! below the limit. The database meets it in `infer_return`, which stores each type it infers
//! in an `InferredReturn` (the suite's finding on 0.25.2: a self-recursive function whose
//! return type lost a member; the same on 0.24.0, gone on 0.26.0). This reduction answers 1
//! instead of 5 on 0.22.0 and 0.23.0 (built in the older cycle API, 2026-12-02).
//!
//! On a release the registry lists as buggy the test asserts the wrong answer, so it fails if
//! the bug is not there.

// The cycle functions come in both of salsa's cycle APIs: from 0.25 `cycle_fn` takes `&Cycle`
// and `cycle_initial` the query's id (`cfg(salsa_cycle_fn_each_iteration)`); before, `cycle_fn`
// takes the iteration count and returns `CycleRecoveryAction`.

mod common;

use common::has_bug;
use salsa::Database;

#[salsa::input]
struct Limit {
    #[returns(copy)]
    value: u32,
}

#[salsa::tracked(debug)]
struct Slot<'db> {
    key: u32,
    #[tracked]
    #[returns(copy)]
    value: u32,
}

/// Climbs from 0 to the limit, one per iteration, through a `Slot` made in each iteration.
#[salsa::tracked(returns(copy), cycle_fn = keep, cycle_initial = zero)]
fn count(db: &dyn Database, limit: Limit) -> u32 {
    let next = (count(db, limit) + 1).min(limit.value(db));
    Slot::new(db, 0, next).value(db)
}

#[cfg(salsa_cycle_fn_each_iteration)]
fn zero(_db: &dyn Database, _id: salsa::Id, _limit: Limit) -> u32 {
    0
}

#[cfg(salsa_cycle_fn_each_iteration)]
fn keep(_db: &dyn Database, _: &salsa::Cycle, _: &u32, value: u32, _limit: Limit) -> u32 {
    value
}

#[cfg(not(salsa_cycle_fn_each_iteration))]
fn zero(_db: &dyn Database, _limit: Limit) -> u32 {
    0
}

#[cfg(not(salsa_cycle_fn_each_iteration))]
fn keep(_db: &dyn Database, _: &u32, _: u32, _limit: Limit) -> salsa::CycleRecoveryAction<u32> {
    salsa::CycleRecoveryAction::Iterate
}

/// Salsa features: fixpoint iteration of a self-cycle, a tracked struct created in every
/// iteration with the same identity fields, a `#[tracked]` field read in the iteration that
/// wrote it.
#[test]
fn a_tracked_struct_made_in_each_fixpoint_iteration_carries_that_iterations_value() {
    let db = salsa::DatabaseImpl::default();
    let limit = Limit::new(&db, 5);
    let got = count(&db, limit);
    if has_bug("salsa#1068") {
        assert_ne!(got, 5, "the bug is gone from this salsa");
    } else {
        assert_eq!(got, 5);
    }
}
