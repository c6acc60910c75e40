//! The `salsa-fuzz` command line: bad usage, and a file or directory that is not there, is one
//! clear line on stderr, nothing on stdout, and exit status 2 (`tests/campaign.rs` runs
//! campaigns, `tests/crash_pipeline.rs` feeds corrupt entries, `tests/cli_snapshots.rs` pins
//! the help texts).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

mod common;

use common::salsa_fuzz;

/// Asserts exit status 2, an empty stdout and one `salsa-fuzz: …` line on stderr that contains
/// `names`.
#[track_caller]
fn assert_one_line_usage_error<S: AsRef<OsStr> + std::fmt::Debug>(args: &[S], names: &str) {
    let output = salsa_fuzz(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {args:?}: {stderr}");
    assert!(stderr.starts_with("salsa-fuzz: "), "{args:?}: {stderr}");
    assert!(stderr.contains(names), "{args:?} names {names}: {stderr}");
}

#[test]
fn usage_errors_are_one_line_and_exit_two() {
    for (args, names) in [
        (&["run", "--frobnicate"][..], "--frobnicate"),
        (&["run", "--jobs", "many"], "--jobs"),
        (&["run", "--time", "soon"], "--time"),
        (&["run", "--seed"], "--seed"),
        (&["dance"], "dance"),
        (&["fmt"], "FILE"),
    ] {
        assert_one_line_usage_error(args, names);
    }
}

#[test]
fn no_command_at_all_is_one_line_pointing_at_the_help() {
    let output = salsa_fuzz::<&str>(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("salsa-fuzz: a command is required") && stderr.contains("--help"),
        "{stderr}"
    );
}

#[test]
fn zero_jobs_and_zero_durations_are_refused_before_anything_runs() {
    // Were one accepted, a campaign would start: it gets a scratch corpus and one second, so
    // that a regression here fails quickly and writes nothing into the checkout.
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let corpus = scratch.path().join("w");
    let findings = scratch.path().join("f");
    let campaign = |flag: &str, value: &str| -> Vec<OsString> {
        let mut args: Vec<OsString> = ["run", "--time", "1s", flag, value]
            .iter()
            .map(OsString::from)
            .collect();
        args.extend(["--corpus".into(), corpus.clone().into_os_string()]);
        args.extend(["--findings".into(), findings.clone().into_os_string()]);
        args
    };
    for (flag, value) in [
        ("--jobs", "0"),
        ("--time", "0s"),
        ("--time", "0"),
        ("--hang-limit", "0s"),
    ] {
        assert_one_line_usage_error(&campaign(flag, value), flag);
    }
    assert_one_line_usage_error(&["bench", "--seconds", "0"], "--seconds");
    assert!(!corpus.exists() && !findings.exists(), "no campaign ran");
}

#[test]
fn arguments_that_are_not_utf8_are_one_line_and_exit_two() {
    let bad = OsStr::from_bytes(b"\xff\xfe");
    let with_bad = |before: &[&str], after: &[&str]| -> Vec<OsString> {
        before
            .iter()
            .map(OsString::from)
            .chain([bad.to_owned()])
            .chain(after.iter().map(OsString::from))
            .collect()
    };
    // Where a command or a text is expected (a path may be any bytes: see the next test).
    for (args, names) in [
        (with_bad(&[], &[]), "unrecognized subcommand"),
        (with_bad(&["run", "--seed"], &[]), "UTF-8"),
        (with_bad(&["run", "--time"], &[]), "UTF-8"),
        (with_bad(&["salsa"], &["test"]), "UTF-8"),
    ] {
        assert_one_line_usage_error(&args, names);
    }
}

#[test]
fn corpus_check_takes_one_entry_and_names_an_unreadable_path_once() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let missing = scratch.path().join("missing");
    let missing = missing.to_str().expect("a UTF-8 path");
    let output = salsa_fuzz(&["corpus", "check", missing]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches(missing).count(), 1, "named once: {stderr}");

    let seed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/seeds/original-report-def-delete-retype.sfz");
    let entry = scratch.path().join("one.sfz");
    std::fs::copy(&seed, &entry).expect("a copy of a seed");
    let output = salsa_fuzz(&[OsStr::new("corpus"), OsStr::new("check"), entry.as_os_str()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 entries: 1 ok"), "{stdout}");
}

#[test]
fn a_missing_file_or_an_empty_corpus_is_one_line_and_exit_two() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let empty = scratch.path().to_str().expect("a UTF-8 path");
    let missing = scratch.path().join("missing.sfz");
    let missing = missing.to_str().expect("a UTF-8 path");
    assert_one_line_usage_error(&["repro", missing], missing);
    assert_one_line_usage_error(&["repro", "--any", missing], missing);
    assert_one_line_usage_error(&["corpus", "check", empty], "no corpus entries");
    assert_one_line_usage_error(&["corpus", "check", missing], missing);
    // A path that is not UTF-8 is still a path: it is looked for, and named as well as it can be.
    let shown = format!("{}/\u{fffd}.sfz", scratch.path().display());
    let mut bytes = scratch.path().as_os_str().as_bytes().to_vec();
    bytes.extend_from_slice(b"/\xff.sfz");
    let args = [OsStr::new("fmt"), OsStr::from_bytes(&bytes)];
    assert_one_line_usage_error(&args, &shown);
    assert_eq!(
        std::fs::read_dir(scratch.path())
            .expect("the scratch directory")
            .count(),
        0,
        "nothing was written"
    );
}
