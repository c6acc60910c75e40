//! libFuzzer beside the stable runner: `cargo +nightly fuzz run edit_script` against one
//! release for the run's whole time. libFuzzer stops at its first crash, so it is started
//! again (same corpus directory, the time left) after each one: one run then shows every bug
//! of a release, not only the most frequent. (`-fork=1 -ignore_crashes=1` does the same inside
//! libFuzzer, but ran at a third of the speed here.) Each crash's time and artifact are kept in
//! `libfuzzer-crashes.tsv`, so `--reuse` judges the same run later.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use super::{BenchOptions, RunFinding, observe};
use crate::matrix::{self, SalsaSpec};

/// The file that lists a run's crashes: seconds from the start, artifact path, and the
/// first line of its report (the key replays are shared by).
const CRASHES: &str = "libfuzzer-crashes.tsv";
/// Seconds the run took, written at its end.
const SECONDS: &str = "libfuzzer.seconds";
/// A bound on restarts, in case libFuzzer exits at once on every start.
const MAX_STARTS: usize = 2000;
/// Runs that stop at an input already seen, in a row, before the run gives up.
const MAX_REPEATS: usize = 20;
/// At most this many distinct kinds of crash are replayed to name their signatures.
const MAX_REPLAYS: usize = 40;
/// Crashes of one kind replayed, in time order, until one shows a finding again: a crash of a
/// race need not show on its first replay.
const REPLAYS_PER_KIND: usize = 4;

/// libFuzzer's run against one release.
#[derive(Clone, Debug)]
pub(super) struct FuzzRun {
    /// The run's length.
    pub seconds: f64,
    /// The first crash of each kind, in time order, with the signature its replay on the
    /// release gave (`first_s` from the run's start, `entry` the artifact).
    pub crashes: Vec<RunFinding>,
    /// Every crash, of any kind.
    pub total: usize,
}

/// A run in progress, on its own thread.
pub(super) struct Running {
    dir: PathBuf,
    thread: JoinHandle<Result<(), String>>,
}

/// Builds `edit_script` against salsa `version` and starts fuzzing, seeded with `seeds`.
pub(super) fn start(
    root: &Path,
    version: &str,
    dir: &Path,
    seeds: &Path,
    options: &BenchOptions,
) -> Result<Running, String> {
    let generated = matrix::generate(root, &SalsaSpec::Release(version.to_owned()))?;
    let fuzz_args = |command: &str| -> Vec<String> {
        vec![
            "+nightly".to_owned(),
            "fuzz".to_owned(),
            command.to_owned(),
            "--fuzz-dir".to_owned(),
            generated.fuzz_dir().display().to_string(),
            "-O".to_owned(),
            "--debug-assertions".to_owned(),
            "--sanitizer".to_owned(),
            "none".to_owned(),
            "edit_script".to_owned(),
        ]
    };
    let status = Command::new("cargo")
        .args(fuzz_args("build"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|error| format!("cargo fuzz build: {error}"))?;
    if !status.success() {
        return Err(format!("cargo fuzz build against salsa {version} failed"));
    }
    let dir = std::path::absolute(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let corpus = dir.join("libfuzzer-corpus");
    let artifacts = dir.join("libfuzzer-artifacts");
    // The run's own copy of the seeds: a seed that crashes is removed from it, or every
    // restart would stop at that seed again.
    let own_seeds = dir.join("libfuzzer-seeds");
    for path in [&corpus, &artifacts, &own_seeds] {
        std::fs::create_dir_all(path).map_err(|error| format!("{}: {error}", path.display()))?;
    }
    for seed in std::fs::read_dir(seeds)
        .map_err(|error| format!("{}: {error}", seeds.display()))?
        .flatten()
    {
        std::fs::copy(seed.path(), own_seeds.join(seed.file_name()))
            .map_err(|error| format!("{}: {error}", seed.path().display()))?;
    }
    // The directories go before `--`, as cargo-fuzz's own: otherwise it adds its default
    // corpus directory, which may hold inputs of earlier runs.
    let mut base = fuzz_args("run");
    base.push(corpus.display().to_string());
    base.push(own_seeds.display().to_string());
    base.push("--".to_owned());
    base.push("-print_final_stats=1".to_owned());
    base.extend(crate::fuzz::mutator::LIBFUZZER_FLAGS.map(str::to_owned));
    base.push(format!("-artifact_prefix={}/", artifacts.display()));
    let (time, seed, dir_owned) = (options.time, options.seed.max(1), dir.clone());
    let thread = std::thread::spawn(move || supervise(&base, &dir_owned, time, seed));
    Ok(Running { dir, thread })
}

/// Waits for the run to end and reads it back.
pub(super) fn finish(running: Running, binary: &Path) -> Result<FuzzRun, String> {
    running
        .thread
        .join()
        .map_err(|_| "the libFuzzer supervisor panicked".to_owned())??;
    read(&running.dir, binary)?.ok_or_else(|| "libFuzzer left no record".to_owned())
}

/// Starts libFuzzer with `base` again after each crash until `time` is up, recording each
/// crash in [`CRASHES`]. Start `n` runs with libFuzzer seed `seed + n`, so a restart does not
/// replay the run before it.
fn supervise(base: &[String], dir: &Path, time: Duration, seed: u64) -> Result<(), String> {
    let started = Instant::now();
    let started_at = SystemTime::now();
    let mut record =
        std::fs::File::create(dir.join(CRASHES)).map_err(|error| format!("{CRASHES}: {error}"))?;
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut repeats = 0;
    for start in 0..MAX_STARTS {
        let left = time.saturating_sub(started.elapsed());
        if left < Duration::from_secs(1) {
            break;
        }
        let log_path = dir.join(format!("libfuzzer-{start}.log"));
        let log = std::fs::File::create(&log_path)
            .map_err(|error| format!("{}: {error}", log_path.display()))?;
        let mut command = Command::new("cargo");
        command
            .args(base)
            .arg(format!("-seed={}", seed + start as u64))
            .arg(format!("-max_total_time={}", left.as_secs().max(1)))
            .stdout(Stdio::null())
            .stderr(log);
        // libFuzzer stops at -max_total_time; allow it a minute over, then stop cargo,
        // cargo-fuzz and the fuzzer together (their process group).
        let ended = crate::mutants::child::run_bounded(
            &mut command,
            left + Duration::from_secs(60),
            Duration::from_secs(5),
        )
        .map_err(|error| format!("cargo fuzz run: {error}"))?;
        let report = std::fs::read_to_string(&log_path).unwrap_or_default();
        let Some(artifact) = stopped_at(&report) else {
            if !ended.success() && !ended.timed_out {
                return Err(format!(
                    "libFuzzer stopped with no crash: see {}",
                    log_path.display()
                ));
            }
            break;
        };
        let bytes = std::fs::read(&artifact).unwrap_or_default();
        let removed = remove_copies(
            &bytes,
            &[dir.join("libfuzzer-corpus"), dir.join("libfuzzer-seeds")],
        );
        if seen.contains(&artifact) {
            // The same input again: a crashing seed (now removed), or a mutant found twice.
            repeats += 1;
            if removed == 0 && repeats >= MAX_REPEATS {
                break;
            }
            continue;
        }
        repeats = 0;
        let seconds = std::fs::metadata(&artifact)
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|written| written.duration_since(started_at).ok())
            .map_or_else(|| started.elapsed().as_secs_f64(), |d| d.as_secs_f64());
        writeln!(
            record,
            "{seconds:.1}\t{}\t{}",
            artifact.display(),
            report_key(&report)
        )
        .map_err(|error| format!("{CRASHES}: {error}"))?;
        seen.push(artifact);
    }
    std::fs::write(
        dir.join(SECONDS),
        format!("{:.1}\n", started.elapsed().as_secs_f64()),
    )
    .map_err(|error| format!("{SECONDS}: {error}"))
}

/// The input a run stopped at, as libFuzzer names it (a crash, a timeout, an out-of-memory,
/// a leak); `slow-unit-` files, which it writes and goes on, are not.
fn stopped_at(log: &str) -> Option<PathBuf> {
    log.lines()
        .rev()
        .filter_map(|line| {
            line.split_once("Test unit written to ")
                .map(|(_, path)| path.trim())
        })
        .find(|path| {
            let name = Path::new(path)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            ["crash-", "timeout-", "oom-", "leak-"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
        })
        .map(PathBuf::from)
}

/// Removes the files under `dirs` whose content is `bytes`; returns how many.
fn remove_copies(bytes: &[u8], dirs: &[PathBuf]) -> usize {
    let mut removed = 0;
    for dir in dirs {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if std::fs::read(&path).is_ok_and(|content| content == bytes)
                && std::fs::remove_file(&path).is_ok()
            {
                removed += 1;
            }
        }
    }
    removed
}

/// What a crashed run's log says about the crash, with numbers left out, so that crashes of
/// one kind share a key: the line after `salsa-fuzz finding` (the suite's report); else, for
/// a panic that libfuzzer-sys's hook turned into an abort before the suite could report it
/// (salsa's own assertions, on any thread), the panic's message and its file; else
/// libFuzzer's `ERROR:` line.
fn report_key(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    let after = |index: usize| lines.get(index + 1).copied();
    let finding = lines
        .iter()
        .position(|line| line.contains("salsa-fuzz finding"))
        .and_then(after)
        .map(str::to_owned);
    let panic = || {
        let index = lines
            .iter()
            .position(|line| line.contains(" panicked at "))?;
        let place = lines[index].split(" panicked at ").nth(1)?;
        let file = place.split(':').next()?.rsplit('/').next()?;
        let message = crate::oracle::normalize(after(index)?);
        Some(format!("panic `{message}` in {file}"))
    };
    let error = || {
        lines
            .iter()
            .find(|line| line.contains("ERROR: libFuzzer"))
            .map(|line| (*line).to_owned())
    };
    finding
        .or_else(panic)
        .or_else(error)
        .unwrap_or_else(|| "no report".to_owned())
        .chars()
        .filter(|c| !c.is_ascii_digit() && *c != '\t')
        .collect()
}

/// Whether a replay's `signature` is the crash of kind `key` again, not another finding of
/// the same input (an input can hold several bugs, and a replay reports the first it meets).
/// A suite report's key is its signature and step, numbers left out; an aborted panic's is
/// its message and file; a key of libFuzzer's own (a timeout, a signal) takes any finding.
fn replay_shows(key: &str, signature: &str) -> bool {
    let signature: String = signature.chars().filter(|c| !c.is_ascii_digit()).collect();
    if let Some(report) = key.strip_suffix(" (step )") {
        return signature == report;
    }
    if key.starts_with("panic `")
        && let Some((panic, file)) = key.rsplit_once(" in ")
    {
        return signature.contains(&format!("{panic} at ")) && signature.contains(file);
    }
    true
}

/// The key of each crash whose run's log is still in `dir` (`libfuzzer-N.log`), by the
/// artifact the run stopped at: keys are taken again from the logs, so a run recorded
/// before a change of [`report_key`] is judged by the current one.
fn keys_from_logs(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut keys = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("libfuzzer-") && name.ends_with(".log")) {
            continue;
        }
        let log = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if let Some(artifact) = stopped_at(&log) {
            keys.push((artifact, report_key(&log)));
        }
    }
    keys
}

/// A run kept in `dir`, if it finished: the first crash of each kind that `binary` (the
/// release it ran against) replays as a finding, trying up to [`REPLAYS_PER_KIND`] of a kind
/// in time order, for at most [`MAX_REPLAYS`] kinds.
pub(super) fn read(dir: &Path, binary: &Path) -> Result<Option<FuzzRun>, String> {
    let Some(seconds) = std::fs::read_to_string(dir.join(SECONDS))
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
    else {
        return Ok(None);
    };
    let record = std::fs::read_to_string(dir.join(CRASHES)).unwrap_or_default();
    let from_logs = keys_from_logs(dir);
    // Per kind: how many of its crashes were replayed, and the first that replayed (or,
    // failing that, the first one: a racy crash need not show again).
    let mut kinds: Vec<(&str, usize, Option<RunFinding>, bool)> = Vec::new();
    let mut total = 0;
    for line in record.lines() {
        let mut fields = line.splitn(3, '\t');
        let (Some(first_s), Some(path), key) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let Ok(first_s) = first_s.parse::<f64>() else {
            continue;
        };
        total += 1;
        let key = from_logs
            .iter()
            .find(|(artifact, _)| artifact == Path::new(path))
            .map_or(key.unwrap_or(""), |(_, key)| key.as_str());
        let kind = match kinds.iter().position(|(known, ..)| *known == key) {
            Some(kind) => kind,
            None if kinds.len() >= MAX_REPLAYS => continue,
            None => {
                kinds.push((key, 0, None, false));
                kinds.len() - 1
            }
        };
        let (_, tried, first, replayed) = &mut kinds[kind];
        if *replayed || *tried >= REPLAYS_PER_KIND {
            continue;
        }
        *tried += 1;
        let entry = PathBuf::from(path);
        let signature = observe(binary, &entry)?.filter(|signature| replay_shows(key, signature));
        *replayed = signature.is_some();
        if *replayed || first.is_none() {
            *first = Some(RunFinding {
                signature: signature.unwrap_or_else(|| "crash (did not replay)".to_owned()),
                first_s,
                entry: Some(entry),
            });
        }
    }
    let mut crashes: Vec<RunFinding> = kinds
        .into_iter()
        .filter_map(|(_, _, first, _)| first)
        .collect();
    crashes.sort_by(|a, b| a.first_s.total_cmp(&b.first_s));
    Ok(Some(FuzzRun {
        seconds,
        crashes,
        total,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crashes_of_one_kind_share_a_key() {
        let log = "INFO: Seed: 1\nthread 'x' panicked at src/fuzz/mod.rs:71:9:\nsalsa-fuzz finding\nSalsa: project answers differ from the model (exports) (step 12)\n  a.py: ...\n==1== ERROR: libFuzzer: deadly signal\n";
        let other = log.replace("step 12", "step 40");
        assert_eq!(report_key(log), report_key(&other));
        assert_eq!(
            report_key(log),
            "Salsa: project answers differ from the model (exports) (step )"
        );
        assert_eq!(
            report_key("==7== ERROR: libFuzzer: timeout after 20 seconds\n"),
            "==== ERROR: libFuzzer: timeout after  seconds"
        );
    }

    #[test]
    fn salsas_own_panics_are_keyed_by_message_not_lumped_as_a_deadly_signal() {
        let panic = |thread: &str, message: &str| {
            format!(
                "thread '{thread}' (24564) panicked at /r/salsa-0.27.0/src/{message}\n==1== ERROR: libFuzzer: deadly signal\n"
            )
        };
        let specify = panic(
            "salsa-fuzz-bg-2",
            "function/specify.rs:130:18:\nexpected a query assigned by `semantic_index(Id(803))`, not `Derived([Input(ScopeId.parent(Id(c12)))])`",
        );
        let lru = panic(
            "<unnamed>",
            "interned.rs:543:9:\ninterned value in LRU so must be in key_map: AbsentEntry",
        );
        assert_eq!(
            report_key(&specify),
            "panic `expected a query assigned by `semantic_index(Id(N))`, not `Derived(..)`` in specify.rs"
        );
        assert_eq!(
            report_key(&specify.replace("803", "801").replace("c12", "e")),
            report_key(&specify)
        );
        assert_eq!(
            report_key(&lru),
            "panic `interned value in LRU so must be in key_map: AbsentEntry` in interned.rs"
        );
    }

    #[test]
    fn a_kind_is_named_by_its_first_crash_that_replays() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let dir = dir.path();
        // A stand-in for the release's `salsa-fuzz repro ENTRY --any`: only crash-2 replays.
        let binary = dir.join("salsa-fuzz");
        std::fs::write(
            &binary,
            "#!/bin/sh\ncase \"$2\" in *crash-2) echo 'observed: Salsa: panic `x`';; *) echo 'observed: none';; esac\n",
        )
        .expect("write");
        std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::write(dir.join(SECONDS), "600.0\n").expect("write");
        let race = "Salsa: panic `x` (step )";
        let record = [
            format!("1.0\t{}\t{race}", dir.join("crash-1").display()),
            format!("2.0\t{}\t{race}", dir.join("crash-2").display()),
            format!("3.0\t{}\t{race}", dir.join("crash-3").display()),
            format!("4.0\t{}\tother", dir.join("crash-4").display()),
        ];
        std::fs::write(dir.join(CRASHES), record.join("\n")).expect("write");
        let run = read(dir, &binary).expect("read").expect("a finished run");
        assert_eq!(run.total, 4);
        let named: Vec<(f64, &str)> = run
            .crashes
            .iter()
            .map(|crash| (crash.first_s, crash.signature.as_str()))
            .collect();
        assert_eq!(
            named,
            [(2.0, "Salsa: panic `x`"), (4.0, "crash (did not replay)")]
        );
    }

    #[test]
    fn a_replay_names_a_kind_only_if_it_shows_that_crash_again() {
        let cancelled = "Salsa: panic `unexpected cancellation on the main thread: cancelled because of propagated panic` at  []";
        let key = format!("{cancelled} (step )");
        assert!(replay_shows(&key, cancelled));
        assert!(!replay_shows(
            &key,
            "Harness: project answers differ from the model (qualnames): re-executed"
        ));
        let lru = "panic `interned value in LRU so must be in key_map: AbsentEntry` in interned.rs";
        assert!(replay_shows(
            lru,
            "Salsa: panic `interned value in LRU so must be in key_map: AbsentEntry` at salsa/src/interned.rs [salsa::interned::x]"
        ));
        assert!(!replay_shows(lru, cancelled));
        assert!(replay_shows(
            "==== ERROR: libFuzzer: timeout after  seconds",
            cancelled
        ));
    }

    #[test]
    fn a_run_stopped_at_its_crash_not_at_a_slow_unit() {
        let log = "Slowest unit: 11 s:\nartifact_prefix='/a/'; Test unit written to /a/slow-unit-12\n==1== ERROR: libFuzzer: deadly signal\nartifact_prefix='/a/'; Test unit written to /a/crash-34\nBase64: AA==\n";
        assert_eq!(stopped_at(log), Some(PathBuf::from("/a/crash-34")));
        assert_eq!(stopped_at("Done 100 runs in 600 second(s)\n"), None);
    }
}
