//! A fixed salsa bug the suite finds on the releases before 0.26.0, reduced here to salsa
//! alone: `FallbackImmediate` (`cycle_result`) had its own code path, with two faults that
//! salsa#1063 removed by merging it into the fixpoint one.
//!
//! First, participants kept only the dependencies they read up to the cycle.
//! `mro(c)` is a class, then the order of its base (a `cycle_result` query, as `class_mro`
//! in the database). `A(B)`, `B(A)` and `D(A)`: `A` and `B` are a cycle and take their
//! fallbacks, and `D` inherits from it. Then `B` loses its base, which breaks the cycle: a
//! fresh database answers `D, A, B`. Through 0.25.2, salsa answered `D, A (cycle)`: the memo
//! of `A`, a participant of the old cycle, recorded its reads only up to where the cycle was
//! found, not its read of `mro(B)`, so deep verification found nothing changed and reused the
//! fallback. salsa#1063 (0.26.0, "Merge `FallbackImmediate` and `Fixpoint` code paths", which
//! "should fix the caching issues that `FallbackImmediate` has today") keeps every dependency.
//! Checked as a standalone program on 0.22.0, 0.23.0, 0.24.0 and 0.25.2 (stale), 0.26.0
//! (right), and on salsa's git history: right from 186f83bc (#1063), stale at its parent.
//!
//! Second, answers that depend on which member is asked first: `T(P)` and `P(T, P)`, where
//! `P` also heads a cycle of its own. Asked first, `T` answered `T, P (cycle)` instead of its
//! own fallback, which it gets when `P` is asked first (and always from 0.26.0). Stale or not,
//! a fresh database asked in the same order answers the same, so the suite's oracle labels
//! that finding `Harness:`; the registry's class takes both labels on these releases.
//!
//! On a release the registry lists as buggy the tests assert the wrong answers, so they fail
//! if the bug is not there.

mod common;

use common::has_bug;
use salsa::{Database, Setter};

#[salsa::input]
struct Class {
    #[returns(ref)]
    name: String,
    #[returns(ref)]
    bases: Vec<Class>,
}

/// The class, then its base's order.
#[salsa::tracked(returns(clone), cycle_result = cyclic)]
fn mro(db: &dyn Database, class: Class) -> Vec<String> {
    let mut order = vec![class.name(db).clone()];
    for &base in class.bases(db) {
        order.extend(mro(db, base));
    }
    order
}

#[cfg(salsa_cycle_fn_each_iteration)]
fn cyclic(db: &dyn Database, _id: salsa::Id, class: Class) -> Vec<String> {
    vec![class.name(db).clone(), "(cycle)".to_owned()]
}

/// Before 0.25, the fallback gets the inputs alone.
#[cfg(not(salsa_cycle_fn_each_iteration))]
fn cyclic(db: &dyn Database, class: Class) -> Vec<String> {
    vec![class.name(db).clone(), "(cycle)".to_owned()]
}

/// Salsa features: `cycle_result` (FallbackImmediate), deep verification of a participant's
/// memo after an input change that breaks the cycle.
#[test]
fn a_cycle_result_participant_follows_the_edit_that_breaks_its_cycle() {
    let mut db = salsa::DatabaseImpl::default();
    let a = Class::new(&db, "A".to_owned(), vec![]);
    let b = Class::new(&db, "B".to_owned(), vec![a]);
    a.set_bases(&mut db).to(vec![b]);
    let d = Class::new(&db, "D".to_owned(), vec![a]);
    assert_eq!(mro(&db, d), ["D", "A", "(cycle)"]);
    assert_eq!(mro(&db, b), ["B", "(cycle)"]);

    b.set_bases(&mut db).to(vec![]);
    let got = mro(&db, d);
    if has_bug("salsa#1063") {
        assert_eq!(
            got,
            ["D", "A", "(cycle)"],
            "the bug is gone from this salsa"
        );
    } else {
        assert_eq!(got, ["D", "A", "B"]);
    }
}

/// Salsa features: `cycle_result` with a participant that heads a cycle of its own (a
/// self-inheritance), entered at either member in fresh databases.
#[test]
fn every_member_of_a_cycle_result_cycle_takes_its_fallback_whichever_is_asked_first() {
    for t_first in [true, false] {
        let mut db = salsa::DatabaseImpl::default();
        let t = Class::new(&db, "T".to_owned(), vec![]);
        let p = Class::new(&db, "P".to_owned(), vec![t]);
        p.set_bases(&mut db).to(vec![t, p]);
        t.set_bases(&mut db).to(vec![p]);
        let (t_order, p_order) = if t_first {
            let t_order = mro(&db, t);
            (t_order, mro(&db, p))
        } else {
            let p_order = mro(&db, p);
            (mro(&db, t), p_order)
        };
        assert_eq!(p_order, ["P", "(cycle)"], "T first: {t_first}");
        if has_bug("salsa#1063") && t_first {
            assert_eq!(
                t_order,
                ["T", "P", "(cycle)"],
                "the bug is gone from this salsa"
            );
        } else {
            assert_eq!(t_order, ["T", "(cycle)"], "T first: {t_first}");
        }
    }
}
