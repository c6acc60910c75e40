//! Nothing found is ever lost, and bad settings are errors: each test is one of the ways
//! findings were lost or replaced before (entries sharing a name, campaigns sharing a work
//! file, unwritable or full output directories, signals, a hung worker outliving its campaign).
#![cfg(not(feature = "canary"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use salsa_fuzz::campaign::{Stopped, Summary};
use salsa_fuzz::corpus::{Entry, Status};
use salsa_fuzz::script::EditScript;
use salsa_fuzz::triage::{MinimizeOutcome, write_new_entry};

fn salsa_fuzz() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

fn run_args(dir: &Path, time: &str) -> Vec<String> {
    vec![
        "run".to_owned(),
        "--json".to_owned(),
        "--jobs".to_owned(),
        "1".to_owned(),
        "--time".to_owned(),
        time.to_owned(),
        "--seeds".to_owned(),
        "corpus/seeds".to_owned(),
        "--corpus".to_owned(),
        dir.join("working").display().to_string(),
        "--findings".to_owned(),
        dir.join("findings").display().to_string(),
    ]
}

fn summary(output: &Output) -> Summary {
    let stdout = String::from_utf8_lossy(&output.stdout);
    Summary::from_json(stdout.trim()).unwrap_or_else(|error| {
        panic!(
            "no JSON summary ({error}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn entries_in(dir: &Path) -> Vec<PathBuf> {
    salsa_fuzz::corpus::entries_under(dir).unwrap_or_default()
}

#[test]
fn two_different_findings_with_one_signature_are_both_kept() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let signature = "Salsa: project answers differ from the model (exports)".to_owned();
    let first = Entry::new(
        EditScript::from_bytes(b"first script"),
        Status::New,
        signature.clone(),
    );
    let second = Entry::new(
        EditScript::from_bytes(b"another script"),
        Status::New,
        signature,
    );
    assert_ne!(first.script, second.script);
    let MinimizeOutcome::Wrote(a) = write_new_entry(&first, scratch.path()).expect("written")
    else {
        panic!("the first entry is new");
    };
    let MinimizeOutcome::Wrote(b) = write_new_entry(&second, scratch.path()).expect("written")
    else {
        panic!("the second entry is new");
    };
    assert_ne!(a, b);
    assert_eq!(entries_in(scratch.path()).len(), 2);
    // A status set by hand survives minimizing the same finding again.
    let text = std::fs::read_to_string(&a).expect("readable");
    std::fs::write(&a, text.replace("status: new", "status: known-open")).expect("writable");
    assert_eq!(
        write_new_entry(&first, scratch.path()).expect("no error"),
        MinimizeOutcome::AlreadyThere(a.clone())
    );
    assert_eq!(Entry::read(&a).expect("an entry").status, Status::KnownOpen);
}

#[test]
fn two_campaigns_on_one_corpus_keep_their_own_crash_inputs() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let shared = scratch.path().join("working");
    let start = |name: &str| {
        let findings = scratch.path().join(name);
        let child = salsa_fuzz()
            .args(["run", "--json", "--jobs", "1", "--time", "4s", "--corpus"])
            .arg(&shared)
            .arg("--findings")
            .arg(&findings)
            .env("SALSA_FUZZ_TEST_ABORT_AT", "30")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("a campaign starts");
        (child, findings)
    };
    let (a, findings_a) = start("findings-a");
    let (b, findings_b) = start("findings-b");
    for (child, findings) in [(a, findings_a), (b, findings_b)] {
        let output = child.wait_with_output().expect("the campaign ends");
        let summary = summary(&output);
        let crash = summary
            .findings
            .iter()
            .find(|finding| finding.signature.starts_with("Crash: worker died"))
            .unwrap_or_else(|| panic!("the abort is a finding: {summary:?}"));
        let entry = crash.entry.as_ref().expect("its input is kept");
        assert!(entry.starts_with(&findings), "{entry:?} in {findings:?}");
        let kept = Entry::read(entry).expect("a whole entry");
        assert!(!kept.script.steps.is_empty() || !kept.script.initial.is_empty());
    }
    // Each campaign's work area is gone with it.
    let left: Vec<_> = std::fs::read_dir(shared.join(".work"))
        .expect("the work base")
        .flatten()
        .collect();
    assert!(left.is_empty(), "work areas left behind: {left:?}");
}

#[test]
fn an_unwritable_findings_directory_is_one_error_before_the_first_run() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let not_a_dir = scratch.path().join("findings");
    std::fs::write(&not_a_dir, "a file").expect("writable");
    let output = salsa_fuzz()
        .args(run_args(scratch.path(), "5s"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("salsa-fuzz: --findings")
            && stderr.contains(&not_a_dir.display().to_string()),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// Mounts a tmpfs of `size` at `at` (`ro` read-only); false where this process cannot mount.
fn mount_tmpfs(at: &Path, size: &str, ro: bool) -> bool {
    let options = if ro {
        format!("size={size},ro")
    } else {
        format!("size={size}")
    };
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", &options, "tmpfs"])
        .arg(at)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn a_read_only_findings_directory_is_one_error_before_the_first_run() {
    // File modes do not stop root: a read-only file system does.
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let mount = scratch.path().join("findings");
    std::fs::create_dir(&mount).expect("a mount point");
    if !mount_tmpfs(&mount, "64k", true) {
        eprintln!("skipped: cannot mount a read-only tmpfs here (needs root)");
        return;
    }
    let output = salsa_fuzz()
        .args(run_args(scratch.path(), "5s"))
        .output()
        .expect("runs");
    let _ = Command::new("umount").arg(&mount).status();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("salsa-fuzz: --findings") && stderr.contains("Read-only"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn a_full_disk_stops_the_campaign_with_that_error() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let mount = scratch.path().join("small");
    std::fs::create_dir(&mount).expect("a mount point");
    if !mount_tmpfs(&mount, "48k", false) {
        eprintln!("skipped: cannot mount a small tmpfs here (needs root)");
        return;
    }
    let output = salsa_fuzz()
        .args(run_args(&mount, "20s"))
        .output()
        .expect("runs");
    let _ = Command::new("umount").arg(&mount).status();
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(2), "{summary:?}");
    assert_eq!(summary.stopped, Stopped::Error);
    let error = summary.error.unwrap_or_default();
    assert!(error.contains("No space left"), "{error}");
    assert!(
        summary
            .findings
            .iter()
            .all(|finding| !finding.signature.starts_with("Crash:")),
        "a full disk is not a finding: {:?}",
        summary.findings
    );
    assert!(
        summary.restarts < 5,
        "no restart loop: {}",
        summary.restarts
    );
}

#[test]
fn sigterm_gives_the_summary_and_the_json() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let child = salsa_fuzz()
        .args(run_args(scratch.path(), "60s"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    std::thread::sleep(Duration::from_millis(2500));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let started = Instant::now();
    let output = child.wait_with_output().expect("ends");
    // Well before the 60 s the run would last without the signal; a loaded 2-core machine
    // against an old salsa (findings to save, debug builds) once took 43 s.
    assert!(started.elapsed() < Duration::from_secs(50));
    let summary = summary(&output);
    assert_eq!(summary.stopped, Stopped::Signal);
    assert!(summary.runs > 0);
    assert!(matches!(output.status.code(), Some(0 | 1)));
}

/// The process ids whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("procfs")
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline)
                .replace('\0', " ")
                .contains(marker)
        })
        .collect()
}

#[test]
fn a_hung_worker_dies_with_its_killed_campaign() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let marker = scratch.path().join("working").display().to_string();
    let mut child = salsa_fuzz()
        .args(run_args(scratch.path(), "60s"))
        .args(["--hang-limit", "300s"])
        .env("SALSA_FUZZ_TEST_HANG_AT", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    std::thread::sleep(Duration::from_millis(2000));
    let workers: Vec<u32> = processes_with(&marker)
        .into_iter()
        .filter(|pid| *pid != child.id())
        .collect();
    assert!(!workers.is_empty(), "a worker runs");
    child.kill().expect("killed");
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let alive: Vec<u32> = processes_with(&marker)
            .into_iter()
            .filter(|pid| {
                // A zombie (reaped by init later) is dead.
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|stat| !stat.contains(") Z "))
            })
            .collect();
        if alive.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the hung worker outlived its campaign");
}

#[test]
fn a_missing_seeds_directory_is_one_line_and_exit_two() {
    // `--jobs 0` and zero durations are tests/cli.rs's; scratch directories, so that a
    // regression here could not run a campaign in the checkout's corpus.
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let mut args = run_args(scratch.path(), "1s");
    args.extend(["--seeds".to_owned(), "/nonexistent/seeds".to_owned()]);
    let output = salsa_fuzz().args(&args).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("salsa-fuzz: --seeds /nonexistent/seeds"),
        "{stderr}"
    );
}
