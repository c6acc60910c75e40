//! The planted canary (cargo feature `canary`) proves the pipeline: the hand-written shape of
//! ruff#13071 triggers it, and random scripts find it.
#![cfg(feature = "canary")]

use salsa_fuzz::exec::{self, ExecOptions, install_panic_hook};
use salsa_fuzz::fuzz::SeededInputs;
use salsa_fuzz::oracle::Culprit;
use salsa_fuzz::script::{Edit, EditScript, FileSlot, Fragment, NameRef, Query, Step, Text};

/// Salsa feature: tracked structs created, deleted and recreated, with a cloned handle busy.
#[test]
fn the_original_reports_shape_finds_the_canary() {
    install_panic_hook();
    let a = FileSlot(0);
    let script = EditScript {
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
    };
    for sequential in [true, false] {
        let options = ExecOptions {
            sequential,
            ..ExecOptions::default()
        };
        let outcome = exec::execute(&script, &options);
        let finding = outcome.findings.first().expect("the canary is found");
        assert_eq!(finding.culprit, Culprit::Canary, "{finding}");
    }
}

#[test]
fn random_scripts_find_the_canary() {
    install_panic_hook();
    let mut inputs = SeededInputs::new(7);
    let options = ExecOptions {
        sequential: true,
        ..ExecOptions::default()
    };
    for run in 0..20_000u32 {
        let data = inputs.next_input();
        let outcome = exec::execute(&EditScript::from_bytes(&data), &options);
        if let Some(finding) = outcome.findings.first() {
            assert_eq!(finding.culprit, Culprit::Canary, "{finding}");
            println!("found the canary after {} scripts", run + 1);
            return;
        }
    }
    panic!("20,000 random scripts did not find the canary");
}
