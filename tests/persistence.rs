//! Salsa feature: `persistence` (this crate's cargo feature `persistence` turns on salsa's and
//! persists the inputs, `ModuleName`, `resolve_module` and `module_exports`). The database is
//! serialized mid-script and the script goes on in a database restored from it: the restored
//! answers are the model's, before and after more edits, and the persisted memos are taken
//! from the saved state, not computed again. Without the feature the `persist` step is
//! skipped, and this file is empty.
//!
//! open-0006, found by this file's first run: salsa 0.28.5 writes a fixpoint participant's
//! final memo with its cycle heads, and restoring it panics (`Memo must be finalized if it
//! has no cycle heads`). The round trips below therefore use projects without a star-import
//! cycle; `known_open_0006_*` shows the bug, and
//! `salsa_known_open_persisted_cycle_heads.rs` is the salsa-only reduction.
#![cfg(feature = "persistence")]

mod common;

use common::{assert_agrees_with_model, assert_clean, execute_both_modes, logged_db, slot};
use salsa_fuzz::exec::{ExecOptions, execute};
use salsa_fuzz::script::{Edit, EditScript, Query, Step, Text};

#[test]
fn a_restored_database_answers_like_the_model_and_keeps_its_persisted_memos() {
    // No star import: a module with one is a fixpoint of its own (`star_closure` reads its own
    // closure), which open-0006 cannot restore.
    let mut db = logged_db(&[
        ("a.py", "from b import y\nx = y\n"),
        ("b.py", "from pkg.m import z\ny = z\n"),
        ("pkg/m.py", "z = 2\n"),
        ("c.py", "import a\n"),
    ]);
    assert_agrees_with_model(&db);
    let bytes = db.persist_and_restore().expect("the database round-trips");
    assert!(bytes > 0);
    let executed = assert_agrees_with_model(&db);
    let ran = |query: &str| executed.iter().any(|(name, _)| name == query);
    assert!(
        ran("parsed_module"),
        "what is not persisted is computed again"
    );
    assert!(
        !ran("module_exports"),
        "persisted results are restored, not computed: {executed:?}"
    );

    // Edits after the restore: the restored memos are verified against them.
    db.write_file("pkg/m.py", "z = 2\nw = 3\n");
    assert_agrees_with_model(&db);
    db.remove_file("b.py");
    assert_agrees_with_model(&db);
    db.persist_and_restore()
        .expect("the database round-trips again");
    db.write_file("b.py", "v = 0\n");
    assert_agrees_with_model(&db);
}

#[test]
fn the_persist_step_continues_the_script_in_a_restored_database() {
    let (a, b) = (slot("a.py"), slot("b.py"));
    let script = EditScript {
        threads: 2,
        initial: vec![
            (a, Text::literal("from b import y\nx = y\n")),
            (b, Text::literal("y = 1\n")),
        ],
        steps: vec![
            Step::SpawnBatch(vec![Query::Exports(a), Query::Diagnostics(b)]),
            Step::Persist,
            Step::Edit(b, Edit::ReplaceAll(Text::literal("y = 2\n"))),
            Step::SpawnBatch(vec![Query::Exports(a), Query::Types(b)]),
            Step::Join,
            Step::Persist,
            Step::CheckAll,
        ],
    };
    for sequential in [true, false] {
        let options = ExecOptions {
            sequential,
            // The step runs even where open-0006 masks it in campaigns: this project has no
            // star import, so no fixpoint holds a cycle head.
            mask_open_bugs: false,
            ..ExecOptions::default()
        };
        let outcome = execute(&script, &options);
        assert_clean(sequential, &outcome);
        assert_eq!(outcome.stats.steps_skipped, 0, "sequential {sequential}");
    }
    // In a campaign (open bugs masked) the step is skipped on a salsa with open-0006.
    for (sequential, outcome) in execute_both_modes(&script) {
        assert_clean(sequential, &outcome);
        assert_eq!(
            outcome.stats.steps_skipped,
            if common::has_bug("open-0006") { 2 } else { 0 },
            "sequential {sequential}"
        );
    }
}

/// open-0006: a project with a star-import cycle holds converged fixpoint memos; restoring a
/// database serialized from it panics. When this test fails, salsa fixed it: take open-0006
/// out of the registry.
#[test]
fn known_open_0006_a_database_with_a_converged_cycle_cannot_be_restored() {
    assert!(common::has_bug("open-0006"));
    let mut db = logged_db(&[
        ("a.py", "from b import *\nx = y\n"),
        ("b.py", "from a import *\ny = 1\n"),
        ("c.py", "import a\n"),
    ]);
    let _ = salsa_fuzz::db::answers(&db);
    let restored =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.persist_and_restore()));
    let payload = restored.expect_err("restoring panics while open-0006 is open");
    let message = common::panic_message(payload.as_ref());
    assert!(
        salsa_fuzz::known_bugs::by_id("open-0006")
            .expect("registered")
            .class
            .matches(&format!("Salsa: panic `{message}` at")),
        "{message}"
    );
}
