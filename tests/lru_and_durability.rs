//! Salsa features: LRU eviction of `parsed_module` (capacity changed at run time) and input
//! durability (library files are HIGH, workspace files LOW, and a file moved alone to MEDIUM).

mod common;

use common::{assert_agrees_with_model, executed_keys, logged_db};
use salsa::Database;
use salsa::plumbing::AsId;
use salsa_fuzz::db::parsed_module;

/// LRU: with room for 2 parsed modules, a new revision evicts the others; asking for their
/// ASTs again re-parses them, and every answer still agrees with the model.
#[test]
fn evicted_parsed_modules_are_reparsed_on_demand() {
    let paths = ["a.py", "b.py", "c.py", "d.py", "e.py"];
    let files: Vec<(&str, String)> = paths
        .iter()
        .map(|path| (*path, format!("import a\nvalue_{} = 1\n", &path[..1])))
        .collect();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let mut db = logged_db(&borrowed);
    db.set_parse_lru_capacity(2);
    assert_agrees_with_model(&db);
    db.synthetic_write(salsa::Durability::LOW);
    db.take_executed();

    for path in paths {
        parsed_module(&db, db.file(path).expect("exists"));
    }
    let reparsed = executed_keys(&db.take_executed(), "parsed_module");
    assert!(
        reparsed.len() >= 3,
        "at least 3 of 5 were evicted: {reparsed:?}"
    );
    assert_agrees_with_model(&db);

    db.set_parse_lru_capacity(0);
    db.write_file("a.py", "import b\n");
    assert_agrees_with_model(&db);
}

/// Durability: after an edit to a workspace (LOW) file, the queries of a library (HIGH) file
/// are not re-executed. Then, as in salsa's `durable_to_less_durable` test, the library file
/// becomes a workspace file and is edited twice: its answers must follow.
#[test]
fn library_files_are_not_recomputed_after_workspace_edits() {
    let mut db = logged_db(&[
        ("lib.py", "def api():\n    return 1\n"),
        ("app.py", "from lib import api\napi()\n"),
    ]);
    db.set_library("lib.py", true);
    assert_agrees_with_model(&db);

    db.write_file("app.py", "from lib import api\napi(2)\n");
    let executed = assert_agrees_with_model(&db);
    let lib = db.file("lib.py").expect("exists").as_id();
    for query in [
        "parsed_module",
        "semantic_index",
        "module_table",
        "module_exports",
    ] {
        assert!(
            !executed_keys(&executed, query).contains(&lib),
            "{query}(lib) re-ran"
        );
    }

    db.set_library("lib.py", false);
    assert_agrees_with_model(&db);
    db.write_file("lib.py", "def api2():\n    return 1\n");
    assert_agrees_with_model(&db);
    db.write_file("lib.py", "def api():\n    return 2\n");
    assert_agrees_with_model(&db);
}

/// Durability alone: moving a file to another class (its text set again, unchanged, at the
/// new durability) re-runs what reads that file and nothing that reads only others; a LOW edit
/// elsewhere re-runs none of its queries (salsa's events do not say whether they were verified
/// by durability or deeply: both report `DidValidateMemoizedValue`); back at LOW it follows
/// its edits.
#[test]
fn a_durability_change_alone_invalidates_exactly_what_reads_the_file() {
    let mut db = logged_db(&[
        ("pkg/m.py", "def helper():\n    return 1\n"),
        ("a.py", "from pkg.m import helper\nhelper()\n"),
        ("b.py", "x = 1\n"),
    ]);
    assert_agrees_with_model(&db);
    let id = |db: &salsa_fuzz::db::FuzzDatabase, path: &str| db.file(path).expect("exists").as_id();
    let (m, b) = (id(&db, "pkg/m.py"), id(&db, "b.py"));

    assert!(db.set_durability("pkg/m.py", salsa::Durability::MEDIUM));
    let executed = assert_agrees_with_model(&db);
    assert!(
        executed_keys(&executed, "parsed_module").contains(&m),
        "the moved file's text was set again: its parse re-runs"
    );
    assert!(
        !executed_keys(&executed, "parsed_module").contains(&b),
        "a file that did not move is not re-parsed"
    );

    // A LOW edit elsewhere: the MEDIUM file's queries are not re-run.
    db.write_file("b.py", "x = 2\n");
    let executed = assert_agrees_with_model(&db);
    for query in ["parsed_module", "semantic_index", "module_table"] {
        assert!(
            !executed_keys(&executed, query).contains(&m),
            "{query}(pkg/m.py) re-ran after a LOW edit of another file"
        );
    }

    // Back to LOW and edited: its answers follow.
    assert!(db.set_durability("pkg/m.py", salsa::Durability::LOW));
    assert_agrees_with_model(&db);
    db.write_file("pkg/m.py", "def helper2():\n    return 1\n");
    assert_agrees_with_model(&db);
    assert!(!db.set_durability("never.py", salsa::Durability::HIGH));
}

/// `Durability::NEVER_CHANGE` (from salsa 0.27.1; HIGH before): a file frozen as a builtin
/// stub. Salsa records no edge to it, nor to a memo that depends only on never-changing
/// inputs, so after the freeze its queries are never verified again, while the queries that
/// also read a LOW file must still follow that file's edits: a query wrongly counted as never
/// changing would keep a stale answer. The executor's `freeze` step skips every later change
/// of the file.
#[test]
fn a_frozen_file_is_never_verified_again_while_its_readers_follow_other_edits() {
    let mut db = logged_db(&[
        ("pkg/m.py", "from a import *\ndef helper():\n    return 1\n"),
        ("a.py", "from pkg.m import helper\nx = helper()\n"),
    ]);
    assert_agrees_with_model(&db);
    let m = db.file("pkg/m.py").expect("exists").as_id();
    assert!(db.freeze("pkg/m.py"));
    let executed = assert_agrees_with_model(&db);
    assert!(executed_keys(&executed, "parsed_module").contains(&m));

    // `pkg/m.py` star-imports `a.py`: its exports depend on a LOW file and must follow it.
    db.write_file("a.py", "from pkg.m import helper\nx = helper()\ny = 2\n");
    let executed = assert_agrees_with_model(&db);
    assert!(
        !executed_keys(&executed, "parsed_module").contains(&m),
        "a frozen file is not parsed again"
    );
    db.write_file("a.py", "x = 1\n");
    assert_agrees_with_model(&db);
    db.synthetic_write(salsa::Durability::HIGH);
    let executed = assert_agrees_with_model(&db);
    assert!(!executed_keys(&executed, "parsed_module").contains(&m));
    assert!(!db.freeze("never.py"));
}

/// The executor's `freeze` step: every later change of the frozen file is skipped, in both
/// modes, and the answers still agree.
#[test]
fn the_freeze_step_skips_every_later_change_of_the_file() {
    use salsa_fuzz::script::{Edit, EditScript, Query, Step, Text};
    let (m, a) = (common::slot("pkg/m.py"), common::slot("a.py"));
    let script = EditScript {
        threads: 2,
        initial: vec![
            (
                m,
                Text::literal("from a import *\ndef helper():\n    return 1\n"),
            ),
            (a, Text::literal("from pkg.m import helper\nx = helper()\n")),
        ],
        steps: vec![
            Step::Freeze(m),
            Step::Edit(m, Edit::ReplaceAll(Text::literal("y = 1\n"))),
            Step::AddFile(m, Text::literal("y = 2\n")),
            Step::RemoveFile(m),
            Step::SetLibrary(m, true),
            Step::SetDurability(m, salsa_fuzz::script::DurabilityClass::Low),
            Step::Freeze(m),
            Step::Edit(
                a,
                Edit::ReplaceAll(Text::literal("from pkg.m import helper\nz = helper\n")),
            ),
            Step::SpawnBatch(vec![Query::Types(a), Query::Exports(m)]),
            Step::Join,
            Step::CheckAll,
        ],
    };
    for (sequential, outcome) in common::execute_both_modes(&script) {
        common::assert_clean(sequential, &outcome);
        assert_eq!(outcome.stats.steps_skipped, 6, "sequential {sequential}");
    }
}
