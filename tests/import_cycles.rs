//! Salsa feature: fixpoint iteration (`cycle_initial`) over star-import cycles of
//! `module_exports`, and re-convergence after an edit inside the cycle.

mod common;

use common::{assert_agrees_with_model, logged_db};
use salsa_fuzz::db::{EventLog, FuzzDatabase, LoggedEvent, module_exports};

fn exports(db: &FuzzDatabase, path: &str) -> Vec<String> {
    module_exports(db, db.file(path).expect("file exists")).clone()
}

fn cycle_iterations(log: &EventLog) -> usize {
    log.take()
        .iter()
        .filter(|event| matches!(event, LoggedEvent::WillIterateCycle(_)))
        .count()
}

fn assert_converges(files: &[(&str, &str)], expected_everywhere: &[&str]) {
    let db = logged_db(files);
    let log = db.event_log().expect("logged").clone();
    log.take();
    for (path, _) in files {
        assert_eq!(exports(&db, path), expected_everywhere, "exports of {path}");
    }
    assert!(
        cycle_iterations(&log) > 0,
        "the cycle was resolved by fixpoint iteration"
    );
    assert_agrees_with_model(&db);
}

/// Salsa feature: fixpoint iteration on a self-cycle (`module_exports(a)` calls itself).
#[test]
fn a_module_that_star_imports_itself_converges() {
    assert_converges(&[("a.py", "from a import *\nx = 1\n")], &["x"]);
}

/// Salsa feature: fixpoint iteration over a cycle of two queries.
#[test]
fn a_two_module_cycle_converges() {
    assert_converges(
        &[
            ("a.py", "from b import *\nx = 1\n"),
            ("b.py", "from a import *\ny = 2\n"),
        ],
        &["x", "y"],
    );
}

/// Salsa feature: fixpoint iteration over a cycle of three queries through relative imports.
#[test]
fn a_three_module_cycle_with_a_package_converges() {
    assert_converges(
        &[
            ("p/__init__.py", "from .q import *\np_name = 0\n"),
            ("p/q.py", "from r import *\nq_name = 0\n_private = 1\n"),
            ("r.py", "from p import *\nr_name = 0\n"),
        ],
        &["p_name", "q_name", "r_name"],
    );
}

/// Salsa features: fixpoint iteration re-run after an input inside the cycle changes, and a
/// cycle that stops being one.
#[test]
fn editing_a_module_inside_a_cycle_reconverges() {
    let mut db = logged_db(&[
        ("a.py", "from b import *\nx = 1\n"),
        ("b.py", "from c import *\ny = 2\n"),
        ("c.py", "from a import *\nz = 3\n"),
    ]);
    assert_agrees_with_model(&db);
    db.write_file("b.py", "from c import *\nw = 2\n");
    assert_eq!(exports(&db, "a.py"), ["w", "x", "z"]);
    assert_agrees_with_model(&db);
    db.write_file("c.py", "z = 3\n");
    assert_eq!(exports(&db, "a.py"), ["w", "x", "z"]);
    assert_eq!(exports(&db, "c.py"), ["z"]);
    assert_agrees_with_model(&db);
}
