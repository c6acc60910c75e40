//! The line probes (`src/db/lines.rs`): salsa's backdating, LRU and stale-output decisions,
//! observed through its events on one database, as the executor's account
//! (`src/exec/lines.rs`) expects them; and that account's verdict on a whole script.

mod common;

use common::logged_db;
use salsa::Durability;
use salsa::plumbing::AsId;
use salsa_fuzz::corpus::Entry;
use salsa_fuzz::db::{FuzzDatabase, line_index, line_marks, line_starts};
use salsa_fuzz::oracle::decision::{EventKind, name_events};
use salsa_fuzz::script::{Query, Step};

/// The names of the queries that ran for `path` since the last call.
fn ran_for(db: &FuzzDatabase, path: &str) -> Vec<String> {
    let file = db.file(path).expect("a file").as_id();
    db.take_executed()
        .into_iter()
        .filter(|(_, id)| *id == file)
        .map(|(name, _)| name)
        .collect()
}

fn ask_index(db: &FuzzDatabase, path: &str) -> usize {
    line_index(db, db.file(path).expect("a file"))
}

/// Salsa feature: backdating, and its rule that a value that became less durable is not
/// backdated (`durable_to_less_durable`). `line_index` reads only `text_lines`.
#[test]
fn line_index_is_reused_exactly_when_its_dependency_is_backdated() {
    let mut db = logged_db(&[("a.py", "x = 1\ny = 2\n")]);
    assert_eq!(ask_index(&db, "a.py"), 2);
    db.take_executed();

    db.write_file("a.py", "x = 3\ny = 2\n");
    assert_eq!(ask_index(&db, "a.py"), 2);
    assert_eq!(
        ran_for(&db, "a.py"),
        ["text_lines"],
        "same count: backdated"
    );

    db.write_file("a.py", "x = 3\ny = 2\nz = 4\n");
    assert_eq!(ask_index(&db, "a.py"), 3);
    assert_eq!(ran_for(&db, "a.py"), ["text_lines", "line_index"]);

    db.set_durability("a.py", Durability::HIGH);
    assert_eq!(ask_index(&db, "a.py"), 3);
    assert_eq!(
        ran_for(&db, "a.py"),
        ["text_lines"],
        "more durable: backdated"
    );

    db.set_durability("a.py", Durability::LOW);
    assert_eq!(ask_index(&db, "a.py"), 3);
    assert_eq!(
        ran_for(&db, "a.py"),
        ["text_lines", "line_index"],
        "less durable: not backdated"
    );
}

/// Salsa feature: LRU eviction when a revision starts. `line_starts` keeps two files.
#[test]
fn line_starts_runs_again_once_evicted() {
    let mut db = logged_db(&[
        ("a.py", "x = 1\n"),
        ("b.py", "y = 1\n"),
        ("c.py", "z = 1\n"),
    ]);
    for path in ["a.py", "b.py", "c.py"] {
        line_starts(&db, db.file(path).expect("a file"));
    }
    db.take_executed();
    // A revision that changes nothing the probes read: `a.py` was fetched least recently.
    db.write_file("pkg/m.py", "");
    for path in ["a.py", "b.py", "c.py"] {
        let file = db.file(path).expect("a file");
        assert_eq!(line_starts(&db, file), &[0]);
    }
    let ran: Vec<_> = db.take_executed();
    let a = db.file("a.py").expect("a file").as_id();
    assert_eq!(
        ran,
        [("line_starts".to_owned(), a)],
        "only a.py was evicted"
    );
}

/// Salsa features: tracked-struct identity across revisions (equal lines told apart by their
/// order) and the discarding of a struct an execution no longer creates.
#[test]
fn line_marks_keeps_each_lines_struct_and_discards_the_deleted_lines() {
    let mut db = logged_db(&[("a.py", "x = 1\nx = 1\ny = 2\n")]);
    let file = db.file("a.py").expect("a file");
    let before: Vec<salsa::Id> = line_marks(&db, file).iter().map(AsId::as_id).collect();
    let log = db.event_log().expect("a log").clone();
    log.take();

    db.write_file("a.py", "x = 1\ny = 2\n");
    let after: Vec<salsa::Id> = line_marks(&db, file).iter().map(AsId::as_id).collect();
    assert_eq!(
        after,
        [before[0], before[2]],
        "the kept lines keep their structs"
    );
    let discarded: Vec<_> = name_events(&db, &log.take())
        .into_iter()
        .filter(|event| event.event == EventKind::Discard && event.query == "LineMark")
        .filter_map(|event| event.key)
        .collect();
    assert_eq!(discarded, [before[1]], "the second `x = 1` is discarded");
}

/// The account over a whole script (the seed that exercises all three probes): unmutated
/// salsa follows every rule, in both modes.
#[test]
fn the_line_probe_seed_runs_clean() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/seeds/line-probes-backdating-and-lru.sfz"
    ))
    .expect("the seed");
    let entry = Entry::parse(&text).expect("a valid entry");
    // Where salsa#969 is, the account sees it first (a struct discarded under another id).
    let outcomes = common::assert_clean_unless("salsa#969", &entry.script);
    if common::has_bug("salsa#969") {
        return;
    }
    // Every `lines` query of the seed was checked: none came after a fault or a restore.
    let asked = entry
        .script
        .steps
        .iter()
        .filter(|step| matches!(step, Step::Query(Query::Lines(_))))
        .count();
    for (_, outcome) in outcomes {
        assert!(outcome.findings.is_empty(), "{:?}", outcome.findings);
        assert_eq!(outcome.stats.line_probe_checks, asked);
    }
}
