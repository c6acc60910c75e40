//! The suite on salsa's 2024 API (`src/legacy/`), built only by `salsa-fuzz salsa 0.18.0 …` or
//! `salsa-fuzz salsa PATH …` for a checkout of that API (CI runs it against 0.18.0, the first
//! release after ruff#13071's fix):
//!
//! - every seed runs clean on the 2024 database (its answers agree with the model's), and so
//!   do 2,000 generated scripts: the executor and database report nothing on a salsa without
//!   the bug, so a finding on `f608ff8b` is salsa's;
//! - ruff#13071's minimized entries (`corpus/salsa-2024/`, found by `salsa-fuzz run` on
//!   `f608ff8b`) replay clean on a salsa with the fix, and on `f608ff8b` itself show their own
//!   signatures.
#![cfg(salsa_2024)]

use std::path::Path;

use salsa_fuzz::corpus::{Entry, entries_under};
use salsa_fuzz::legacy::exec::execute;
use salsa_fuzz::script::EditScript;
use salsa_fuzz::util::SeededInputs;

const SALSA: &str = env!("SALSA_FUZZ_SALSA_2024");

fn entries(dir: &str) -> Vec<Entry> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let paths = entries_under(&dir).expect("a readable corpus directory");
    assert!(!paths.is_empty(), "{} holds entries", dir.display());
    paths
        .iter()
        .map(|path| Entry::read(path).expect("a well-formed entry"))
        .collect()
}

/// Whether this salsa has ruff#13071's bug: the git revision it was reported against. (Other
/// revisions before the fix have it too; the clean tests fail there, as they should.)
fn has_the_bug() -> bool {
    SALSA.contains("git f608ff8b")
}

#[test]
fn the_seeds_run_clean_on_the_2024_database() {
    if has_the_bug() {
        return;
    }
    for entry in entries("corpus/seeds") {
        let outcome = execute(&entry.script);
        assert!(
            outcome.finding.is_none(),
            "salsa {SALSA}: {:?}",
            outcome.finding.map(|finding| finding.signature())
        );
        assert!(outcome.answers > 0, "every seed asks something");
    }
}

#[test]
fn generated_scripts_run_clean_on_a_salsa_without_the_bug() {
    if has_the_bug() {
        return;
    }
    let mut inputs = SeededInputs::new(2024);
    let mut answers = 0;
    for _ in 0..2_000 {
        let script = EditScript::from_bytes(&inputs.next_input());
        let outcome = execute(&script);
        assert!(
            outcome.finding.is_none(),
            "salsa {SALSA}: {:?}",
            outcome.finding.map(|finding| finding.signature())
        );
        answers += outcome.answers;
    }
    assert!(answers > 10_000, "answers were compared: {answers}");
}

#[test]
fn ruff_13071_entries_show_their_signature_exactly_where_the_bug_is() {
    for entry in entries("corpus/salsa-2024") {
        let outcome = execute(&entry.script);
        let found = outcome.finding.as_ref().map(|finding| finding.signature());
        if has_the_bug() {
            assert_eq!(found.as_deref(), Some(entry.signature.as_str()));
        } else {
            assert_eq!(found, None, "salsa {SALSA}");
            // It ran, and compared: the entries ask the queries their findings were about.
            assert!(outcome.steps > 0 && outcome.answers > 0, "{outcome:?}");
        }
    }
}
