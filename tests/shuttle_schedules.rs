//! The shuttle mode (cargo feature `shuttle`, built by `salsa-fuzz salsa 0.28.5+shuttle`):
//! one script and one schedule are one exact interleaving, replayed identically every time;
//! another schedule is another interleaving.
#![cfg(feature = "shuttle")]

mod common;

use salsa_fuzz::exec::{self, ExecOptions, Outcome, Schedule, Strategy, install_panic_hook};
use salsa_fuzz::fuzz::SeededInputs;
use salsa_fuzz::oracle::Culprit;
use salsa_fuzz::script::{EditScript, Step};

/// Everything a run's interleaving decides: which batches were cancelled, what they
/// answered, which salsa events (kinds by query) happened, and the finding.
fn fingerprint(outcome: &Outcome) -> String {
    format!(
        "{:?} {:?} {:?}",
        outcome.stats,
        outcome.features,
        outcome
            .findings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    )
}

/// Seeded scripts with background batches racing the main thread's writes.
fn racy_scripts(count: usize) -> Vec<EditScript> {
    let mut inputs = SeededInputs::new(11);
    let mut scripts = Vec::new();
    while scripts.len() < count {
        let script = EditScript::from_bytes(&inputs.next_input());
        let batches = script
            .steps
            .iter()
            .filter(|step| matches!(step, Step::SpawnBatch(_)))
            .count();
        let writes = script
            .steps
            .iter()
            .filter(|step| matches!(step, Step::Edit(..)))
            .count();
        if script.threads > 1 && batches >= 2 && writes >= 2 {
            scripts.push(script);
        }
    }
    scripts
}

/// Whether the run was whole: no finding of our own (a shuttle failure, a harness panic) and
/// no lock poisoning (what the patched salsa copy exists to prevent).
fn assert_no_harness_failure(outcome: &Outcome, script: &EditScript) {
    for finding in &outcome.findings {
        let text = finding.to_string();
        assert!(
            finding.culprit != Culprit::Harness && !text.contains("PoisonError"),
            "{text} on {script:?}"
        );
    }
}

fn options(schedule: Schedule) -> ExecOptions {
    ExecOptions {
        feedback: true,
        schedule: Some(schedule),
        ..ExecOptions::default()
    }
}

/// Salsa feature: cancellation of background queries on cloned handles by writes, under an
/// exact interleaving.
#[test]
fn a_schedule_replays_its_interleaving_exactly() {
    install_panic_hook();
    let schedules = [
        Schedule {
            strategy: Strategy::Pct {
                depth: 3,
                horizon: 1024,
            },
            seed: 0x5eed,
        },
        Schedule {
            strategy: Strategy::Random,
            seed: 0x5eed,
        },
    ];
    // Runs that cancelled a batch and ended clean: cancellation unwound through salsa's
    // shuttle locks without breaking the run.
    let mut clean_cancellations = 0;
    for script in racy_scripts(6) {
        for schedule in schedules {
            let outcome = exec::execute(&script, &options(schedule));
            assert_no_harness_failure(&outcome, &script);
            clean_cancellations +=
                usize::from(outcome.findings.is_empty() && outcome.stats.background_cancelled > 0);
            let first = fingerprint(&outcome);
            for _ in 0..5 {
                let again = exec::execute(&script, &options(schedule));
                assert_eq!(fingerprint(&again), first, "{schedule} on {script:?}");
            }
        }
    }
    assert!(
        clean_cancellations > 0,
        "no run cancelled a batch and ended clean"
    );
}

/// The schedule is not decoration: over racy scripts, different seeds give different
/// interleavings (how many batches a write cancelled, which events salsa reported).
#[test]
fn different_schedules_interleave_differently() {
    install_panic_hook();
    let mut differing = 0;
    let scripts = racy_scripts(12);
    for script in &scripts {
        let runs: std::collections::BTreeSet<String> = (0..8u64)
            .map(|seed| {
                let schedule = Schedule {
                    strategy: Strategy::Random,
                    seed,
                };
                let outcome = exec::execute(script, &options(schedule));
                assert_no_harness_failure(&outcome, script);
                fingerprint(&outcome)
            })
            .collect();
        differing += usize::from(runs.len() > 1);
    }
    assert!(
        differing > 0,
        "8 random schedules ran each of {} racy scripts the same way",
        scripts.len()
    );
}

/// Without an explicit schedule, a script runs the one it chooses ([`Schedule::of_script`]),
/// the one its entry records.
#[test]
fn the_script_chooses_its_schedule() {
    install_panic_hook();
    for script in racy_scripts(4) {
        let chosen = exec::execute(
            &script,
            &ExecOptions {
                feedback: true,
                ..ExecOptions::default()
            },
        );
        let recorded = exec::execute(&script, &options(Schedule::of_script(&script)));
        assert_eq!(fingerprint(&chosen), fingerprint(&recorded));
    }
}

/// With the canary planted, ruff#13071's shape run on two threads (the batch on a cloned
/// handle beside the main thread) finds it under one schedule 20 times out of 20.
#[cfg(feature = "canary")]
#[test]
fn a_threaded_canary_finding_replays_every_time() {
    use salsa_fuzz::oracle::Culprit;
    install_panic_hook();
    let script = common::original_report_script();
    let schedule = Schedule {
        strategy: Strategy::Pct {
            depth: 2,
            horizon: 256,
        },
        seed: 13071,
    };
    let runs: Vec<String> = (0..20)
        .map(|_| {
            let outcome = exec::execute(&script, &options(schedule));
            let finding = outcome.findings.first().expect("the canary is found");
            assert_eq!(finding.culprit, Culprit::Canary, "{finding}");
            fingerprint(&outcome)
        })
        .collect();
    assert!(runs.iter().all(|run| *run == runs[0]), "{runs:#?}");
}
