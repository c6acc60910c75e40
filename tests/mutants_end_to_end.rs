//! The salsa mutation benchmark (`salsa-fuzz mutants`) end to end, on two mutants of salsa
//! 0.28.5 chosen by their cargo-mutants names:
//!
//! - `VerifyResult::is_unchanged -> bool with true`: every memo verification succeeds, so
//!   stale memos are reused; the differential oracle sees a wrong answer within a second, and
//!   unmutated salsa replays the entry cleanly, so it is a kill;
//! - `MemoHeader::can_backdate -> bool with false`: salsa never backdates, so it only does
//!   more work: every dependent re-runs and computes the same answer, which the differential
//!   oracle cannot tell apart; salsa's own tests, which assert what re-ran
//!   (`tests/accumulate-reuse-workaround.rs`), kill it. (Until the database called `specify`,
//!   this was `specify_and_record with ()`; the suite now sees that one.)
//!
//! It needs cargo-mutants (the command installs it when missing) and the salsa copies,
//! target directories and baseline under `target/mutants/` (made by its first run: about
//! 10 minutes on a 2-core machine; after that about 4). Ignored by default:
//!
//! ```text
//! cargo test --release --test mutants_end_to_end -- --ignored --nocapture
//! ```
//!
//! While a long `salsa-fuzz mutants` measurement runs, this test waits for the salsa copy
//! between two of its mutants (a few minutes at most).
#![cfg(not(any(feature = "canary", feature = "canary-stale")))]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use salsa_fuzz::mutants::results::{self, MutantResult};
use salsa_fuzz::mutants::{Verdict, suite_commit};

const REACHED: &str = "replace VerifyResult::is_unchanged -> bool with true";
const UNREACHED: &str = "replace MemoHeader::can_backdate -> bool with false";

/// This run's result for the mutant named `name` (this suite commit, 10 s, seed 1).
fn result_of(root: &Path, name: &str) -> MutantResult {
    let commit = suite_commit(root);
    results::load_all(&root.join("target/mutants/results"))
        .into_iter()
        .find(|result| {
            result.name.ends_with(name)
                && result.commit == commit
                && result.budget_s == 10
                && result.seed == 1
        })
        .unwrap_or_else(|| panic!("no result for `{name}` at {commit}"))
}

#[test]
#[ignore = "builds the suite and salsa's tests against two mutants: minutes; run with --ignored"]
fn the_suite_kills_a_mutant_it_reaches_and_salsas_tests_kill_one_it_cannot_reach() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let report_path = scratch.path().join("report.md");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"))
        .args(["mutants", "--mutant", REACHED, "--mutant", UNREACHED])
        .args(["--time", "10s", "--seed", "1", "--rerun", "--report"])
        .arg(&report_path)
        .current_dir(root)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stderr}took {:.0} s", started.elapsed().as_secs_f64());
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    let reached = result_of(root, REACHED);
    assert_eq!(reached.suite.verdict, Some(Verdict::Killed), "{reached:#?}");
    let kill = reached
        .suite
        .kill
        .as_ref()
        .expect("the finding that killed it");
    assert!(
        kill.signature.contains("differs from the model")
            || kill.signature.contains("differ from the model"),
        "a wrong answer, seen by the differential oracle: {kill:?}"
    );
    assert_eq!(reached.tests.verdict, Some(Verdict::Killed), "{reached:#?}");

    let unreached = result_of(root, UNREACHED);
    assert_eq!(
        unreached.suite.verdict,
        Some(Verdict::Survived),
        "{unreached:#?}"
    );
    assert_eq!(
        unreached.tests.verdict,
        Some(Verdict::Killed),
        "{unreached:#?}"
    );
    assert!(
        unreached
            .tests
            .failures
            .iter()
            .any(|failure| failure.contains("accumulate-reuse-workaround")),
        "a test that asserts what re-ran failed: {:?}",
        unreached.tests.failures
    );

    let report = std::fs::read_to_string(&report_path).expect("the report file");
    assert_eq!(
        report,
        String::from_utf8_lossy(&output.stdout),
        "stdout and --report agree"
    );
    assert!(
        report.contains("| **total** | 2 | 2 | 2 | 1 | 1 | 0 | 0 | 0 |"),
        "{report}"
    );
    let missed = report
        .split("### Missed by the suite, killed by salsa's tests (1)")
        .nth(1)
        .expect("one mutant the suite misses");
    assert!(missed.contains(UNREACHED), "{report}");
}
