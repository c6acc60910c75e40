//! What the `salsa-fuzz` binary prints, pinned with `insta` snapshots under `tests/snapshots/`:
//! the help of every user-facing command, `fmt` and `fmt --rust` of committed entries, and the
//! shape of the `run --json` summary. A change to any of them shows up as a snapshot diff to
//! review (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test cli_snapshots` and
//! `git diff`).
//!
//! Snapshots hold nothing that differs between machines or runs: the binary runs from the
//! package root with relative paths, and the JSON summary keeps its shape, not its values.
//! `tests/cli.rs` checks usage errors; this file checks what a working command prints.

use std::path::Path;

use serde_json::Value;

const SEED: &str = "corpus/seeds/original-report-def-delete-retype.sfz";
const CANARY: &str = "corpus/regressions/0001-canary-scope-recreated-with-background-query.sfz";

mod common;

use common::salsa_fuzz;

/// The stdout of a command that must succeed.
#[track_caller]
fn stdout_of(args: &[&str]) -> String {
    let output = salsa_fuzz(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Every command a user runs, as its words on the command line.
const COMMANDS: [&[&str]; 14] = [
    &[],
    &["run"],
    &["repro"],
    &["minimize"],
    &["fmt"],
    &["corpus"],
    &["corpus", "check"],
    &["corpus", "export"],
    &["bench"],
    &["known-bugs"],
    &["coverage"],
    &["mutants"],
    &["salsa"],
    &["completions"],
];

#[test]
fn every_user_facing_command_has_the_help_it_had() {
    for command in COMMANDS {
        let args: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let name = if command.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", command.join("_"))
        };
        insta::assert_snapshot!(name, stdout_of(&args));
    }
}

#[test]
fn internal_commands_work_but_are_not_listed_in_help() {
    let help = stdout_of(&["--help"]);
    let listed: Vec<&str> = help
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        listed,
        [
            "run",
            "repro",
            "minimize",
            "fmt",
            "corpus",
            "bench",
            "known-bugs",
            "coverage",
            "mutants",
            "salsa",
            "completions",
            "help"
        ],
        "{help}"
    );
    for hidden in ["worker", "bench-mode"] {
        // The command exists, so its absence above is not a rename going unnoticed.
        stdout_of(&[hidden, "--help"]);
    }
}

#[test]
fn fmt_prints_a_seed_entry_in_the_corpus_format() {
    insta::assert_snapshot!(stdout_of(&["fmt", SEED]));
}

#[test]
fn fmt_rust_prints_the_canary_entry_as_a_test() {
    insta::assert_snapshot!(stdout_of(&["fmt", "--rust", CANARY]));
}

#[test]
fn the_rust_flag_goes_before_or_after_the_file() {
    assert_eq!(
        stdout_of(&["fmt", "--rust", CANARY]),
        stdout_of(&["fmt", CANARY, "--rust"])
    );
    assert_ne!(
        stdout_of(&["fmt", CANARY]),
        stdout_of(&["fmt", CANARY, "--rust"]),
        "--rust changes the output"
    );
}

#[test]
fn bash_completions_are_a_bash_completion_script() {
    let script = stdout_of(&["completions", "bash"]);
    // clap_complete names the function after the binary, with `-` spelled `__`.
    assert!(script.starts_with("_salsa__fuzz() {\n"), "{script}");
    assert!(
        script.contains("complete -F _salsa__fuzz") && script.contains("salsa-fuzz"),
        "{script}"
    );
    for command in [
        "run",
        "repro",
        "minimize",
        "fmt",
        "corpus",
        "known-bugs",
        "mutants",
    ] {
        assert!(script.contains(command), "{command} is completed");
    }
}

#[test]
fn the_json_summary_keeps_its_shape() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let corpus = scratch.path().join("w");
    let findings = scratch.path().join("f");
    let output = salsa_fuzz(&[
        "run",
        "--time",
        "1s",
        "--jobs",
        "1",
        "--json",
        "--corpus",
        corpus.to_str().expect("a UTF-8 path"),
        "--findings",
        findings.to_str().expect("a UTF-8 path"),
        "--seeds",
        "corpus/seeds",
    ]);
    // 1 if the second found something (the canary, when planted): the shape is the same.
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    insta::assert_snapshot!(serde_json::to_string_pretty(&shape(summary)).expect("JSON prints"));
}

/// The summary with its values blanked: numbers are 0 and strings `"[text]"`, except
/// `schema` and `stopped`, whose values are part of the contract. The findings and bugs become
/// `[]`: how many a one-second campaign finds is luck (on an older salsa it finds its known
/// bugs), and their fields are pinned by the
/// round-trip test of `Summary` in `src/campaign/report.rs`.
fn shape(summary: Value) -> Value {
    let Value::Object(fields) = summary else {
        panic!("the summary is an object: {summary}");
    };
    Value::Object(
        fields
            .into_iter()
            .map(|(key, value)| {
                let value = match key.as_str() {
                    "schema" | "stopped" => value,
                    "findings" | "bugs" if value.is_array() => Value::Array(Vec::new()),
                    _ => blank(value),
                };
                (key, value)
            })
            .collect(),
    )
}

fn blank(value: Value) -> Value {
    match value {
        Value::Number(_) => Value::from(0),
        Value::String(_) => Value::from("[text]"),
        Value::Array(items) => Value::Array(items.into_iter().map(blank).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(key, value)| (key, blank(value)))
                .collect(),
        ),
        other => other,
    }
}

/// A checked-in reproducer is `fmt --rust` of `entry` with its hand edits, which its header
/// lists: a `//` note (the canary's ends in a `cfg` line) above the generated text, and one
/// `should_panic(expected = …)` line. Without them the file must be what `fmt --rust` prints
/// today, so the generator and the checked-in test cannot drift apart.
fn assert_checked_in_reproducer(file: &str, entry: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let checked_in = std::fs::read_to_string(&path).expect("the checked-in reproducer");
    let start = checked_in
        .find("//! Generated by")
        .expect("the generated text");
    let (note, generated) = checked_in.split_at(start);
    let mut lines: Vec<&str> = note.lines().collect();
    if lines.last().is_some_and(|line| line.starts_with("#![cfg(")) {
        lines.pop();
    }
    assert!(
        lines.iter().all(|line| line.starts_with("// ")),
        "only a `//` note (and a `cfg` line) precedes the generated text:\n{note}"
    );
    let should_panic = format!("#[test]\n#[should_panic(expected = \"{expected}\")]\n");
    assert_eq!(
        generated.matches(&should_panic).count(),
        1,
        "one hand-added `should_panic` line, under `#[test]`"
    );
    let generated = generated.replacen(&should_panic, "#[test]\n", 1);
    assert_eq!(
        generated,
        stdout_of(&["fmt", "--rust", entry]),
        "{file} (left, without its hand edits) is not what `salsa-fuzz fmt --rust {entry}` \
         prints (right): regenerate it"
    );
}

#[test]
fn the_checked_in_canary_reproducer_is_what_fmt_rust_prints() {
    assert_checked_in_reproducer("tests/reproducer_canary_generated.rs", CANARY, "canary");
}

/// The reproducer of a threaded entry with a shuttle schedule.
#[test]
fn the_checked_in_scheduled_reproducer_is_what_fmt_rust_prints() {
    assert_checked_in_reproducer(
        "tests/reproducer_scheduled_generated.rs",
        "tests/fixtures/scheduled-class-mro-known-open.sfz",
        "answer of class_mro differs from the model",
    );
}
