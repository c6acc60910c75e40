//! Salsa feature: cancelling one request through its handle's `CancellationToken` (ty's
//! server does this on `$/cancelRequest`; salsa PR #1007), not a write. The cancelled request
//! ends in `Cancelled::Local`; other requests go on; nothing is poisoned: the same queries
//! asked again in the same revision give the model's answers.
//!
//! ```text
//! main      ──write──┬────────────────────────────── ask again ── check
//! request 1          └─ clone ─ token.cancel() ─ ✗ Local
//! request 2          └─ clone ─ answers ✓
//! ```

mod common;

use common::{
    assert_agrees_with_model, assert_clean, execute_both_modes, logged_db, slot,
    two_module_star_cycle,
};
use salsa::Database;
use salsa_fuzz::oracle::ask_database;
use salsa_fuzz::script::{EditScript, Query, Step};

#[test]
fn one_request_is_cancelled_by_its_token_while_another_finishes() {
    let db = logged_db(&[
        ("a.py", "from b import *\nx = y\n"),
        ("b.py", "from a import *\ny = 1\n"),
    ]);
    let exports = Query::Exports(slot("a.py"));
    let cancelled = db.clone();
    let other = db.clone();
    cancelled.cancellation_token().cancel();
    let outcome = salsa::Cancelled::catch(|| ask_database(&cancelled, exports));
    assert!(
        matches!(outcome, Err(salsa::Cancelled::Local)),
        "the cancelled request ends in Cancelled::Local: {outcome:?}"
    );
    let answer = salsa::Cancelled::catch(|| ask_database(&other, exports))
        .expect("the other request is not cancelled");
    drop((cancelled, other));
    // Nothing poisoned: the main handle and a new clone agree with the model.
    assert_eq!(ask_database(&db, exports), answer);
    assert_eq!(ask_database(&db.clone(), exports), answer);
    assert_agrees_with_model(&db);
}

/// The executor's `cancel-request` step, with batches inline and on threads: the request is
/// cancelled as asked, counted, and its queries asked again give the model's answers.
#[test]
fn a_cancel_request_step_cancels_exactly_the_next_request() {
    let (a, b) = (slot("a.py"), slot("b.py"));
    let script = EditScript {
        threads: 2,
        initial: two_module_star_cycle(),
        steps: vec![
            Step::CancelRequest(1),
            Step::SpawnBatch(vec![
                Query::Exports(a),
                Query::Exports(b),
                Query::Diagnostics(a),
            ]),
            Step::SpawnBatch(vec![Query::Diagnostics(b)]),
            Step::Join,
            Step::CheckAll,
        ],
    };
    for (sequential, outcome) in execute_both_modes(&script) {
        assert_clean(sequential, &outcome);
        if !outcome.findings.is_empty() {
            // A bug of an older salsa ended the run early.
            continue;
        }
        assert_eq!(
            outcome.stats.requests_cancelled, 1,
            "sequential {sequential}"
        );
        assert_eq!(
            outcome.stats.background_cancelled, 1,
            "sequential {sequential}"
        );
    }
}
