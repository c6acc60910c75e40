//! Triage of one finding or one corpus: reading an entry or a libFuzzer artifact, replaying
//! it, minimizing it into a corpus entry, and checking a corpus against the statuses its
//! entries record. `salsa-fuzz repro`, `minimize`, `fmt` and `corpus check` are thin callers.
//!
//! Every function writes its human-readable report to the `out` it is given and returns what a
//! caller decides an exit status by; failures to read or write a file are [`TriageError`]s
//! that name the path. Nothing here writes outside the directory it is told to write to.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::corpus::{self, Entry, Status};
use crate::exec::{self, ExecOptions, Schedule, Strategy, install_panic_hook};
use crate::minimize::{self, MinimizeOptions};
use crate::script::EditScript;

/// Attempts for a finding that only reproduces with threads.
pub const REPRO_ATTEMPTS: u32 = 10;

/// Why a triage command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file looks like a corpus entry but is not a valid one.
    #[error("{path}: corrupt entry: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// An output could not be written.
    #[error("{0}")]
    Write(String),
    /// A corpus directory holds no entry.
    #[error("{0}: no corpus entries (`.sfz` files) here")]
    Empty(PathBuf),
}

/// Reads a corpus entry, or a libFuzzer artifact (any other bytes) as an untriaged entry.
///
/// A `.sfz` file, or text that starts like an entry, is an entry: a damaged one is an error,
/// never reinterpreted as fuzzer bytes.
pub fn load(path: &Path) -> Result<Entry, TriageError> {
    let bytes = std::fs::read(path).map_err(|source| TriageError::Read {
        path: path.to_owned(),
        source,
    })?;
    let looks_like_entry = path.extension().is_some_and(|ext| ext == "sfz")
        || Entry::is_entry(&bytes)
        || bytes.starts_with(b"# salsa-fuzz");
    if looks_like_entry {
        let corrupt = |message: String| TriageError::Corrupt {
            path: path.to_owned(),
            message,
        };
        let text = String::from_utf8(bytes).map_err(|_| corrupt("not UTF-8".to_owned()))?;
        return Entry::parse(&text).map_err(|error| corrupt(error.to_string()));
    }
    let script = EditScript::from_bytes(&bytes);
    Ok(Entry::new(script, Status::New, String::new()))
}

/// The entry's signature: its own, or, for an artifact, whatever running it finds first (with
/// threads, then inline); also says whether it showed inline, and, in a shuttle build, the
/// schedule a threaded finding showed under (the entry's own, else one [`schedule_search`]
/// finds).
pub fn find_signature(entry: &Entry) -> Option<(String, bool, Option<Schedule>)> {
    if !entry.signature.is_empty() {
        let schedule = exact_schedule(entry, &entry.signature);
        return Some((entry.signature.clone(), entry.sequential, schedule));
    }
    if cfg!(feature = "shuttle") {
        // An entry's recorded schedule is its interleaving: only that one is asked (the
        // known-bug benchmark judges a finding on its fix release so).
        let candidates: Vec<Schedule> = match entry.schedule {
            Some(schedule) => vec![schedule],
            None => schedule_search(&entry.script).collect(),
        };
        let threaded = candidates.into_iter().find_map(|schedule| {
            signature_unmasked(entry, false, Some(schedule))
                .map(|signature| (signature, false, Some(schedule)))
        });
        if threaded.is_some() {
            return threaded;
        }
    } else {
        for _ in 0..REPRO_ATTEMPTS {
            if let Some(signature) = minimize::signature_of(&entry.script, false) {
                return Some((signature, false, None));
            }
        }
    }
    minimize::signature_of(&entry.script, true).map(|signature| (signature, true, None))
}

/// How many schedules [`schedule_search`] offers after the script's own.
pub const SCHEDULE_SEARCH: u64 = 200;

/// The schedules a shuttle build tries on a threaded finding that has none recorded (one
/// found on OS threads): the one the script chooses, then PCT of depths 2 to 4 over
/// growing horizons and random, each with its own seed.
pub fn schedule_search(script: &EditScript) -> impl Iterator<Item = Schedule> {
    let own = Schedule::of_script(script);
    std::iter::once(own).chain((0..SCHEDULE_SEARCH).map(|n| Schedule {
        strategy: match n % 4 {
            0 => Strategy::Random,
            depth => Strategy::Pct {
                depth: depth as u8 + 1,
                horizon: 256 << ((n / 4) % 7),
            },
        },
        seed: n + 1,
    }))
}

/// In a shuttle build, the schedule under which a threaded entry shows `signature`: its
/// recorded one, else the first of [`schedule_search`] that does; `None` for a sequential
/// entry, in other builds, or when no schedule shows it.
fn exact_schedule(entry: &Entry, signature: &str) -> Option<Schedule> {
    if !cfg!(feature = "shuttle") || entry.sequential {
        return None;
    }
    entry
        .schedule
        .into_iter()
        .chain(schedule_search(&entry.script))
        .find(|&schedule| {
            signature_unmasked(entry, false, Some(schedule)).as_deref() == Some(signature)
        })
}

/// The signature of `entry`'s script under `schedule`, with a known-open entry's bug
/// unmasked (as [`replay`] runs it).
fn signature_unmasked(
    entry: &Entry,
    sequential: bool,
    schedule: Option<Schedule>,
) -> Option<String> {
    minimize::signature_with(
        &entry.script,
        &ExecOptions {
            sequential,
            schedule,
            mask_open_bugs: entry.status != Status::KnownOpen,
            ..ExecOptions::default()
        },
    )
}

/// `repro FILE --any`: runs the script (threads, then inline) whatever its recorded signature
/// and writes `observed: SIGNATURE` or `observed: none`; true if something was found. The
/// known-bug benchmark asks a fix release this about a finding of the buggy one.
pub fn repro_any(path: &Path, out: &mut dyn Write) -> Result<bool, TriageError> {
    install_panic_hook();
    let entry = Entry {
        signature: String::new(),
        ..load(path)?
    };
    let observed = find_signature(&entry);
    let shown = observed
        .as_ref()
        .map_or("none", |(signature, _, _)| signature);
    writeln!(out, "observed: {shown}").map_err(write_error)?;
    Ok(observed.is_some())
}

/// `repro FILE`: prints the script, runs it and prints the finding; true if it reproduced.
pub fn repro(path: &Path, out: &mut dyn Write) -> Result<bool, TriageError> {
    install_panic_hook();
    let entry = load(path)?;
    writeln!(out, "script of {}:", path.display()).map_err(write_error)?;
    write!(
        out,
        "{}",
        crate::script::syntax::script_to_text(&entry.script)
    )
    .map_err(write_error)?;
    let Some((signature, sequential, schedule)) = find_signature(&entry) else {
        let inline = ExecOptions {
            sequential: true,
            ..ExecOptions::default()
        };
        let stats = exec::execute(&entry.script, &inline).stats;
        writeln!(
            out,
            "no finding (threads x{REPRO_ATTEMPTS}, then inline)\n\
             inline run: {} steps, {} skipped, {} comparisons, {} faults fired",
            stats.steps_by_kind.iter().sum::<usize>(),
            stats.steps_skipped,
            stats.comparisons,
            stats.faults_fired
        )
        .map_err(write_error)?;
        return Ok(false);
    };
    if let Some(schedule) = schedule {
        let recorded = if entry.schedule == Some(schedule) {
            "the entry's"
        } else if schedule == Schedule::of_script(&entry.script) {
            "chosen by the script"
        } else {
            "found by searching schedules; `minimize` records it"
        };
        writeln!(
            out,
            "schedule: {schedule} ({recorded}; every run under it is the same interleaving)"
        )
        .map_err(write_error)?;
    }
    let entry = Entry {
        signature: signature.clone(),
        sequential,
        schedule: schedule.or(entry.schedule),
        ..entry
    };
    let replay = replay(&entry, REPRO_ATTEMPTS);
    let mode = if sequential { "inline" } else { "threads" };
    if replay.hits == 0 {
        writeln!(
            out,
            "did not reproduce in {} runs ({mode}); expected: {signature}",
            replay.attempts
        )
        .map_err(write_error)?;
        return Ok(false);
    }
    writeln!(
        out,
        "reproduced ({mode}, run {} of at most {}):",
        replay.attempts,
        if sequential { 1 } else { REPRO_ATTEMPTS }
    )
    .map_err(write_error)?;
    let options = ExecOptions {
        sequential,
        mask_open_bugs: entry.status != Status::KnownOpen,
        schedule: entry.schedule,
        ..ExecOptions::default()
    };
    for _ in 0..REPRO_ATTEMPTS {
        if let Some(finding) = exec::execute(&entry.script, &options)
            .findings
            .into_iter()
            .next()
        {
            write!(out, "{finding}").map_err(write_error)?;
            break;
        }
    }
    Ok(true)
}

/// What replaying an entry showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    /// The signature of the last finding seen, if any.
    pub observed: Option<String>,
    /// Runs that showed the entry's own bug (the same [`crate::oracle::bug_key`]).
    pub hits: u32,
    /// Runs made.
    pub attempts: u32,
}

/// Replays the entry in its mode: once if sequential, else up to `attempts` times,
/// stopping at the first run that shows its bug (its signature's [`crate::oracle::bug_key`]).
pub fn replay(entry: &Entry, attempts: u32) -> Replay {
    let attempts = if entry.sequential { 1 } else { attempts.max(1) };
    let mut replay = Replay {
        observed: None,
        hits: 0,
        attempts: 0,
    };
    // A known-open entry shows its bug with nothing masked.
    let options = ExecOptions {
        sequential: entry.sequential,
        mask_open_bugs: entry.status != Status::KnownOpen,
        schedule: entry.schedule,
        ..ExecOptions::default()
    };
    for _ in 0..attempts {
        replay.attempts += 1;
        let observed = minimize::signature_with(&entry.script, &options);
        if observed.is_some() {
            replay.observed = observed;
        }
        // The same bug ([`crate::oracle::bug_key`]): a panic's innermost salsa frames differ
        // between an optimized and a debug build (inlining), its message and file do not.
        if !entry.signature.is_empty()
            && replay.observed.as_deref().map(crate::oracle::bug_key)
                == Some(crate::oracle::bug_key(&entry.signature))
        {
            replay.hits += 1;
            break;
        }
    }
    replay
}

/// What replaying must show for this entry's status, in words.
pub fn expectation(entry: &Entry) -> &'static str {
    match entry.status {
        Status::Seed => "no finding",
        Status::Fixed => "does not reproduce (unless this salsa still has its bug)",
        Status::KnownOpen => "reproduces",
        Status::Canary if cfg!(feature = "canary") => "reproduces (canary on)",
        Status::Canary => "does not reproduce (canary off)",
        Status::New => "anything (untriaged)",
    }
}

/// Whether a finding may show where none is expected: with the canary planted, the canary (that
/// is the canary's business); on an older salsa, a bug that a later release fixed (what the
/// tests accept there, and nothing else).
pub fn tolerated(signature: &str) -> bool {
    (cfg!(feature = "canary") && signature.starts_with("Canary:"))
        || crate::known_bugs::is_fixed_later_here(signature)
}

/// Whether the salsa under test has a registered bug that explains the entry's signature on
/// the salsa the entry was found against: the same bug, not merely one of the same class
/// (a `fixed` entry of salsa#993 found on 0.23.0 must not reproduce on 0.24.0, though
/// salsa#999 there has the same class).
fn still_has_its_bug(entry: &Entry) -> bool {
    let here = crate::corpus::SALSA_VERSION;
    crate::known_bugs::explaining(&entry.signature, &entry.salsa)
        .iter()
        .any(|bug| bug.affects(here))
}

/// Whether `replay` is what this entry's status requires; `Err` says why not.
pub fn judge(entry: &Entry, replay: &Replay) -> Result<(), String> {
    let reproduced = replay.hits > 0;
    let ok = match entry.status {
        // With the canary planted, a seed may well find it; on an older salsa, a seed may show
        // a bug that a later release fixed (what the tests accept there, and nothing else).
        Status::Seed => replay.observed.as_deref().is_none_or(tolerated),
        // On an older salsa that still has the entry's own bug, it shows.
        Status::Fixed => !reproduced || still_has_its_bug(entry),
        // On an older salsa, a bug a later release fixed may show first, and the open bug may
        // not be there at all: then the entry need not reproduce, but nothing else may show.
        Status::KnownOpen => {
            reproduced
                || replay.observed.as_deref().is_some_and(tolerated)
                || (!crate::known_bugs::is_open_bug_here(&entry.signature)
                    && replay.observed.is_none())
        }
        Status::Canary => reproduced == cfg!(feature = "canary"),
        Status::New => true,
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "expected: {}; observed: {} in {} runs",
        expectation(entry),
        replay.observed.as_deref().unwrap_or("no finding"),
        replay.attempts
    ))
}

/// What `minimize` did with a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MinimizeOutcome {
    /// A new entry was written here.
    Wrote(PathBuf),
    /// An entry with the same script and signature was already there (its status, perhaps
    /// set by hand, is kept).
    AlreadyThere(PathBuf),
    /// The input shows no finding.
    NoFinding,
    /// It did not reproduce reliably enough to minimize.
    Unreliable,
}

/// `minimize FILE -o DIR`: minimizes the finding of `path` into a new entry under `dir`.
///
/// The entry is named by its signature's words and a hash of its script and signature, so two
/// different findings never share a file, and an existing entry is never replaced: the same
/// finding minimized twice finds its entry already there and keeps it as it is.
pub fn minimize_into(
    path: &Path,
    dir: &Path,
    out: &mut dyn Write,
) -> Result<MinimizeOutcome, TriageError> {
    install_panic_hook();
    let entry = load(path)?;
    let Some((signature, _, schedule)) = find_signature(&entry) else {
        writeln!(
            out,
            "{} shows no finding: nothing to minimize",
            path.display()
        )
        .map_err(write_error)?;
        return Ok(MinimizeOutcome::NoFinding);
    };
    writeln!(out, "signature: {signature}").map_err(write_error)?;
    let before = (
        entry.script.steps.len(),
        minimize::python_bytes(&entry.script),
    );
    if let Some(schedule) = schedule {
        writeln!(out, "schedule: {schedule}").map_err(write_error)?;
    }
    let options = MinimizeOptions {
        schedule,
        ..MinimizeOptions::default()
    };
    let Some(minimized) = minimize::minimize(&entry.script, &signature, &options) else {
        writeln!(
            out,
            "{} does not reproduce reliably enough to minimize",
            path.display()
        )
        .map_err(write_error)?;
        return Ok(MinimizeOutcome::Unreliable);
    };
    let mut result = Entry::new(minimized.script, Status::New, signature.clone());
    result.sequential = minimized.sequential;
    result.rate = minimized.rate;
    result.schedule = minimized.schedule;
    writeln!(
        out,
        "minimized in {} runs: {} steps, {} bytes of Python -> {} steps, {} bytes of Python; reproduces {}/{} ({})",
        minimized.checks,
        before.0,
        before.1,
        result.script.steps.len(),
        minimize::python_bytes(&result.script),
        result.rate.0,
        result.rate.1,
        if result.sequential { "inline" } else { "threads" }
    )
    .map_err(write_error)?;
    if let Some(schedule) = result.schedule {
        writeln!(out, "replays exactly under: {schedule}").map_err(write_error)?;
    }
    let outcome = write_new_entry(&result, dir)?;
    match &outcome {
        MinimizeOutcome::Wrote(target) => writeln!(out, "wrote {}", target.display()),
        MinimizeOutcome::AlreadyThere(target) => {
            writeln!(out, "already there: {}", target.display())
        }
        _ => Ok(()),
    }
    .map_err(write_error)?;
    Ok(outcome)
}

/// Writes `entry` under `dir` as a file of its own, or finds the identical entry (same script
/// and signature) already there. A different entry is never overwritten: on a name clash the
/// next free `-2`, `-3`, … name is taken.
pub fn write_new_entry(entry: &Entry, dir: &Path) -> Result<MinimizeOutcome, TriageError> {
    let script = crate::script::syntax::script_to_text(&entry.script);
    let key = format!("{}\n{script}", entry.signature);
    let base = format!(
        "{}-{:08x}",
        slug_words(&entry.signature),
        crate::util::content_hash(key.as_bytes()) as u32
    );
    for attempt in 1u32.. {
        let name = if attempt == 1 {
            format!("{base}.sfz")
        } else {
            format!("{base}-{attempt}.sfz")
        };
        let target = dir.join(name);
        match Entry::read(&target) {
            Ok(existing)
                if existing.signature == entry.signature
                    && crate::script::syntax::script_to_text(&existing.script) == script =>
            {
                return Ok(MinimizeOutcome::AlreadyThere(target));
            }
            Ok(_) => continue,
            Err(_) if target.exists() => continue,
            Err(_) => {
                let text = entry.to_text();
                Entry::parse(&text).map_err(|error| {
                    TriageError::Write(format!(
                        "{}: would not read back: {error}",
                        target.display()
                    ))
                })?;
                return match crate::util::write_new(&target, text.as_bytes()) {
                    Ok(()) => Ok(MinimizeOutcome::Wrote(target)),
                    // Another process took the name between the read and the write.
                    Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    // The error names the path already.
                    Err(error) => Err(TriageError::Write(error.to_string())),
                };
            }
        }
    }
    unreachable!("some name is free")
}

/// `text` in lowercase ASCII letters and digits, every other character replaced by `separator`.
pub fn name_chars(text: &str, separator: char) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                separator
            }
        })
        .collect()
}

/// The first words of a signature, for a file name.
fn slug_words(signature: &str) -> String {
    let words = name_chars(signature, '-')
        .split('-')
        .filter(|word| !word.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    if words.is_empty() {
        "finding".to_owned()
    } else {
        words
    }
}

/// `fmt FILE [--rust]`: the entry as text, or as a Rust `#[test]` named after the file.
pub fn format_entry(path: &Path, rust: bool) -> Result<String, TriageError> {
    let entry = load(path)?;
    if !rust {
        return Ok(entry.to_text());
    }
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = format!("replays_{}", name_chars(&stem, '_').trim_matches('_'));
    Ok(crate::reproducer::rust_test(&entry, &name))
}

/// What `corpus check` counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckCounts {
    /// Entries checked.
    pub entries: usize,
    /// Entries whose replay contradicts their status.
    pub failed: usize,
    /// Files that are not valid entries.
    pub corrupt: usize,
}

/// `corpus check DIR`: replays every entry under `dir` and writes one table row each.
pub fn check_corpus(dir: &Path, out: &mut dyn Write) -> Result<CheckCounts, TriageError> {
    install_panic_hook();
    let paths = corpus::entries_under(dir).map_err(|error| match error {
        corpus::EntryError::Read { path, source } => TriageError::Read { path, source },
        other => TriageError::Read {
            path: dir.to_owned(),
            source: std::io::Error::other(other.to_string()),
        },
    })?;
    if paths.is_empty() {
        return Err(TriageError::Empty(dir.to_owned()));
    }
    let width = paths
        .iter()
        .map(|path| path.display().to_string().len())
        .max()
        .unwrap_or(5);
    let mut counts = CheckCounts {
        entries: paths.len(),
        ..CheckCounts::default()
    };
    let mut rows = format!(
        "replayed against salsa {}\n{:<width$} {:<10} {:<31} verdict\n",
        corpus::SALSA_VERSION,
        "entry",
        "status",
        "expected"
    );
    for path in &paths {
        let shown = path.display().to_string();
        let row = match Entry::read(path) {
            Err(error) => {
                counts.corrupt += 1;
                format!("{shown:<width$} {:<10} {:<31} CORRUPT: {error}", "?", "?")
            }
            Ok(entry) => {
                let replay = replay(&entry, REPRO_ATTEMPTS);
                let status = entry.status.as_str();
                let expected = expectation(&entry);
                match judge(&entry, &replay) {
                    Ok(()) => format!(
                        "{shown:<width$} {status:<10} {expected:<31} ok ({}/{} runs showed it)",
                        replay.hits, replay.attempts
                    ),
                    Err(why) => {
                        counts.failed += 1;
                        format!("{shown:<width$} {status:<10} {expected:<31} FAIL: {why}")
                    }
                }
            }
        };
        rows.push_str(&row);
        rows.push('\n');
        write!(out, "{rows}").map_err(write_error)?;
        rows.clear();
    }
    writeln!(
        out,
        "{} entries: {} ok, {} failed, {} corrupt",
        counts.entries,
        counts.entries - counts.failed - counts.corrupt,
        counts.failed,
        counts.corrupt
    )
    .map_err(write_error)?;
    Ok(counts)
}

fn write_error(error: std::io::Error) -> TriageError {
    TriageError::Write(format!("cannot write the report: {error}"))
}
