//! Every committed corpus entry replays in `cargo test`, as two named trials, one per way of
//! running background batches: `corpus/regressions/0002-….sfz` becomes
//! `regressions/0002-…::threads` and `regressions/0002-…::sequential` (batches inline), so
//! `cargo test 0002` runs exactly those two, and a failing entry is named in the report.
//!
//! The trial of the entry's recorded mode (its `mode:` line) replays it as `corpus check` does
//! (`triage::replay`: up to 10 runs with threads, one inline) and judges it by its status
//! (`triage::judge`): a seed shows no finding, a fixed entry does not reproduce, a known-open
//! one does (so we notice when salsa fixes it), the canary's reproduces exactly when the
//! `canary` feature is on.
//!
//! The trial of the other mode checks what holds in any mode:
//! - a status that forbids the finding is judged the same way: a seed must be clean with
//!   threads and inline alike, a fixed bug must not come back in the other mode either, and
//!   the canary's entry must not reproduce when the canary is not planted;
//! - a finding that must reproduce (known-open, or the canary's when planted) was minimized in
//!   its recorded mode and need not show in the other one (a race may need threads; an inline
//!   batch may be the interleaving that loses an update), so the check is that no run shows a
//!   finding *other* than the entry's own signature (or, with the canary planted, the
//!   canary's, as `judge` allows for seeds);
//! - an untriaged (`new`) entry may show anything.
//!
//! A corrupt entry is a failing trial (both of its trials fail with the parse error), never a
//! panic of the harness; so is a corpus directory that cannot be listed.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use salsa_fuzz::corpus::{self, Entry, Status};
use salsa_fuzz::exec::install_panic_hook;
use salsa_fuzz::script::STEP_KINDS;
use salsa_fuzz::triage::{self, REPRO_ATTEMPTS};

/// The corpus directories whose entries replay, relative to `corpus/`.
const DIRS: [&str; 2] = ["seeds", "regressions"];

fn main() {
    install_panic_hook();
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test(
            "the_seeds_cover_every_step_kind",
            seeds_cover_every_step_kind,
        ),
        Trial::test("the_corpus_has_seeds_and_regressions", || {
            for dir in DIRS {
                if entry_paths(dir)?.is_empty() {
                    return Err(format!("corpus/{dir} holds no entry").into());
                }
            }
            Ok(())
        }),
    ];
    for dir in DIRS {
        match entry_paths(dir) {
            Ok(paths) => {
                for path in paths {
                    let name = trial_name(&path);
                    for sequential in [false, true] {
                        let path = path.clone();
                        let mode = mode_name(sequential);
                        trials.push(Trial::test(format!("{name}::{mode}"), move || {
                            replay_in_mode(&path, sequential)
                        }));
                    }
                }
            }
            Err(why) => {
                trials.push(Trial::test(format!("{dir}::listing"), move || Err(why)));
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// The entries under `corpus/<dir>`, sorted.
fn entry_paths(dir: &str) -> Result<Vec<PathBuf>, Failed> {
    corpus::entries_under(&corpus_root().join(dir)).map_err(|error| error.to_string().into())
}

/// `regressions/0002-fixpoint-…` for `corpus/regressions/0002-fixpoint-….sfz`.
fn trial_name(path: &Path) -> String {
    let relative = path.strip_prefix(corpus_root()).unwrap_or(path);
    relative
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn mode_name(sequential: bool) -> &'static str {
    if sequential { "sequential" } else { "threads" }
}

/// Reads an entry; also checks that its script survives the byte encoding libFuzzer is seeded
/// with (`Entry::parse` refuses one that does not).
fn read(path: &Path) -> Result<Entry, Failed> {
    Entry::read(path).map_err(|error| format!("{}: {error}", path.display()).into())
}

/// One trial: the entry replayed with threads or inline, judged as the module doc says.
fn replay_in_mode(path: &Path, sequential: bool) -> Result<(), Failed> {
    let recorded = read(path)?;
    let mode = mode_name(sequential);
    let entry = Entry {
        sequential,
        ..recorded.clone()
    };
    let must_reproduce = match entry.status {
        Status::KnownOpen => true,
        Status::Canary => cfg!(feature = "canary"),
        Status::Seed | Status::Fixed | Status::New => false,
    };
    if sequential == recorded.sequential || !must_reproduce {
        let replay = triage::replay(&entry, REPRO_ATTEMPTS);
        let recorded_or_not = if sequential == recorded.sequential {
            "recorded mode"
        } else {
            "other mode"
        };
        return triage::judge(&entry, &replay)
            .map_err(|why| format!("{mode} ({recorded_or_not}): {why}").into());
    }
    // Inline batches run the same way every time: one run says all there is to say.
    let runs = if sequential { 1 } else { REPRO_ATTEMPTS };
    for run in 1..=runs {
        let observed = triage::replay(&entry, 1).observed;
        // Its own bug: the same `bug_key` (a panic's frames vary with the build's inlining).
        if let Some(signature) = observed
            && salsa_fuzz::oracle::bug_key(&signature)
                != salsa_fuzz::oracle::bug_key(&entry.signature)
            && !triage::tolerated(&signature)
        {
            return Err(format!(
                "{mode} (other mode, run {run} of {runs}): expected no finding but its own \
                 ({}); observed: {signature}",
                entry.signature
            )
            .into());
        }
    }
    Ok(())
}

fn seeds_cover_every_step_kind() -> Result<(), Failed> {
    let mut seen = [false; STEP_KINDS];
    for path in entry_paths("seeds")? {
        for step in &read(&path)?.script.steps {
            seen[step.kind()] = true;
        }
    }
    if seen.iter().all(|&seen| seen) {
        Ok(())
    } else {
        Err(format!("step kinds seen: {seen:?}").into())
    }
}
