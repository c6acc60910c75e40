//! Salsa feature: the cancellation flag a write raises while it waits for the other handles
//! (`Storage::cancel_others`, event `DidSetCancellationFlag`), and what is left of it when
//! the database's event callback unwinds there. Salsa must lower the flag again: the write is
//! abandoned, nothing changed, and queries go on in the same revision. salsa#1157 (fixed in
//! 0.27.1) left it raised, so every later query was "cancelled because of pending write" until
//! the next write. On a release with that bug these tests require the suite to see it.
//!
//! ```text
//! main ── fault armed ── synthetic write ✗ (callback unwinds) ── query ── batch ── check
//!                                                                 ✓ same revision's answers
//! ```

mod common;

use common::{assert_agrees_with_model, assert_clean_unless, has_bug, slot, two_module_star_cycle};
use salsa::{Database, Durability};
use salsa_fuzz::corpus::SALSA_VERSION;
use salsa_fuzz::db::{Fault, FaultPoint, FuzzDatabase};
use salsa_fuzz::oracle::ask_database;
use salsa_fuzz::script::{DurabilityClass, EditScript, Query, Step};

const FAULT: Fault = Fault {
    point: FaultPoint::SetCancellationFlag,
    nth: 1,
    cancel: false,
    in_request: false,
};

#[test]
fn a_write_abandoned_by_its_event_callback_leaves_queries_uncancelled() {
    let mut db = FuzzDatabase::with_options(None, true);
    db.write_file("a.py", "from b import *\nx = y\n");
    db.write_file("b.py", "from a import *\ny = 1\n");
    let exports = Query::Exports(slot("a.py"));
    let before = ask_database(&db, exports);
    assert!(db.arm_fault(FAULT));
    // Only an abortable write counts the event: an ordinary write passes the armed fault by.
    db.write_file("c.py", "z = 2\n");
    assert_eq!(db.write_faults_fired(), 0);
    assert!(
        db.abortable_write(|db| db.synthetic_write(Durability::LOW)),
        "the injected unwind abandons the write"
    );
    assert_eq!((db.write_faults_fired(), db.faults_fired()), (1, 0));
    let after = salsa::Cancelled::catch(|| ask_database(&db, exports));
    if has_bug("salsa#1157") {
        assert!(
            matches!(&after, Err(cancelled) if cancelled.to_string().contains("pending write")),
            "salsa {SALSA_VERSION} has salsa#1157: the flag stays raised ({after:?})"
        );
        return;
    }
    match after {
        Ok(after) => assert_eq!(after, before, "same revision, same answer"),
        Err(cancelled) => panic!("cancelled after the abandoned write: {cancelled:?}"),
    }
    let clone = db.clone();
    assert!(salsa::Cancelled::catch(|| ask_database(&clone, exports)).is_ok());
    drop(clone);
    // The next write goes through, and everything agrees with the model.
    db.synthetic_write(Durability::LOW);
    assert_agrees_with_model(&db);
}

/// The executor's steps `fault panic at set-cancellation-flag 1` then `synthetic-write`, with
/// batches inline and on threads: no finding on a fixed salsa; on one with salsa#1157 the
/// finding is that bug's class, "unexpected cancellation … pending write".
#[test]
fn the_executor_reports_a_cancellation_after_an_abandoned_write_as_salsas() {
    let (a, b) = (slot("a.py"), slot("b.py"));
    let script = EditScript {
        threads: 2,
        initial: two_module_star_cycle(),
        steps: vec![
            Step::Query(Query::Exports(a)),
            Step::Fault(FAULT),
            Step::SyntheticWrite(DurabilityClass::Medium),
            Step::SpawnBatch(vec![Query::Diagnostics(a), Query::Exports(b)]),
            Step::Join,
            Step::Query(Query::Diagnostics(b)),
            Step::CheckAll,
        ],
    };
    for (sequential, outcome) in assert_clean_unless("salsa#1157", &script) {
        assert_eq!(outcome.stats.writes_abandoned, 1, "sequential {sequential}");
    }
}
