//! Salsa's own tests on the working copy: built with `cargo test --no-run` (debug profile with
//! line tables only, default features, their own target directory), then each test binary run
//! directly within a bound of its own, then the doc tests through `cargo test --doc`.
//!
//! Why not one `cargo test`: against a mutant a test can hang (a fixpoint that never
//! converges, a thread that waits forever), and `cargo test` then waits for it until the whole
//! bound is gone: the first trial of this benchmark spent its ten minutes on one such test. Run
//! one by one, a hanging binary costs [`PER_TARGET`] and the others still run. Each binary gets
//! what cargo would give it and salsa's tests could read: the package root as its directory and
//! `CARGO_MANIFEST_DIR`, `CARGO_MANIFEST_PATH`, `CARGO_PKG_NAME`, `CARGO`. The baseline runs
//! the same way, so a test that needed more would fail there and be excluded.
//!
//! Given the baseline's results, a run stops after the first target with a failure the
//! baseline does not have: one is enough for the verdict.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::MutantsError;
use super::child;
use super::judge::{self, TestRun, TestsOutcome};
use super::workspace::{Workspace, io};

/// The version of how tests are run and read; a baseline recorded by another is run again.
pub const RUNNER: u32 = 3;

/// The bound on one test binary. The slowest of salsa 0.28.5's took 1 s on the unmutated copy
/// here; the margin absorbs a loaded machine.
pub const PER_TARGET: Duration = Duration::from_secs(120);

/// Runs salsa's tests on the working copy as it is now, within `bound` (build included),
/// keeping the output in `dir`.
pub fn run(
    workspace: &Workspace,
    dir: &Path,
    bound: Duration,
    baseline: Option<&TestRun>,
) -> Result<TestsOutcome, MutantsError> {
    let started = Instant::now();
    let grace = Duration::from_secs(10);
    let messages_path = dir.join("salsa-tests-build.json");
    let mut build = cargo(workspace, &dir.join("salsa-tests-build.log"))?;
    build.args([
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    build.stdout(File::create(&messages_path).map_err(io(&messages_path))?);
    let ended = child::run_bounded(&mut build, bound, grace).map_err(io(&messages_path))?;
    if !ended.success() {
        return Ok(TestsOutcome {
            timed_out: ended.timed_out,
            ..TestsOutcome::default()
        });
    }
    let messages = std::fs::read_to_string(&messages_path).map_err(io(&messages_path))?;
    let roots = [
        workspace.working.clone(),
        workspace
            .working
            .canonicalize()
            .unwrap_or_else(|_| workspace.working.clone()),
    ];
    let executables = test_executables(&messages, &roots);

    let log_path = dir.join("salsa-tests.log");
    let mut log = File::create(&log_path).map_err(io(&log_path))?;
    let one_path = dir.join("salsa-test-target.log");
    let mut outcome = TestsOutcome {
        built: true,
        success: true,
        ..TestsOutcome::default()
    };
    let found_new = |run: &TestRun| {
        baseline.is_some_and(|baseline| !judge::new_failures(run, baseline).is_empty())
    };
    for (label, executable) in &executables {
        if found_new(&outcome.run) {
            return Ok(outcome);
        }
        let Some(remaining) = bound.checked_sub(started.elapsed()) else {
            outcome.timed_out = true;
            return Ok(outcome);
        };
        let file = File::create(&one_path).map_err(io(&one_path))?;
        let mut command = Command::new(executable);
        command
            .current_dir(&workspace.working)
            .env("CARGO_MANIFEST_DIR", &workspace.working)
            .env("CARGO_MANIFEST_PATH", workspace.working.join("Cargo.toml"))
            .env("CARGO_PKG_NAME", "salsa")
            .env(
                "CARGO",
                std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
            )
            .stdin(Stdio::null())
            .stdout(file.try_clone().map_err(io(&one_path))?)
            .stderr(file);
        let ended = child::run_bounded(&mut command, PER_TARGET.min(remaining), grace)
            .map_err(io(executable))?;
        let output =
            String::from_utf8_lossy(&std::fs::read(&one_path).map_err(io(&one_path))?).into_owned();
        let text = format!("     Running {label} ({})\n{output}", executable.display());
        log.write_all(text.as_bytes()).map_err(io(&log_path))?;
        let mut run = judge::parse_test_output(&text);
        if ended.timed_out {
            run.died.remove(label);
            run.hung.insert(label.clone());
        }
        outcome.success &= ended.success();
        outcome.run.merge(run);
    }
    if found_new(&outcome.run) {
        return Ok(outcome);
    }
    let Some(remaining) = bound.checked_sub(started.elapsed()) else {
        outcome.timed_out = true;
        return Ok(outcome);
    };
    let doc_path = dir.join("salsa-doc-tests.log");
    let mut doc = cargo(workspace, &doc_path)?;
    doc.args(["test", "--doc", "--no-fail-fast"]);
    doc.stdout(
        File::options()
            .append(true)
            .open(&doc_path)
            .map_err(io(&doc_path))?,
    );
    let ended = child::run_bounded(&mut doc, remaining, grace).map_err(io(&doc_path))?;
    let text =
        String::from_utf8_lossy(&std::fs::read(&doc_path).map_err(io(&doc_path))?).into_owned();
    log.write_all(text.as_bytes()).map_err(io(&log_path))?;
    outcome.timed_out |= ended.timed_out;
    outcome.success &= ended.success();
    outcome.run.merge(judge::parse_test_output(&text));
    Ok(outcome)
}

/// `cargo` in the working copy with its own target directory, stderr to `log`.
fn cargo(workspace: &Workspace, log: &Path) -> Result<Command, MutantsError> {
    let file = File::create(log).map_err(io(log))?;
    let mut command = Command::new("cargo");
    command
        .current_dir(&workspace.working)
        .env("CARGO_TARGET_DIR", &workspace.salsa_target)
        .env("CARGO_TERM_COLOR", "never")
        // Line tables keep a failing test's file and line; full debug info only slows the
        // linking of 126 test binaries (28 s against 22 s for a rebuild after one salsa file).
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file);
    Ok(command)
}

/// The test binaries of `cargo test --no-run --message-format=json` output, as (label, path),
/// sorted by label. A label is what `cargo test` prints after `Running`: `unittests
/// src/lib.rs` for the library, the test's file (`tests/cycle.rs`) for the others, relative to
/// whichever of `roots` is its package root.
pub fn test_executables(messages: &str, roots: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["profile"]["test"] == true)
        .filter_map(|message| {
            let executable = PathBuf::from(message["executable"].as_str()?);
            let source = Path::new(message["target"]["src_path"].as_str()?);
            let relative = roots
                .iter()
                .find_map(|root| source.strip_prefix(root).ok())
                .unwrap_or(source)
                .display()
                .to_string();
            let is_lib = message["target"]["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "lib"));
            let label = if is_lib {
                format!("unittests {relative}")
            } else {
                relative
            };
            Some((label, executable))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_binaries_are_read_from_cargo_messages_and_labelled_as_cargo_does() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"salsa","src_path":"/w/salsa/src/lib.rs"},"profile":{"test":true},"executable":"/t/debug/deps/salsa-01"}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"salsa","src_path":"/w/salsa/src/lib.rs"},"profile":{"test":false},"executable":null}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["test"],"name":"cycle","src_path":"/w/salsa/tests/cycle.rs"},"profile":{"test":true},"executable":"/t/debug/deps/cycle-02"}"#,
            r#"{"reason":"compiler-artifact","target":{"kind":["example"],"name":"calc","src_path":"/w/salsa/examples/calc/main.rs"},"profile":{"test":false},"executable":"/t/debug/examples/calc"}"#,
            r#"{"reason":"build-finished","success":true}"#,
            "not json",
        ]
        .join("\n");
        let found = test_executables(&messages, &[PathBuf::from("/w/salsa")]);
        assert_eq!(
            found,
            [
                (
                    "tests/cycle.rs".to_owned(),
                    PathBuf::from("/t/debug/deps/cycle-02")
                ),
                (
                    "unittests src/lib.rs".to_owned(),
                    PathBuf::from("/t/debug/deps/salsa-01")
                ),
            ]
        );
    }
}
