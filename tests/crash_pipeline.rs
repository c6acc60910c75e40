//! The crash pipeline from the command line: `repro`, `minimize` and `fmt` on good, corrupt and
//! truncated inputs, and (with the canary planted) a libFuzzer artifact minimized into a small
//! entry that replays.

use std::path::Path;
use std::process::{Command, Output};

fn salsa_fuzz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A directory removed when the test ends, pass or fail.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a scratch directory")
}

fn seed() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/seeds/lru-eviction-and-durability.sfz"),
    )
    .expect("the seed exists")
}

#[test]
fn corrupt_truncated_and_missing_files_are_one_line_and_exit_two() {
    let tmp = scratch();
    let dir = tmp.path();
    let seed = seed();
    let truncated = dir.join("truncated.sfz");
    std::fs::write(&truncated, &seed[..seed.len() - "end\n".len()]).expect("write");
    let corrupt = dir.join("corrupt.sfz");
    std::fs::write(&corrupt, seed.replace("lru-evict", "lru-evicted")).expect("write");
    let newer = dir.join("newer.sfz");
    std::fs::write(&newer, seed.replace("format: 2", "format: 9")).expect("write");
    let missing = dir.join("missing.sfz");
    let out = dir.join("out");
    for file in [&truncated, &corrupt, &newer, &missing] {
        let before = std::fs::read(file).ok();
        let file = file.to_str().expect("utf-8 path");
        let out = out.to_str().expect("utf-8 path");
        for args in [
            vec!["repro", file],
            vec!["minimize", file, "-o", out],
            vec!["fmt", file],
            vec!["fmt", file, "--rust"],
        ] {
            let output = salsa_fuzz(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "one line: {args:?}: {stderr}");
            assert_eq!(
                stderr
                    .lines()
                    .next()
                    .map(|line| line.starts_with("salsa-fuzz: ")),
                Some(true),
                "{args:?}: {stderr}"
            );
            assert!(
                stderr
                    .lines()
                    .next()
                    .is_some_and(|line| line.contains(file)),
                "{args:?} names the file: {stderr}"
            );
        }
        assert_eq!(std::fs::read(file).ok(), before, "{file} was not touched");
    }
    assert!(!out.exists(), "nothing was written");
    let newer_error =
        String::from_utf8_lossy(&salsa_fuzz(&["fmt", newer.to_str().expect("utf-8")]).stderr)
            .into_owned();
    assert!(newer_error.contains("format 9"), "{newer_error}");
}

#[test]
fn a_seed_prints_replays_clean_and_formats_as_rust() {
    let tmp = scratch();
    let dir = tmp.path();
    let path = dir.join("seed.sfz");
    std::fs::write(&path, seed()).expect("write");
    let path = path.to_str().expect("utf-8 path");
    let repro = salsa_fuzz(&["repro", path]);
    let stdout = String::from_utf8_lossy(&repro.stdout);
    assert_eq!(repro.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("lru-capacity 1") && stdout.contains("no finding"),
        "{stdout}"
    );
    let rust = salsa_fuzz(&["fmt", path, "--rust"]);
    let code = String::from_utf8_lossy(&rust.stdout);
    assert!(
        code.contains("#[test]") && code.contains("db.set_parse_lru_capacity(1);"),
        "{code}"
    );
    assert!(
        code.contains("db.trigger_lru_eviction();") && code.contains("check_all(&db);"),
        "{code}"
    );
}

#[cfg(feature = "canary")]
#[test]
/// The artifact is a libFuzzer crash of the canary (11 steps, 402 bytes of Python), re-encoded
/// whenever the byte codec changes (the fault step; the builtins step, the `types` query and
/// the value fragments): `fmt` with the binary before, `corpus export` with the one after, the
/// same script.
fn the_canary_artifact_minimizes_to_a_small_entry_that_replays() {
    use salsa_fuzz::corpus::Entry;
    use salsa_fuzz::minimize::python_bytes;

    let artifact = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/artifacts/canary-crash-4e204445");
    let artifact = artifact.to_str().expect("utf-8 path");
    let repro = salsa_fuzz(&["repro", artifact]);
    assert_eq!(
        repro.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&repro.stdout)
    );

    let tmp = scratch();
    let out = tmp.path();
    let output = salsa_fuzz(&[
        "minimize",
        artifact,
        "-o",
        out.to_str().expect("utf-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let written: Vec<_> = std::fs::read_dir(out)
        .expect("the entry was written")
        .flatten()
        .collect();
    assert_eq!(written.len(), 1, "{stdout}");
    let entry = Entry::read(&written[0].path()).expect("the entry parses");
    assert!(
        entry.script.steps.len() <= 8,
        "{} steps:\n{}",
        entry.script.steps.len(),
        entry.to_text()
    );
    assert!(
        python_bytes(&entry.script) <= 120,
        "{} bytes:\n{}",
        python_bytes(&entry.script),
        entry.to_text()
    );
    assert!(
        entry.signature.starts_with("Canary:"),
        "{}",
        entry.signature
    );
    assert!(
        salsa_fuzz::triage::replay(&entry, 10).hits > 0,
        "the minimized entry replays"
    );
}
