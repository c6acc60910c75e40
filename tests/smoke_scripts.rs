//! Salsa features: all of them at once. A seeded smoke test: 2,000 generated scripts through
//! generation, execution (with background batches on a thread pool) and both oracles. It
//! asserts that no finding was reported (on an older salsa: none that its known bugs do not
//! explain), that every step kind ran, and that background
//! queries were both cancelled and completed.

// With the canary planted, findings are expected: `tests/canary_is_found.rs` covers that.
#![cfg(not(feature = "canary"))]

use salsa_fuzz::corpus::SALSA_VERSION;
use salsa_fuzz::exec::{self, ExecOptions, Stats, install_panic_hook};
use salsa_fuzz::fuzz::SeededInputs;
use salsa_fuzz::known_bugs;
use salsa_fuzz::script::{EditScript, STEP_KINDS};

#[test]
fn two_thousand_generated_scripts_run_clean_and_cover_every_step_kind() {
    install_panic_hook();
    let mut inputs = SeededInputs::new(0x5A15_AF02);
    let options = ExecOptions::default();
    let mut total = Stats::default();
    let mut known_findings = 0;
    for run in 0..2000 {
        let data = inputs.next_input();
        let script = EditScript::from_bytes(&data);
        let outcome = exec::execute(&script, &options);
        // On an older salsa, its known bugs are expected; anything else is not.
        let unexplained = outcome
            .findings
            .iter()
            .find(|finding| !known_bugs::is_known_here(&finding.signature()));
        known_findings += outcome.findings.len();
        if let Some(finding) = unexplained {
            panic!(
                "script {run} ({} bytes) found:\n{finding}\nscript: {script:#?}",
                data.len()
            );
        }
        let stats = outcome.stats;
        for kind in 0..STEP_KINDS {
            total.steps_by_kind[kind] += stats.steps_by_kind[kind];
        }
        total.steps_skipped += stats.steps_skipped;
        total.foreground_queries += stats.foreground_queries;
        total.background_completed += stats.background_completed;
        total.background_cancelled += stats.background_cancelled;
        total.comparisons += stats.comparisons;
        total.faults_fired += stats.faults_fired;
    }
    println!(
        "{total:#?}\nfindings explained by known bugs of salsa {SALSA_VERSION}: {known_findings}"
    );
    for (kind, count) in total.steps_by_kind.iter().enumerate() {
        // A salsa without local cancellation (before 0.26) skips `cancel-request` steps.
        let skipped = kind == salsa_fuzz::script::Step::CancelRequest(0, 0).kind()
            && !salsa_fuzz::db::compat::LOCAL_CANCELLATION;
        assert!(
            *count > 0 || skipped,
            "step kind {kind} never ran: {total:#?}"
        );
    }
    assert!(
        total.background_completed > 0,
        "no background query completed"
    );
    assert!(
        total.background_cancelled > 0,
        "no background batch was cancelled"
    );
    assert!(total.comparisons > 2000, "the oracle compared answers");
    assert!(total.faults_fired > 0, "no injected fault fired");
}
