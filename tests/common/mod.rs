//! Helpers shared by the integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use salsa::plumbing::AsId;
use salsa_fuzz::answers::{AnswerPart, Answers};
use salsa_fuzz::corpus::SALSA_VERSION;
use salsa_fuzz::db::{EventLog, FuzzDatabase, answers, semantic_index};
use salsa_fuzz::exec::{ExecOptions, Outcome, execute};
use salsa_fuzz::known_bugs;
use salsa_fuzz::model;
use salsa_fuzz::script::{Edit, EditScript, FileSlot, Fragment, NameRef, PATHS, Query, Step, Text};

/// A database that logs salsa events, loaded with `files` (path, text).
pub fn logged_db(files: &[(&str, &str)]) -> FuzzDatabase {
    let mut db = FuzzDatabase::with_event_log(EventLog::new());
    for (path, text) in files {
        db.write_file(path, text);
    }
    db
}

/// Asserts that the database answers what the from-scratch model answers; returns the events'
/// executed queries of that read, so a test can inspect what the read re-executed.
#[track_caller]
pub fn assert_agrees_with_model(db: &FuzzDatabase) -> Vec<(String, salsa::Id)> {
    db.take_executed();
    let got = answers(db);
    let executed = db.take_executed();
    let want = model::compute_with(&db.inputs(), &db.extra_builtins());
    assert_answers_agree(got, want, "");
    executed
}

/// Asserts that the database's answers (`got`) are the model's (`want`); `context` names the
/// project in the message. On a salsa with salsa#1190 (sizes assigned inside a star-import
/// cycle are stale) the closures are left out, and on one with salsa#1182 (an assignment
/// overwrites a value already read in the revision) so is which of assignment and query gave
/// a qualified name; the rest must still agree. On one with salsa#1068 a difference in the
/// inferred types ends the comparison: the parts after them (class orders, diagnostics) read
/// inferred types, so they are not compared either.
#[track_caller]
pub fn assert_answers_agree(mut got: Answers, mut want: Answers, context: &str) {
    if let Some((AnswerPart::Qualnames, difference)) = got.first_difference(&want)
        && has_bug("salsa#1182")
    {
        eprintln!(
            "known salsa#1182 on salsa {SALSA_VERSION}, not comparing who gave qualified names: {difference}"
        );
        got = got.without_qualname_origins();
        want = want.without_qualname_origins();
    }
    if let Some((AnswerPart::Closure, difference)) = got.first_difference(&want)
        && has_bug("salsa#1190")
    {
        eprintln!("known salsa#1190 on salsa {SALSA_VERSION}, closures not compared: {difference}");
        got = got.without_closures();
        want = want.without_closures();
    }
    if let Some((AnswerPart::Types, difference)) = got.first_difference(&want)
        && types_are_known_wrong()
    {
        eprintln!("inferred types and what depends on them not compared: {difference}");
        return;
    }
    if let Some((_, difference)) = got.first_difference(&want) {
        panic!("database (left) and model (right) disagree{context}: {difference}");
    }
}

/// Whether the salsa under test has salsa#1068 (0.24.0 to 0.25.2: a tracked struct made in a
/// fixpoint iteration gets a new identity in the next, so `infer_return`'s `InferredReturn`
/// reads back an earlier iteration's type), saying so: inferred types can be wrong from
/// scratch there, so the tests of inference return at once on such a release.
/// `tests/salsa_1068_tracked_struct_identity_in_fixpoint.rs` asserts the bug itself on 0.25.x
/// (it is written in salsa 0.25's cycle API).
pub fn types_are_known_wrong() -> bool {
    let here = has_bug("salsa#1068");
    if here {
        eprintln!("known salsa#1068 on salsa {SALSA_VERSION}: inferred types not checked");
    }
    here
}

/// The script slot of `path`, one of [`PATHS`].
pub fn slot(path: &str) -> FileSlot {
    FileSlot(
        PATHS
            .iter()
            .position(|known| *known == path)
            .expect("a known path") as u8,
    )
}

/// Two modules that star-import each other, `a.py` (reading `y` from `b.py`) and `b.py`: a
/// script's initial files.
pub fn two_module_star_cycle() -> Vec<(FileSlot, Text)> {
    vec![
        (slot("a.py"), Text::literal("from b import *\nx = y\n")),
        (slot("b.py"), Text::literal("from a import *\ny = 1\n")),
    ]
}

/// Runs `script` inline, then with threads: `(sequential, outcome)` of each.
pub fn execute_both_modes(script: &EditScript) -> Vec<(bool, Outcome)> {
    [true, false]
        .into_iter()
        .map(|sequential| {
            let options = ExecOptions {
                sequential,
                ..ExecOptions::default()
            };
            (sequential, execute(script, &options))
        })
        .collect()
}

/// Runs `script` in both modes ([`execute_both_modes`]) and checks what it finds: on a salsa
/// with the known bug `bug`, first a finding of its class; without it, nothing but what
/// [`assert_clean`] accepts.
pub fn assert_clean_unless(bug: &str, script: &EditScript) -> Vec<(bool, Outcome)> {
    let known = known_bugs::by_id(bug).unwrap_or_else(|| panic!("{bug} is in the registry"));
    let outcomes = execute_both_modes(script);
    for (sequential, outcome) in &outcomes {
        if has_bug(bug) {
            let finding = outcome
                .findings
                .first()
                .unwrap_or_else(|| panic!("sequential {sequential}: {bug} is seen"));
            let signature = finding.signature();
            assert!(
                known.class.matches(&signature),
                "sequential {sequential}: {signature}"
            );
        } else {
            assert_clean(*sequential, outcome);
        }
    }
    outcomes
}

/// Asserts that a run found nothing but, on an older salsa, a known bug a later release fixed
/// (which ends the run: what follows it is not checked there).
#[track_caller]
pub fn assert_clean(sequential: bool, outcome: &Outcome) {
    assert!(
        outcome
            .findings
            .iter()
            .all(|finding| known_bugs::is_fixed_later_here(&finding.signature())),
        "sequential {sequential}: {:?}",
        outcome.findings
    );
}

/// The message of a panic's payload (`String` or `&str`), empty for any other payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
        })
        .unwrap_or_default()
}

/// Whether the salsa under test has the known bug `id` (`salsa#1190`).
pub fn has_bug(id: &str) -> bool {
    assert!(known_bugs::by_id(id).is_some(), "{id} is in the registry");
    known_bugs::is_here(id)
}

/// The salsa ids of the scopes of the file at `path`, in `FileScopeId` order.
pub fn scope_ids(db: &FuzzDatabase, path: &str) -> Vec<salsa::Id> {
    let file = db.file(path).expect("the file exists");
    semantic_index(db, file)
        .scopes
        .iter()
        .map(|scope| scope.as_id())
        .collect()
}

/// The keys with which `query` executed.
pub fn executed_keys(executed: &[(String, salsa::Id)], query: &str) -> Vec<salsa::Id> {
    executed
        .iter()
        .filter(|(name, _)| name == query)
        .map(|(_, key)| *key)
        .collect()
}

/// Runs the `salsa-fuzz` binary from the package root (so relative paths in arguments and
/// output are the same on every machine) and returns its output.
pub fn salsa_fuzz<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// Runs `work` on one new clone of `db` per item of `items`, each on its own thread, all at
/// once (as ty's `check` runs one clone per file), and returns what each gave, in order.
pub fn on_parallel_clones<I, T>(
    db: &FuzzDatabase,
    items: impl IntoIterator<Item = I>,
    work: fn(&FuzzDatabase, I) -> T,
) -> Vec<T>
where
    I: Send + 'static,
    T: Send + 'static,
{
    let threads: Vec<_> = items
        .into_iter()
        .map(|item| {
            let handle = db.clone();
            std::thread::spawn(move || work(&handle, item))
        })
        .collect();
    threads
        .into_iter()
        .map(|thread| thread.join().expect("a thread running on a clone"))
        .collect()
}

/// ruff#13071's shape on two threads: a function typed, deleted and typed again, a background
/// batch on a cloned handle checking the file (the canary's trigger).
pub fn original_report_script() -> EditScript {
    let a = FileSlot(0);
    EditScript {
        threads: 2,
        initial: vec![(a, Text(vec![Fragment::Def(NameRef(0), NameRef(3))]))],
        steps: vec![
            Step::Query(Query::Scopes(a)),
            Step::Edit(a, Edit::Clear),
            Step::Query(Query::Scopes(a)),
            Step::Edit(a, Edit::Restore(0)),
            Step::SpawnBatch(vec![Query::Diagnostics(a)]),
            Step::Join,
        ],
    }
}
