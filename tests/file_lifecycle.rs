//! Salsa features: input changes that add and remove files (the project's file list), and
//! queries on the handle of a removed file.

mod common;

use common::{assert_agrees_with_model, logged_db};
use salsa_fuzz::db::{check_file, file_diagnostics, module_exports, parsed_module, semantic_index};
use salsa_fuzz::semantic::DiagnosticKind;

/// Salsa features: an input (`Project::files`) changing which files exist, re-verifying the
/// interned-key query `resolve_module` and the accumulated diagnostics behind it.
#[test]
fn adding_and_removing_files_changes_resolution() {
    let mut db = logged_db(&[("main.py", "from lib import helper\nhelper()\n")]);
    let unresolved = |db: &salsa_fuzz::db::FuzzDatabase| {
        file_diagnostics(db, db.file("main.py").expect("exists"))
            .iter()
            .any(|diagnostic| diagnostic.kind == DiagnosticKind::UnresolvedImport)
    };
    assert!(unresolved(&db));
    assert_agrees_with_model(&db);

    db.write_file("lib.py", "def helper():\n    pass\n");
    assert!(!unresolved(&db));
    assert_agrees_with_model(&db);

    assert!(db.remove_file("lib.py"));
    assert!(!db.remove_file("lib.py"), "removing twice is a no-op");
    assert!(unresolved(&db));
    assert_agrees_with_model(&db);

    db.write_file("lib.py", "def helper():\n    pass\n");
    assert!(!unresolved(&db));
    assert_agrees_with_model(&db);
}

/// Salsa features: input fields changed to mark removal; every query on the old handle
/// (parse, tracked-struct creation, cycle head, accumulator) still answers.
#[test]
fn a_removed_files_handle_answers_every_query_without_panicking() {
    let mut db = logged_db(&[("gone.py", "from gone import *\ndef f():\n    return g\n")]);
    let gone = db.file("gone.py").expect("exists");
    assert_agrees_with_model(&db);
    db.remove_file("gone.py");

    assert!(parsed_module(&db, gone).syntax().body.is_empty());
    assert_eq!(
        semantic_index(&db, gone).scopes.len(),
        1,
        "only the module scope"
    );
    assert!(module_exports(&db, gone).is_empty());
    check_file(&db, gone);
    assert!(file_diagnostics(&db, gone).is_empty());
    assert_eq!(db.live_files(), []);
    assert_agrees_with_model(&db);
}
