//! `salsa-fuzz run`: a campaign of worker processes survives a worker that aborts or hangs,
//! keeps the input that killed it as a finding, and reports a summary (as JSON with `--json`).
//! The test-only hooks `SALSA_FUZZ_TEST_ABORT_AT` / `SALSA_FUZZ_TEST_HANG_AT` make the first
//! life of worker 0 abort or hang before its N-th run.
#![cfg(not(feature = "canary"))]

use std::path::PathBuf;
use std::process::{Command, Output};

use salsa_fuzz::campaign::Summary;
use salsa_fuzz::corpus::{Entry, Status};
use salsa_fuzz::known_bugs;

fn campaign(dir: &tempfile::TempDir, env: &[(&str, &str)], extra: &[&str]) -> (Output, PathBuf) {
    let dir = dir.path();
    let corpus = dir.join("working");
    let findings = dir.join("findings");
    let mut command = Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"));
    command
        .args(["run", "--jobs", "2", "--json", "--corpus"])
        .arg(&corpus)
        .arg("--findings")
        .arg(&findings)
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (key, value) in env {
        command.env(key, value);
    }
    (command.output().expect("the campaign runs"), findings)
}

fn json(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a scratch directory")
}

/// The summary's finding signatures that are neither a worker crash (the tests cause those) nor
/// explained by a known bug of the salsa under test (on the newest salsa: none is).
fn unexplained_findings(summary: &str) -> Vec<String> {
    Summary::from_json(summary)
        .expect("the summary is JSON")
        .findings
        .into_iter()
        .map(|finding| finding.signature)
        .filter(|signature| {
            !signature.starts_with("Crash:") && !known_bugs::is_known_here(signature)
        })
        .collect()
}

#[test]
fn a_clean_campaign_exits_zero_with_a_json_summary() {
    let (output, _) = campaign(&scratch(), &[], &["--time", "3s"]);
    let summary = json(&output);
    assert!(
        summary.starts_with('{') && summary.ends_with('}'),
        "{summary}"
    );
    assert!(summary.contains("\"restarts\":0"), "{summary}");
    assert_eq!(unexplained_findings(&summary), Vec::<String>::new());
    // Exit 0 without findings; an older salsa's known bugs make it 1.
    let expected = if Summary::from_json(&summary)
        .expect("the summary is JSON")
        .has_new_bugs()
    {
        1
    } else {
        0
    };
    assert_eq!(
        output.status.code(),
        Some(expected),
        "{summary}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("runs/s"), "a status line: {stderr}");
}

#[test]
fn an_aborting_worker_is_restarted_and_its_input_kept() {
    let scratch = scratch();
    let (output, findings) = campaign(
        &scratch,
        &[("SALSA_FUZZ_TEST_ABORT_AT", "20")],
        &["--time", "4s"],
    );
    let summary = json(&output);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert!(summary.contains("\"restarts\":1"), "{summary}");
    assert!(summary.contains("Crash: worker died: SIGABRT"), "{summary}");
    assert_eq!(unexplained_findings(&summary), Vec::<String>::new());
    let kept = std::fs::read_dir(&findings)
        .map(|dir| {
            dir.flatten()
                .filter(|entry| entry.file_name().to_string_lossy().starts_with("crash-"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(
        kept, 1,
        "the input that killed the worker is an entry: {summary}"
    );
}

#[test]
fn a_hanging_worker_is_reported_by_the_watchdog_and_restarted() {
    let (output, _) = campaign(
        &scratch(),
        &[("SALSA_FUZZ_TEST_HANG_AT", "20")],
        &["--time", "6s", "--hang-limit", "1s"],
    );
    let summary = json(&output);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert!(summary.contains("\"restarts\":1"), "{summary}");
    assert!(
        summary.contains("Crash: hang (watchdog): SIGABRT"),
        "{summary}"
    );
}

#[test]
fn a_worker_killed_with_sigkill_is_restarted() {
    let scratch = scratch();
    let dir = scratch.path();
    let corpus = dir.join("working");
    let child = Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"))
        .args(["run", "--jobs", "2", "--json", "--time", "5s", "--corpus"])
        .arg(&corpus)
        .arg("--findings")
        .arg(dir.join("findings"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the campaign starts");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let marker = corpus.display().to_string();
    let worker = std::fs::read_dir("/proc")
        .expect("procfs")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            cmdline.contains(" worker ") && cmdline.contains(&marker)
        })
        .expect("a worker is running");
    let killed = Command::new("kill")
        .args(["-9", &worker.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let output = child.wait_with_output().expect("the campaign ends");
    let summary = json(&output);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert!(
        summary.contains("\"restarts\":1") && summary.contains("SIGKILL"),
        "{summary}"
    );
}

/// A bug that a `known-open` entry of `corpus/regressions` records is known whichever seeds
/// the campaign starts from: `--seeds` replaces the start corpus, not the list of known bugs.
/// The only seed here is regression 0012's script as a plain seed, which shows open-0008 in
/// its first run on a salsa with that bug.
#[test]
fn a_known_open_bug_found_from_other_seeds_is_reported_as_known() {
    let scratch = scratch();
    let seeds = scratch.path().join("seeds");
    std::fs::create_dir(&seeds).expect("a seeds directory");
    let regression = Entry::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/regressions/0012-fixpoint-participant-stale-answer-asked-directly.sfz"),
    )
    .expect("regression 0012");
    let seed = Entry {
        status: Status::Seed,
        signature: String::new(),
        ..regression
    }
    .to_text();
    std::fs::write(seeds.join("stale-participant.sfz"), seed).expect("the seed is written");
    let seeds = seeds.to_str().expect("a UTF-8 path");
    let (output, _) = campaign(&scratch, &[], &["--time", "3s", "--seeds", seeds]);
    let summary = Summary::from_json(&json(&output)).expect("the summary is JSON");
    let open_0008 = known_bugs::by_id("open-0008").expect("in the registry");
    let stale: Vec<_> = summary
        .bugs
        .iter()
        .filter(|bug| open_0008.class.matches(&bug.signature))
        .collect();
    if known_bugs::is_here("open-0008") {
        assert!(
            !stale.is_empty(),
            "the seed shows open-0008: {:?}",
            summary.bugs
        );
    }
    for bug in stale {
        assert!(
            bug.known_open.is_some(),
            "{} is known open: {:?}",
            bug.signature,
            summary.bugs
        );
    }
}
