//! A salsa bug the campaign found with the star-closure queries (`salsa-fuzz run --time 40s
//! --jobs 1 --sequential`, seed 0, on salsa 0.28.5: six findings within 10 s, every one after a
//! step that cancels without starting a revision: `cancel`, `lru-evict`, `lru-capacity N`, an
//! injected cancellation), reduced here to salsa alone. It is the pattern of salsa's own
//! `tests/cycle_specify.rs`: a fixpoint query creates a tracked struct, assigns a value on it
//! (`specify`) and reads it back through another query. After `trigger_cancellation()` (or
//! `trigger_lru_eviction()`) in the same revision, the read gets the function's body instead of
//! the assigned value; without it, the assigned value.
//!
//! Likely cause (our reading, not confirmed by a fix): since salsa#1238 (0.28.0) a memo's
//! iteration stamp carries the revision's cancellation count, which those calls bump without a
//! new revision; `specify_and_record` stamps a provisional assigned memo with
//! `IterationStamp::default()` (count 0), so it no longer looks like the current iteration's.
//!
//! Known open on the releases the registry lists: the test asserts the wrong answer there, so
//! it fails the day salsa fixes the bug; then move the fix release into `known_bugs.rs`.

// Written in salsa 0.25's cycle API (`cycle_fn` takes `&Cycle`, `cycle_initial` the
// query's id): the bug came later.
#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use common::has_bug;

#[salsa::tracked]
struct Item<'db> {
    #[returns(copy)]
    value: (),
}

#[salsa::tracked(returns(copy), specify)]
fn specified(_db: &dyn salsa::Database, _item: Item<'_>) -> u32 {
    // Never the answer: every item is assigned by `cycle` before anyone reads it.
    0
}

#[salsa::tracked(returns(copy))]
fn read_specified(db: &dyn salsa::Database, item: Item<'_>) -> u32 {
    specified(db, item)
}

#[salsa::tracked(returns(copy), cycle_initial = initial)]
fn cycle(db: &dyn salsa::Database) -> Option<(Item<'_>, u32)> {
    let item = cycle(db).map_or_else(|| Item::new(db, ()), |(item, _)| item);
    specified::specify(db, item, 42);
    Some((item, read_specified(db, item)))
}

fn initial(_db: &dyn salsa::Database, _id: salsa::Id) -> Option<(Item<'_>, u32)> {
    None
}

/// The control: without a cancellation, the assigned value is read back.
#[test]
fn a_value_assigned_inside_a_cycle_is_read_back() {
    let db = salsa::DatabaseImpl::default();
    assert_eq!(cycle(&db).map(|(_, value)| value), Some(42));
}

/// Salsa features: `specify` inside a fixpoint cycle, after a same-revision cancellation.
#[test]
fn known_open_a_value_assigned_inside_a_cycle_after_a_cancellation_is_lost() {
    for cancel in [
        salsa::Database::trigger_cancellation as fn(&mut salsa::DatabaseImpl),
        salsa::Database::trigger_lru_eviction,
    ] {
        let mut db = salsa::DatabaseImpl::default();
        cancel(&mut db);
        let got = cycle(&db).map(|(_, value)| value);
        if has_bug("open-0004") {
            // What salsa should answer: `Some(42)`. What it answers:
            assert_eq!(got, Some(0), "salsa fixed it: update the registry");
        } else {
            assert_eq!(got, Some(42));
        }
    }
}
