//! The planted canary (cargo feature `canary`) proves the pipeline: the hand-written shape of
//! ruff#13071 triggers it, and random scripts find it.
#![cfg(feature = "canary")]

mod common;

use salsa_fuzz::exec::{self, ExecOptions, install_panic_hook};
use salsa_fuzz::fuzz::SeededInputs;
use salsa_fuzz::oracle::Culprit;
use salsa_fuzz::script::EditScript;

/// Salsa feature: tracked structs created, deleted and recreated, with a cloned handle busy.
#[test]
fn the_original_reports_shape_finds_the_canary() {
    install_panic_hook();
    let script = common::original_report_script();
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

/// The cargo-fuzz targets' custom mutator and crossover, driven the way libFuzzer drives them
/// (an empty corpus, each call's output run by the target and kept), find the canary on
/// stable, through the same `fuzz::run_script` the targets call. No coverage feedback here:
/// every output is kept, so this measures the moves alone.
#[test]
fn the_libfuzzer_mutator_alone_finds_the_canary() {
    use salsa_fuzz::fuzz::{Target, mutator, run_script};
    install_panic_hook();
    /// libFuzzer's byte mutation is not linked here; keeping the input stands in for it.
    fn keep_bytes(_data: &mut [u8], size: usize, max_size: usize) -> usize {
        size.min(max_size)
    }
    let mut corpus: Vec<Vec<u8>> = vec![Vec::new()];
    let mut choices = SeededInputs::new(3);
    for run in 0..5_000u32 {
        let parent = &corpus[choices.below(corpus.len())];
        let mut data = parent.clone();
        data.resize(4096, 0);
        let size = if run % 8 == 7 {
            let other = corpus[choices.below(corpus.len())].clone();
            mutator::crossover(parent, &other, &mut data, run)
        } else {
            mutator::mutate(&mut data, parent.len(), 4096, run, keep_bytes)
        };
        data.truncate(size);
        let outcome = run_script(Target::EditScriptSequential, &EditScript::from_bytes(&data));
        if let Some(finding) = outcome.findings.first() {
            assert_eq!(finding.culprit, Culprit::Canary, "{finding}");
            println!("the mutator found the canary after {} runs", run + 1);
            return;
        }
        corpus.push(data);
    }
    panic!("5,000 runs of the libFuzzer mutator did not find the canary");
}
