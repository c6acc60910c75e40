//! Verdicts: whether a mutant was killed, by the suite's campaigns and by salsa's own tests.
//!
//! The suite kills a mutant when a campaign against it reports a finding whose entry does not
//! show the same bug on unmutated salsa: salsa 0.28.5's own open bugs (the star-import
//! fixpoint stale exports, `corpus/regressions/0002` and `0003`) are found against any mutant
//! and must never count. "The same bug" is read loosely on purpose ([`same_bug`]): a mutant
//! can change which salsa decision a wrong answer is attributed to, or whether triage blames
//! salsa or the harness, without the entry showing anything that unmutated salsa does not.
//!
//! Salsa's tests kill a mutant when a test fails (or a test binary dies) that did not fail on
//! the unmutated copy; a test binary that hangs makes the verdict a timeout unless another
//! failed. The test output is read from cargo's and libtest's plain text: `Running
//! tests/FILE.rs (…)` and `Doc-tests salsa` start a target, `test NAME ... FAILED` is a
//! failure, and a target with no `test result:` line died.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// One of a mutant's two verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Something noticed the mutant.
    Killed,
    /// Nothing did within the bound.
    Survived,
    /// The mutant does not compile (cargo-mutants calls these unviable).
    BuildFailed,
    /// The bound ran out before anything noticed it (salsa's tests hung, or a campaign never
    /// returned a summary).
    Timeout,
}

impl Verdict {
    /// The word the report uses.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Killed => "killed",
            Verdict::Survived => "survived",
            Verdict::BuildFailed => "build-failed",
            Verdict::Timeout => "timeout",
        }
    }
}

/// The bug a signature names for the kill rule: the project's own [`crate::oracle::bug_key`]
/// (one panic from any caller; one wrong query whether asked alone or found by a whole-project
/// comparison; one cancellation nothing caused on any thread), read with what a mutant may
/// shift without showing anything new left out: the culprit triage blamed (its fresh database
/// is mutated too) and the salsa decision a wrong answer is attributed to. Every crash is one.
fn bug_stem(signature: &str) -> String {
    use crate::oracle::{Culprit, Signature, What};
    let signature = signature.trim();
    if signature.starts_with("Crash:") {
        // A worker that died and a replay that died are one kind of event; their signal or
        // exit code is not comparable between a campaign and a replay.
        return "Crash".to_owned();
    }
    let Some(mut parsed) = Signature::parse(signature) else {
        return signature.to_owned();
    };
    parsed.culprit = Culprit::Salsa;
    if let What::WrongAnswer { decision, .. } | What::ProjectAnswers { decision, .. } =
        &mut parsed.what
    {
        *decision = None;
    }
    parsed.bug_key()
}

/// Whether two signatures are the same bug for the kill rule (see the module documentation).
pub fn same_bug(a: &str, b: &str) -> bool {
    bug_stem(a) == bug_stem(b)
}

/// A finding of a campaign against a mutant, judged by replaying its entry on unmutated salsa.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JudgedFinding {
    /// Its signature, as the campaign against the mutant reported it.
    pub signature: String,
    /// Seconds from that campaign's start to its first report.
    pub first_s: f64,
    /// The entry replayed (minimized, else the input as found); none: nothing to replay.
    pub entry: Option<String>,
    /// What each replay on unmutated salsa observed (`None`: nothing).
    pub on_unmutated: Vec<Option<String>>,
}

impl JudgedFinding {
    /// A kill: an entry that was replayed on unmutated salsa and never showed the same bug.
    pub fn is_kill(&self) -> bool {
        self.entry.is_some()
            && !self.on_unmutated.is_empty()
            && !self
                .on_unmutated
                .iter()
                .flatten()
                .any(|seen| same_bug(seen, &self.signature))
    }
}

/// What salsa's own tests did: failed tests as `TARGET: TEST`, and targets that died
/// without a result line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRun {
    /// `tests/cycle.rs: cycle_unchanged`, `unittests src/lib.rs: tests::x`.
    pub failed: BTreeSet<String>,
    /// Targets that started and never printed `test result:` (a crash, an abort).
    pub died: BTreeSet<String>,
    /// Targets stopped at their bound (a test that hangs).
    pub hung: BTreeSet<String>,
    /// Targets that ran.
    pub targets: usize,
    /// Tests that passed.
    pub passed: usize,
}

impl TestRun {
    /// Adds another run's targets (salsa's tests run one binary at a time).
    pub fn merge(&mut self, other: TestRun) {
        self.failed.extend(other.failed);
        self.died.extend(other.died);
        self.hung.extend(other.hung);
        self.targets += other.targets;
        self.passed += other.passed;
    }

    /// What of a baseline run is excluded from every verdict: its failing tests, and the
    /// targets that died or hung, so marked.
    pub fn excluded(&self) -> Vec<String> {
        let marked = |targets: &BTreeSet<String>, how: &str| {
            targets
                .iter()
                .map(|target| format!("{target} ({how})"))
                .collect::<Vec<_>>()
        };
        self.failed
            .iter()
            .cloned()
            .chain(marked(&self.died, "died"))
            .chain(marked(&self.hung, "hung"))
            .collect()
    }
}

/// Ends the current target: one without its `test result:` line died.
fn finish(current: &mut Option<(String, bool)>, run: &mut TestRun) {
    if let Some((target, finished)) = current.take()
        && !finished
    {
        run.died.insert(target);
    }
}

/// Reads `cargo test` output (stdout and stderr in one stream, in order).
pub fn parse_test_output(text: &str) -> TestRun {
    let mut run = TestRun::default();
    let mut current: Option<(String, bool)> = None; // (target, saw its result line)
    for line in text.lines() {
        let trimmed = line.trim();
        let target = if let Some(rest) = trimmed.strip_prefix("Running ") {
            // `Running tests/x.rs (target/debug/deps/x-0123abcd)`: the path's hash varies.
            Some(
                rest.rsplit_once(" (")
                    .map_or(rest, |(name, _)| name)
                    .to_owned(),
            )
        } else {
            trimmed
                .strip_prefix("Doc-tests ")
                .map(|krate| format!("doc-tests {krate}"))
        };
        if let Some(target) = target {
            finish(&mut current, &mut run);
            run.targets += 1;
            current = Some((target, false));
            continue;
        }
        let Some((target, finished)) = current.as_mut() else {
            continue;
        };
        if trimmed.starts_with("test result: ") {
            *finished = true;
        } else if let Some(rest) = trimmed.strip_prefix("test ")
            && let Some((name, outcome)) = rest.rsplit_once(" ... ")
        {
            match outcome.trim() {
                "ok" => run.passed += 1,
                outcome if outcome.starts_with("FAILED") => {
                    run.failed.insert(format!("{target}: {name}"));
                }
                _ => {}
            }
        }
    }
    finish(&mut current, &mut run);
    run
}

/// The failures of `run` that the baseline did not have: failed tests, and targets that died
/// (`TARGET (died)`).
pub fn new_failures(run: &TestRun, baseline: &TestRun) -> Vec<String> {
    let mut new: Vec<String> = run.failed.difference(&baseline.failed).cloned().collect();
    new.extend(
        run.died
            .difference(&baseline.died)
            .map(|target| format!("{target} (died)")),
    );
    new
}

/// How one run of salsa's tests on a mutant ended.
#[derive(Clone, Debug, Default)]
pub struct TestsOutcome {
    /// The library and every test target compiled.
    pub built: bool,
    /// The whole run's bound ran out (while building or testing).
    pub timed_out: bool,
    /// `cargo test` exited successfully.
    pub success: bool,
    /// What the output says.
    pub run: TestRun,
}

/// The verdict of salsa's tests, and the failures that made it a kill. A failure seen before
/// the bound ran out still kills; a `cargo test` that fails with no failure we can read kills
/// only if the unmutated copy passed.
pub fn tests_verdict(
    outcome: &TestsOutcome,
    baseline: &TestRun,
    baseline_success: bool,
) -> (Verdict, Vec<String>) {
    let new = new_failures(&outcome.run, baseline);
    if !new.is_empty() {
        return (Verdict::Killed, new);
    }
    if outcome.timed_out || !outcome.run.hung.is_subset(&baseline.hung) {
        return (Verdict::Timeout, Vec::new());
    }
    if !outcome.built {
        return (Verdict::BuildFailed, Vec::new());
    }
    if !outcome.success && baseline_success {
        return (
            Verdict::Killed,
            vec!["cargo test failed without a failing test in its output".to_owned()],
        );
    }
    (Verdict::Survived, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE: &str = "Salsa: project answers differ from the model (exports): memo reused, verified without re-executing anything";

    #[test]
    fn an_open_bug_of_unmutated_salsa_is_the_same_bug_whatever_decision_or_culprit_it_shows() {
        assert!(same_bug(
            STALE,
            "Harness: project answers differ from the model (exports): re-executed in a fixpoint iteration"
        ));
        assert!(same_bug(
            "Salsa: answer of module_exports differs from the model: re-executed",
            "Salsa: answer of module_exports differs from the model"
        ));
        assert!(same_bug(
            "Crash: worker died: signal 11",
            "Crash: replay died: signal 6"
        ));
        // The single-query form of 0002/0003's stale export is that bug too (as
        // `oracle::bug_key` says), so it never counts as a kill.
        assert!(same_bug(
            STALE,
            "Salsa: answer of module_exports differs from the model: memo reused, verified earlier in the revision"
        ));
        assert!(!same_bug(
            STALE,
            "Salsa: answer of check_file differs from the model: memo reused after a dependency was backdated"
        ));
    }

    #[test]
    fn different_parts_queries_and_panics_are_different_bugs() {
        assert!(!same_bug(
            STALE,
            "Salsa: project answers differ from the model (scopes): memo reused, verified without re-executing anything"
        ));
        assert!(!same_bug(
            "Salsa: answer of module_exports differs from the model: re-executed",
            "Salsa: answer of check_file differs from the model: re-executed"
        ));
        assert!(!same_bug(
            "Salsa: panic `a` at salsa/src/cycle.rs [f]",
            "Salsa: panic `b` at salsa/src/cycle.rs [f]"
        ));
        assert!(!same_bug(
            STALE,
            "Salsa: panic `x` at salsa/src/cycle.rs []"
        ));
    }

    #[test]
    fn a_finding_kills_only_when_replayed_and_never_seen_on_unmutated_salsa() {
        let finding = |entry: bool, seen: Vec<Option<&str>>| JudgedFinding {
            signature: STALE.to_owned(),
            first_s: 1.0,
            entry: entry.then(|| "f.sfz".to_owned()),
            on_unmutated: seen
                .into_iter()
                .map(|seen| seen.map(str::to_owned))
                .collect(),
        };
        assert!(finding(true, vec![None, None, None]).is_kill());
        assert!(
            finding(
                true,
                vec![Some("Salsa: answer of check_file differs from the model")]
            )
            .is_kill(),
            "another bug on unmutated salsa is not this one"
        );
        assert!(
            !finding(true, vec![None, Some(STALE)]).is_kill(),
            "known-open bug"
        );
        assert!(!finding(false, vec![]).is_kill(), "nothing to replay");
        assert!(!finding(true, vec![]).is_kill(), "not replayed");
    }

    const OUTPUT: &str = "   Compiling salsa v0.28.5 (/x/salsa)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 5.0s
     Running unittests src/lib.rs (../salsa-target/debug/deps/salsa-0123)

running 2 tests
test tests::a ... ok
test tests::b ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/cycle.rs (../salsa-target/debug/deps/cycle-4567)

running 3 tests
test cycle_unchanged ... ok
test cycle_durability ... FAILED
test layered_converge ... ok

failures:

---- cycle_durability stdout ----
test inner ... this is output, not a test line

failures:
    cycle_durability

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

error: test failed, to rerun pass `--test cycle`
     Running tests/parallel/main.rs (../salsa-target/debug/deps/parallel-89ab)

running 4 tests
test parallel_cycle ... ok
error: test failed, to rerun pass `--test parallel`

Caused by:
  process didn't exit successfully: `../salsa-target/debug/deps/parallel-89ab` (signal: 6, SIGABRT: process abort signal)
   Doc-tests salsa

running 1 test
test src/salsa_struct.rs - salsa_struct::SalsaStructInDb::cast (line 40) ... ignored

test result: ok. 0 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn cargo_test_output_gives_failed_tests_and_dead_targets() {
        let run = parse_test_output(OUTPUT);
        assert_eq!(run.targets, 4);
        assert_eq!(run.passed, 5);
        assert_eq!(
            run.failed.iter().collect::<Vec<_>>(),
            ["tests/cycle.rs: cycle_durability"]
        );
        assert_eq!(
            run.died.iter().collect::<Vec<_>>(),
            ["tests/parallel/main.rs"]
        );
    }

    #[test]
    fn baseline_failures_never_kill_and_new_ones_do() {
        let run = parse_test_output(OUTPUT);
        let outcome = TestsOutcome {
            built: true,
            timed_out: false,
            success: false,
            run: run.clone(),
        };
        // Both failures were there on the unmutated copy: not a kill.
        assert_eq!(
            tests_verdict(&outcome, &run, false),
            (Verdict::Survived, Vec::new())
        );
        let clean = TestRun::default();
        let (verdict, failures) = tests_verdict(&outcome, &clean, true);
        assert_eq!(verdict, Verdict::Killed);
        assert_eq!(
            failures,
            [
                "tests/cycle.rs: cycle_durability",
                "tests/parallel/main.rs (died)"
            ]
        );
    }

    #[test]
    fn a_build_failure_or_a_hang_is_its_own_verdict_unless_a_test_already_failed() {
        let clean = TestRun::default();
        let broken = TestsOutcome::default();
        assert_eq!(tests_verdict(&broken, &clean, true).0, Verdict::BuildFailed);
        let hung = TestsOutcome {
            built: true,
            timed_out: true,
            ..TestsOutcome::default()
        };
        assert_eq!(tests_verdict(&hung, &clean, true).0, Verdict::Timeout);
        let mut one_hangs = TestsOutcome {
            built: true,
            ..TestsOutcome::default()
        };
        one_hangs
            .run
            .hung
            .insert("tests/parallel/main.rs".to_owned());
        assert_eq!(tests_verdict(&one_hangs, &clean, true).0, Verdict::Timeout);
        // Unmutated, that binary hangs too, so `cargo test` failed there as well.
        assert_eq!(
            tests_verdict(&one_hangs, &one_hangs.run, false).0,
            Verdict::Survived,
            "it hangs unmutated too"
        );
        let failed_then_hung = TestsOutcome {
            run: parse_test_output(OUTPUT),
            ..hung
        };
        assert_eq!(
            tests_verdict(&failed_then_hung, &clean, true).0,
            Verdict::Killed
        );
        let passed = TestsOutcome {
            built: true,
            success: true,
            ..TestsOutcome::default()
        };
        assert_eq!(tests_verdict(&passed, &clean, true).0, Verdict::Survived);
    }

    #[test]
    fn a_baseline_excludes_its_failures_and_the_targets_that_died_or_hung() {
        let run = TestRun {
            failed: ["tests/a.rs: t".to_owned()].into(),
            died: ["tests/b.rs".to_owned()].into(),
            hung: ["tests/c.rs".to_owned()].into(),
            ..TestRun::default()
        };
        assert_eq!(
            run.excluded(),
            ["tests/a.rs: t", "tests/b.rs (died)", "tests/c.rs (hung)"]
        );
        assert!(TestRun::default().excluded().is_empty());
    }
}
