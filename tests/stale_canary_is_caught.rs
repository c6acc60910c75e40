//! The planted stale answer (cargo feature `canary-stale`) proves the differential oracle: a
//! wrong answer that never panics is caught, and triage (a fresh database agrees with the
//! model) blames the incremental computation.
#![cfg(feature = "canary-stale")]

use salsa_fuzz::exec::{self, ExecOptions, install_panic_hook};
use salsa_fuzz::fuzz::SeededInputs;
use salsa_fuzz::oracle::{Culprit, FindingKind};
use salsa_fuzz::script::{Edit, EditScript, FileSlot, Query, Step, Text};

/// Salsa features: backdating and memo reuse, imitated wrongly by an untracked cache.
#[test]
fn a_stale_answer_is_a_mismatch_blamed_on_incrementality() {
    install_panic_hook();
    let a = FileSlot(0);
    let script = EditScript {
        threads: 1,
        initial: vec![(a, Text::literal("x = 1\n"))],
        steps: vec![
            Step::Query(Query::Exports(a)),
            Step::Edit(a, Edit::ReplaceAll(Text::literal("y = 1\n"))),
            Step::Query(Query::Exports(a)),
        ],
    };
    let outcome = exec::execute(
        &script,
        &ExecOptions {
            sequential: true,
            ..ExecOptions::default()
        },
    );
    let finding = outcome
        .findings
        .first()
        .expect("the stale answer is caught");
    assert_eq!(finding.culprit, Culprit::Salsa, "{finding}");
    assert!(
        matches!(finding.kind, FindingKind::Mismatch { .. }),
        "{finding}"
    );
    assert_eq!(finding.step, 2, "{finding}");
}

#[test]
fn random_scripts_catch_the_stale_answer() {
    install_panic_hook();
    let mut inputs = SeededInputs::new(17);
    let options = ExecOptions {
        sequential: true,
        ..ExecOptions::default()
    };
    for run in 0..20_000u32 {
        let outcome = exec::execute(&EditScript::from_bytes(&inputs.next_input()), &options);
        if let Some(finding) = outcome.findings.first() {
            assert_eq!(finding.culprit, Culprit::Salsa, "{finding}");
            println!(
                "caught the stale answer after {} scripts: {}",
                run + 1,
                finding.signature()
            );
            return;
        }
    }
    panic!("20,000 random scripts did not catch the stale answer");
}
