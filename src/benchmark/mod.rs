//! `salsa-fuzz known-bugs`: the known-bug benchmark. For each fixed bug of
//! [`crate::known_bugs::KNOWN_BUGS`], run the suite against the last release that has it and
//! against the release that fixed it, each for a bounded time, and report how long the first
//! finding of the bug's class took, its signature, and whether it is the bug: replayed, its
//! minimized entry must show the class on the buggy release and nothing at all on the fix
//! release, and the fix release's own run must show nothing of that class that no still-open
//! bug explains.
//!
//! Every release is built through [`crate::matrix`] (`target/salsa-matrix/<version>/`). The
//! stable runner is `salsa-fuzz run --jobs 1 --seeds corpus/seeds` (regressions left out: they
//! would hand it the answer). Where `cargo +nightly fuzz` works, libFuzzer runs beside it on
//! the other core against each buggy release (`edit_script`, seeded with the same seeds,
//! `--sanitizer none`, debug assertions on) for the same time, restarted after each crash
//! ([`libfuzzer`]), and each bug gets libFuzzer's first crash of its class that replay
//! confirms the same way.

mod libfuzzer;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::known_bugs::{KNOWN_BUGS, KnownBug, explaining};
use crate::matrix::{self, SalsaSpec, parse_version};
use libfuzzer::FuzzRun;

/// How the benchmark runs.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Each run's bound.
    pub time: Duration,
    /// The campaign seed.
    pub seed: u64,
    /// Only these bugs (ids); all fixed ones when empty.
    pub bugs: Vec<String>,
    /// Run libFuzzer beside the stable runner (when `cargo +nightly fuzz` is there).
    pub libfuzzer: bool,
    /// Run the stable runner; without it only libFuzzer runs, on the buggy releases.
    pub runner: bool,
    /// Where runs keep their corpora, findings and logs.
    pub out: PathBuf,
    /// Reuse the runs already under `out` (a release with a `summary.json`, and its libFuzzer
    /// log) instead of running them again: to re-run one release, or re-judge old runs.
    pub reuse: bool,
    /// Also run the stable runner under shuttle (exact, seeded interleavings) on each buggy
    /// release patched for shuttle (`X.Y.Z+shuttle`), its findings judged by the fix
    /// release's shuttle build: the column the threaded bugs are measured by.
    pub shuttle: bool,
}

/// One finding of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunFinding {
    /// Its signature.
    pub signature: String,
    /// Seconds from the run's start to its first report.
    pub first_s: f64,
    /// The minimized entry, if one was written.
    pub entry: Option<PathBuf>,
}

/// What one run against one release found.
#[derive(Clone, Debug)]
struct Run {
    version: String,
    elapsed_s: f64,
    runs: u64,
    findings: Vec<RunFinding>,
}

/// The releases to run, ascending, each with whether it is some selected bug's last buggy
/// release (such runs may stop once every target is found).
fn releases(bugs: &[&KnownBug]) -> Vec<(String, bool)> {
    let mut versions: Vec<(String, bool)> = Vec::new();
    for bug in bugs {
        for (version, buggy) in [(bug.last_buggy, true), (bug.fixed_in.unwrap_or(""), false)] {
            if version.is_empty() {
                continue;
            }
            match versions.iter_mut().find(|(known, _)| known == version) {
                Some(entry) => entry.1 &= buggy,
                None => versions.push((version.to_owned(), buggy)),
            }
        }
    }
    versions.sort_by_key(|(version, _)| parse_version(version));
    versions
}

/// Runs the benchmark and returns the report, stamped with the date and how it was made;
/// writes it to `report` too when given.
pub fn run_and_report(
    options: &BenchOptions,
    report: Option<&Path>,
    log: &mut dyn FnMut(&str),
) -> Result<String, String> {
    let started = Instant::now();
    let table = run(options, log)?;
    let stamp = if options.reuse {
        format!(
            "Judged {} from the runs kept in {} (salsa-fuzz known-bugs --reuse), {} s.\n\n",
            crate::util::today(),
            options.out.display(),
            started.elapsed().as_secs()
        )
    } else {
        format!(
            "Measured {} (salsa-fuzz known-bugs --time {}s --seed {}{}), {} s in all.\n\n",
            crate::util::today(),
            options.time.as_secs(),
            options.seed,
            if options.runner { "" } else { " --no-runner" },
            started.elapsed().as_secs()
        )
    };
    let text = format!("{stamp}{table}");
    if let Some(path) = report {
        crate::util::write_atomically(path, text.as_bytes())
            .map_err(|error| format!("{}: {error}", path.display()))?;
    }
    Ok(text)
}

/// Runs the benchmark and returns the report (a Markdown table and the findings of each run):
/// [`prepare`] the builds, run every release, [`judge`] each bug, [`render`] the report.
pub fn run(options: &BenchOptions, log: &mut dyn FnMut(&str)) -> Result<String, String> {
    let prepared = prepare(options, log)?;
    let (runs, fuzz_runs) = run_releases(&prepared, options, log)?;
    let mut observe_on = |entry: &Path, version: &str| match prepared.binary_of(version) {
        Some(binary) => observe(&binary, entry).map(Some),
        None => Ok(None),
    };
    let verdicts = prepared
        .bugs
        .iter()
        .map(|bug| judge(bug, &runs, &fuzz_runs, &mut observe_on))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(render(&verdicts, &runs, &fuzz_runs))
}

/// The builds a benchmark runs: the selected bugs, their releases (ascending, each with
/// whether it is only some bug's last buggy release) and one binary per release.
struct Prepared {
    root: PathBuf,
    bugs: Vec<&'static KnownBug>,
    releases: Vec<(String, bool)>,
    binaries: Vec<PathBuf>,
    /// With `--shuttle`: the buggy and fix releases' shuttle builds, by `X.Y.Z+shuttle`.
    shuttle_binaries: Vec<(String, PathBuf)>,
    nightly: bool,
    seeds_bytes: PathBuf,
}

impl Prepared {
    fn binary_of(&self, version: &str) -> Option<PathBuf> {
        self.releases
            .iter()
            .position(|(known, _)| known == version)
            .map(|index| self.binaries[index].clone())
            .or_else(|| {
                self.shuttle_binaries
                    .iter()
                    .find(|(known, _)| known == version)
                    .map(|(_, binary)| binary.clone())
            })
    }
}

/// The name a release's shuttle build goes by in the benchmark's runs and directories.
fn under_shuttle(version: &str) -> String {
    format!("{version}+shuttle")
}

/// Selects the bugs, builds the suite against each release, exports the seeds for libFuzzer.
fn prepare(options: &BenchOptions, log: &mut dyn FnMut(&str)) -> Result<Prepared, String> {
    let root = matrix::checkout_root()?;
    let bugs: Vec<&'static KnownBug> = KNOWN_BUGS
        .iter()
        .filter(|bug| bug.fixed_in.is_some())
        .filter(|bug| options.bugs.is_empty() || options.bugs.iter().any(|id| id == bug.id))
        .collect();
    if bugs.is_empty() {
        return Err(format!("no known fixed bug among {:?}", options.bugs));
    }
    let releases = releases(&bugs);
    std::fs::create_dir_all(&options.out)
        .map_err(|error| format!("{}: {error}", options.out.display()))?;
    let seeds_bytes = options.out.join("seed-bytes");
    let mut binaries = Vec::new();
    for (version, _) in &releases {
        log(&format!("building against salsa {version} ..."));
        let binary = matrix::build_release_binary(&root, &SalsaSpec::Release(version.clone()))?;
        binaries.push(binary);
    }
    let mut shuttle_binaries: Vec<(String, PathBuf)> = Vec::new();
    if options.shuttle {
        for bug in &bugs {
            for version in [bug.last_buggy, bug.fixed_in.unwrap_or(bug.last_buggy)] {
                let name = under_shuttle(version);
                if shuttle_binaries.iter().any(|(known, _)| *known == name) {
                    continue;
                }
                log(&format!("building against salsa {name} ..."));
                let spec = SalsaSpec::Shuttle(version.to_owned());
                match matrix::build_release_binary(&root, &spec) {
                    Ok(binary) => shuttle_binaries.push((name, binary)),
                    // Its column says "not run".
                    Err(error) => log(&format!(
                        "salsa {name}: {error}; its shuttle run is skipped"
                    )),
                }
            }
        }
    }
    let nightly = options.libfuzzer && nightly_fuzz_available();
    if !options.runner && !nightly {
        return Err(
            "--no-runner runs libFuzzer alone, which needs `cargo +nightly fuzz`".to_owned(),
        );
    }
    if options.libfuzzer && !nightly {
        log("cargo +nightly fuzz is not available: libFuzzer runs skipped");
    }
    if nightly {
        let status = Command::new(&binaries[0])
            .args(["corpus", "export"])
            .arg(root.join("corpus/seeds"))
            .arg(&seeds_bytes)
            .stdout(Stdio::null())
            .status()
            .map_err(|error| format!("corpus export: {error}"))?;
        if !status.success() {
            return Err("corpus export of the seeds failed".to_owned());
        }
    }
    Ok(Prepared {
        root,
        bugs,
        releases,
        binaries,
        shuttle_binaries,
        nightly,
        seeds_bytes,
    })
}

/// Every release's stable-runner run, and libFuzzer's run by release.
type Runs = (Vec<Run>, Vec<(String, FuzzRun)>);

/// Replays an entry on a release: `Ok(None)` when that release was not built, else what it
/// observed (`Some(None)`: nothing).
type Observe<'a> = dyn FnMut(&Path, &str) -> Result<Option<Option<String>>, String> + 'a;

/// Runs (or, with `--reuse`, reads back) the stable runner against every release, and
/// libFuzzer beside it against each buggy one.
fn run_releases(
    prepared: &Prepared,
    options: &BenchOptions,
    log: &mut dyn FnMut(&str),
) -> Result<Runs, String> {
    let mut runs: Vec<Run> = Vec::new();
    let mut fuzz_runs: Vec<(String, FuzzRun)> = Vec::new();
    for ((version, buggy_only), binary) in prepared.releases.iter().zip(&prepared.binaries) {
        let dir = options.out.join(version);
        let buggy = prepared.bugs.iter().any(|bug| bug.last_buggy == version);
        if !options.runner && !buggy {
            // A fix release only replays libFuzzer's crashes.
            continue;
        }
        if options.reuse
            && !options.runner
            && let Some(fuzz) = libfuzzer::read(&dir, binary)?
        {
            log(&format!(
                "salsa {version}: reusing libFuzzer's run in {}",
                dir.display()
            ));
            fuzz_runs.push((version.clone(), fuzz));
            continue;
        }
        if options.reuse
            && options.runner
            && let Some((run, fuzz)) = reuse_run(version, &dir, binary, prepared.nightly)?
        {
            log(&format!(
                "salsa {version}: reusing the run in {}",
                dir.display()
            ));
            runs.push(run);
            if let Some(fuzz) = fuzz {
                fuzz_runs.push((version.clone(), fuzz));
            }
            continue;
        }
        fresh_dir(&dir)?;
        let fuzzer = if prepared.nightly && buggy {
            Some(libfuzzer::start(
                &prepared.root,
                version,
                &dir,
                &prepared.seeds_bytes,
                options,
            )?)
        } else {
            None
        };
        log(&format!(
            "salsa {version}: {} for up to {}s{}{}",
            if options.runner {
                "stable runner"
            } else {
                "libFuzzer alone"
            },
            options.time.as_secs(),
            if *buggy_only {
                ", stopping once its known bugs are found"
            } else {
                ""
            },
            if fuzzer.is_some() && options.runner {
                ", libFuzzer beside it"
            } else {
                ""
            }
        ));
        if options.runner {
            let run = run_campaign(binary, &prepared.root, version, &dir, *buggy_only, options)?;
            log_findings(&run, log);
            runs.push(run);
        }
        if let Some(fuzzer) = fuzzer {
            let fuzz = libfuzzer::finish(fuzzer, binary)?;
            log(&format!(
                "  libFuzzer: {} crashes in {:.0}s",
                fuzz.total, fuzz.seconds
            ));
            for crash in &fuzz.crashes {
                log(&format!("  {:>6.1}s {}", crash.first_s, crash.signature));
            }
            fuzz_runs.push((version.clone(), fuzz));
        }
    }
    if options.runner {
        runs.extend(run_under_shuttle(prepared, options, log)?);
    }
    Ok((runs, fuzz_runs))
}

/// Empties (or creates) a run's directory.
fn fresh_dir(dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|error| format!("{}: {error}", dir.display()))
}

/// One log line per finding of a run, with its time.
fn log_findings(run: &Run, log: &mut dyn FnMut(&str)) {
    for finding in &run.findings {
        log(&format!(
            "  {:>6.1}s {}",
            finding.first_s, finding.signature
        ));
    }
}

/// With `--shuttle`: the stable runner on each buggy release's shuttle build, stopping once
/// its known bugs are found (or reused from `out/X.Y.Z+shuttle/`).
fn run_under_shuttle(
    prepared: &Prepared,
    options: &BenchOptions,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<Run>, String> {
    let mut runs = Vec::new();
    for bug in &prepared.bugs {
        let version = under_shuttle(bug.last_buggy);
        if runs.iter().any(|run: &Run| run.version == version) {
            continue;
        }
        let Some(binary) = prepared.binary_of(&version) else {
            continue;
        };
        let dir = options.out.join(&version);
        if options.reuse
            && let Some((run, _)) = reuse_run(&version, &dir, &binary, false)?
        {
            log(&format!(
                "salsa {version}: reusing the run in {}",
                dir.display()
            ));
            runs.push(run);
            continue;
        }
        fresh_dir(&dir)?;
        log(&format!(
            "salsa {version}: stable runner under shuttle for up to {}s, stopping once its known bugs are found",
            options.time.as_secs()
        ));
        let run = run_campaign(&binary, &prepared.root, &version, &dir, true, options)?;
        log_findings(&run, log);
        runs.push(run);
    }
    Ok(runs)
}

/// libFuzzer on a bug's last buggy release: its first crash of the bug's class (seconds, and
/// whether it is gone on the fix release, as for [`Verdict::found`]), the run's length and its
/// number of crashes.
type FuzzVerdict = (Option<(f64, Option<bool>)>, f64, usize);

/// What the benchmark concludes about one bug.
#[derive(Clone, Debug, PartialEq)]
struct Verdict {
    bug: &'static KnownBug,
    /// The finding taken as the bug, and whether replay confirms it ([`replay_verdict`];
    /// `None`: no entry, or replay could not settle it: unconfirmed).
    found: Option<(RunFinding, Option<bool>)>,
    /// The time of an earlier finding of the class that replay could not confirm.
    earlier_unconfirmed: Option<f64>,
    /// Whether any finding of the class was seen on the buggy release.
    class_seen: bool,
    /// The buggy release's run time.
    buggy_elapsed: Option<f64>,
    /// libFuzzer on the buggy release: its first crash of the class (seconds, and whether it
    /// is gone on the fix release, as for `found`), the run's length and its crash count.
    fuzz: Option<FuzzVerdict>,
    /// The fix release's run: (seconds, scripts, findings of the class no open bug explains).
    fix: Option<(f64, u64, Vec<String>)>,
    /// Under shuttle on the buggy release (`--shuttle`): the first finding of the class that
    /// replay on the two releases' shuttle builds confirms (as for `fuzz`), and the run's
    /// length.
    shuttle: Option<ShuttleVerdict>,
}

/// The shuttle column's verdict: the first finding of the class (seconds, and whether replay
/// confirms it), and the run's length.
type ShuttleVerdict = (Option<(f64, Option<bool>)>, f64);

/// Judges one bug: the first finding of its class on its last buggy release whose entry
/// reproduces the class there and not on the fix release (`observe(entry, release)` replays
/// an entry on a release) is the bug; failing that, the first that replay cannot settle
/// (no entry, or one that does not show the class again on the buggy release), unconfirmed. On the fix release,
/// a finding of the class that no bug still open there explains is a false report.
fn judge(
    bug: &'static KnownBug,
    runs: &[Run],
    fuzz_runs: &[(String, FuzzRun)],
    observe: &mut Observe<'_>,
) -> Result<Verdict, String> {
    let fixed = bug.fixed_in.unwrap_or("?");
    let buggy_run = runs.iter().find(|run| run.version == bug.last_buggy);
    let candidates: Vec<&RunFinding> = buggy_run
        .map(|run| {
            run.findings
                .iter()
                .filter(|finding| bug.class.matches(&finding.signature))
                .collect()
        })
        .unwrap_or_default();
    let mut confirmed = None;
    let mut unconfirmed = None;
    for candidate in &candidates {
        let gone = match &candidate.entry {
            Some(entry) => replay_verdict(bug, entry, observe)?,
            None => None,
        };
        match gone {
            Some(true) => {
                confirmed = Some(*candidate);
                break;
            }
            None if unconfirmed.is_none() => unconfirmed = Some(*candidate),
            _ => {}
        }
    }
    let earlier_unconfirmed = match (confirmed, unconfirmed) {
        (Some(confirmed), Some(earlier)) if earlier.first_s < confirmed.first_s => {
            Some(earlier.first_s)
        }
        _ => None,
    };
    let found = match (confirmed, unconfirmed) {
        (Some(finding), _) => Some((finding.clone(), Some(true))),
        (None, Some(finding)) => Some((finding.clone(), None)),
        (None, None) => None,
    };
    let fuzz = match fuzz_runs
        .iter()
        .find(|(version, _)| version == bug.last_buggy)
    {
        Some((_, run)) => Some((
            first_of_class(bug, &run.crashes, observe)?,
            run.seconds,
            run.total,
        )),
        None => None,
    };
    let fix = runs.iter().find(|run| run.version == fixed).map(|run| {
        let unexplained = run
            .findings
            .iter()
            .filter(|finding| {
                bug.class.matches(&finding.signature)
                    && explaining(&finding.signature, fixed).is_empty()
            })
            .map(|finding| finding.signature.clone())
            .collect();
        (run.elapsed_s, run.runs, unexplained)
    });
    let shuttle_version = under_shuttle(bug.last_buggy);
    let shuttle = match runs.iter().find(|run| run.version == shuttle_version) {
        Some(run) => {
            let mut patched = |entry: &Path, version: &str| observe(entry, &under_shuttle(version));
            Some((
                first_of_class(bug, &run.findings, &mut patched)?,
                run.elapsed_s,
            ))
        }
        None => None,
    };
    Ok(Verdict {
        bug,
        found,
        earlier_unconfirmed,
        class_seen: !candidates.is_empty(),
        buggy_elapsed: buggy_run.map(|run| run.elapsed_s),
        fuzz,
        fix,
        shuttle,
    })
}

/// Whether `entry` is `bug` by replay: replayed on the last buggy release it shows the bug's
/// class, and on the fix release nothing at all (`Some(true)`); the fix release shows the
/// class too (`Some(false)`). `None` when replay cannot tell, because a script stops at its
/// first finding: the buggy release's replay does not show the class (a race that did not
/// recur, or another finding first), or the fix release's replay stops at another finding
/// (one of its own open bugs), so it never reached the step that showed the bug; or a
/// release was not built.
fn replay_verdict(
    bug: &KnownBug,
    entry: &Path,
    observe: &mut Observe<'_>,
) -> Result<Option<bool>, String> {
    let on_buggy = observe(entry, bug.last_buggy)?;
    if !on_buggy
        .flatten()
        .is_some_and(|signature| bug.class.matches(&signature))
    {
        return Ok(None);
    }
    let observed = observe(entry, bug.fixed_in.unwrap_or("?"))?;
    Ok(match observed {
        None => None,
        Some(None) => Some(true),
        Some(Some(signature)) if bug.class.matches(&signature) => Some(false),
        Some(Some(_)) => None,
    })
}

/// The first finding of `bug`'s class in `crashes` (libFuzzer's crashes, or a shuttle run's
/// findings) that replay confirms ([`replay_verdict`]), else the first of the class as replay
/// left it (`Some(false)`: the fix release reproduces it; `None`: unconfirmed).
fn first_of_class(
    bug: &KnownBug,
    crashes: &[RunFinding],
    observe: &mut Observe<'_>,
) -> Result<Option<(f64, Option<bool>)>, String> {
    let mut first = None;
    for crash in crashes
        .iter()
        .filter(|crash| bug.class.matches(&crash.signature))
    {
        let Some(entry) = &crash.entry else { continue };
        let gone = replay_verdict(bug, entry, observe)?;
        if gone == Some(true) {
            return Ok(Some((crash.first_s, Some(true))));
        }
        first = first.or(Some((crash.first_s, gone)));
    }
    Ok(first)
}

/// The report: one table row per verdict, the totals, then every finding by release.
fn render(verdicts: &[Verdict], runs: &[Run], fuzz_runs: &[(String, FuzzRun)]) -> String {
    let mut table = String::new();
    let shuttle_run = verdicts.iter().any(|verdict| verdict.shuttle.is_some());
    let _ = writeln!(
        table,
        "| bug | buggy release: stable runner, first finding of its class | signature | gone on the fix release? | libFuzzer, first crash of its class |{} fix release: findings of this class |",
        if shuttle_run {
            " under shuttle (exact interleavings), first finding of its class |"
        } else {
            ""
        }
    );
    let _ = writeln!(
        table,
        "| --- | --- | --- | --- | --- |{} --- |",
        if shuttle_run { " --- |" } else { "" }
    );
    let mut shuttle_found = 0;
    let mut found = 0;
    let mut confirmed = 0;
    let mut fuzz_found = 0;
    let mut false_reports = 0;
    for verdict in verdicts {
        let bug = verdict.bug;
        let fixed = bug.fixed_in.unwrap_or("?");
        let fuzz = match &verdict.fuzz {
            Some((Some((seconds, Some(true))), _, _)) => {
                fuzz_found += 1;
                format!("**{seconds:.1} s** (gone on {fixed})")
            }
            Some((Some((seconds, Some(false))), _, _)) => {
                format!("{seconds:.1} s, but {fixed} reproduces it")
            }
            Some((Some((seconds, None)), _, _)) => format!("{seconds:.1} s (unconfirmed)"),
            Some((None, seconds, crashes)) => {
                format!("none of its class in {seconds:.0} s ({crashes} crashes)")
            }
            None => "not run".to_owned(),
        };
        let fix_column = match &verdict.fix {
            None => "not run".to_owned(),
            Some((elapsed, scripts, unexplained)) if unexplained.is_empty() => {
                format!("none in {elapsed:.0} s ({scripts} scripts)")
            }
            Some((_, _, unexplained)) => {
                false_reports += unexplained.len();
                format!(
                    "**{} unexplained**: {}",
                    unexplained.len(),
                    unexplained.join("; ")
                )
            }
        };
        let (first, signature, gone) = match &verdict.found {
            Some((finding, gone)) => {
                found += 1;
                if *gone == Some(true) {
                    confirmed += 1;
                }
                let earlier = verdict
                    .earlier_unconfirmed
                    .map(|seconds| {
                        format!(
                            " (one of its class at {seconds:.1} s could not be confirmed by replay)"
                        )
                    })
                    .unwrap_or_default();
                (
                    format!("{} **{:.1} s**{earlier}", bug.last_buggy, finding.first_s),
                    format!("`{}`", short(&finding.signature)),
                    match (gone, &finding.entry) {
                        (Some(true), _) => format!("yes: {fixed} does not reproduce it"),
                        (_, None) => "unconfirmed (no minimized entry)".to_owned(),
                        (_, Some(_)) => format!(
                            "unconfirmed (replayed, its entry does not show the class again on {} or stops at another finding on {fixed})",
                            bug.last_buggy
                        ),
                    },
                )
            }
            None => (
                match verdict.buggy_elapsed {
                    Some(elapsed) => format!("{} not found in {elapsed:.0} s", bug.last_buggy),
                    None => format!("{}: not run", bug.last_buggy),
                },
                if verdict.class_seen {
                    format!("(class seen, but it reproduces on {fixed} too)")
                } else {
                    "-".to_owned()
                },
                "-".to_owned(),
            ),
        };
        let shuttle = match &verdict.shuttle {
            _ if !shuttle_run => String::new(),
            Some((Some((seconds, Some(true))), _)) => {
                shuttle_found += 1;
                format!(" **{seconds:.1} s** (gone on {fixed}+shuttle) |")
            }
            Some((Some((seconds, Some(false))), _)) => {
                format!(" {seconds:.1} s, but {fixed}+shuttle reproduces it |")
            }
            Some((Some((seconds, None)), _)) => format!(" {seconds:.1} s (unconfirmed) |"),
            Some((None, seconds)) => format!(" not found in {seconds:.0} s |"),
            None => " not run |".to_owned(),
        };
        let _ = writeln!(
            table,
            "| {} {} | {first} | {signature} | {gone} | {fuzz} |{shuttle} {fixed}: {fix_column} |",
            bug.id, bug.title
        );
    }
    if runs.is_empty() {
        let _ = writeln!(
            table,
            "\nThe stable runner was not run (--no-runner); libFuzzer found {fuzz_found} of {} bugs.",
            verdicts.len()
        );
    } else {
        let _ = writeln!(
            table,
            "\n{found} of {} bugs found ({confirmed} confirmed by replay); {false_reports} findings of a fixed bug's class on its fix release that no open bug explains.",
            verdicts.len()
        );
        if !fuzz_runs.is_empty() {
            let _ = writeln!(table, "libFuzzer found {fuzz_found} of them.");
        }
        if shuttle_run {
            let _ = writeln!(table, "Under shuttle, {shuttle_found} of them.");
        }
    }
    if !fuzz_runs.is_empty() {
        let _ = writeln!(
            table,
            "\nlibFuzzer's first crash of each kind, by release (signatures as the release replays them):\n"
        );
        for (version, fuzz) in fuzz_runs {
            let _ = writeln!(
                table,
                "- salsa {version}: {:.0} s, {} crashes",
                fuzz.seconds, fuzz.total
            );
            for crash in &fuzz.crashes {
                let _ = writeln!(
                    table,
                    "  - {:.1} s `{}`",
                    crash.first_s,
                    short(&crash.signature)
                );
            }
        }
    }
    if runs.is_empty() {
        return table;
    }
    let _ = writeln!(table, "\nEvery finding, by release (stable runner):\n");
    for run in runs {
        let _ = writeln!(
            table,
            "- salsa {}: {:.0} s, {} scripts{}",
            run.version,
            run.elapsed_s,
            run.runs,
            if run.findings.is_empty() {
                ", no finding".to_owned()
            } else {
                String::new()
            }
        );
        for finding in &run.findings {
            let known: Vec<&str> = explaining(&finding.signature, &run.version)
                .iter()
                .map(|bug| bug.id)
                .collect();
            let _ = writeln!(
                table,
                "  - {:.1} s `{}` (known: {})",
                finding.first_s,
                short(&finding.signature),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    table
}

/// A signature without the registry path prefix of salsa's sources and without the salsa
/// frames, for the table.
fn short(signature: &str) -> String {
    let mut out = match signature.rfind(" [") {
        Some(frames) if signature.ends_with(']') => signature[..frames].to_owned(),
        _ => signature.to_owned(),
    };
    while let Some(start) = out.find("/root/.cargo/registry/src/") {
        let rest = &out[start..];
        let cut = rest.find("/salsa-").map_or(0, |index| index + 1);
        out.replace_range(start..start + cut, "");
    }
    out.replace('|', "\\|")
}

fn run_campaign(
    binary: &Path,
    root: &Path,
    version: &str,
    dir: &Path,
    until_known: bool,
    options: &BenchOptions,
) -> Result<Run, String> {
    let mut command =
        crate::campaign::benchmark_command(binary, root, dir, options.time, options.seed);
    command.stderr(Stdio::null());
    if until_known {
        command.arg("--until-known-bugs");
    }
    let output = command
        .output()
        .map_err(|error| format!("salsa {version}: could not run the campaign: {error}"))?;
    let json = String::from_utf8_lossy(&output.stdout);
    let _ = std::fs::write(dir.join("summary.json"), json.as_bytes());
    Ok(summary_run(version, &json))
}

/// The run kept in `dir` by an earlier benchmark, if there is one.
fn reuse_run(
    version: &str,
    dir: &Path,
    binary: &Path,
    nightly: bool,
) -> Result<Option<(Run, Option<FuzzRun>)>, String> {
    let Ok(json) = std::fs::read_to_string(dir.join("summary.json")) else {
        return Ok(None);
    };
    let mut run = summary_run(version, &json);
    // A whole-project mismatch is named by its most basic differing part; an older build
    // ranked parts per file. Judge those by what this build says of the minimized entry.
    const MISMATCH: &str = "Salsa: project answers differ from the model";
    for finding in &mut run.findings {
        if finding.signature.starts_with(MISMATCH)
            && let Some(entry) = &finding.entry
            && let Some(signature) = observe(binary, entry)?
            && signature.starts_with(MISMATCH)
        {
            finding.signature = signature;
        }
    }
    let fuzz = if nightly {
        libfuzzer::read(dir, binary)?
    } else {
        None
    };
    Ok(Some((run, fuzz)))
}

fn summary_run(version: &str, json: &str) -> Run {
    let summary = crate::campaign::Summary::from_json(json.trim()).unwrap_or_default();
    Run {
        version: version.to_owned(),
        elapsed_s: summary.elapsed_s,
        runs: summary.runs,
        findings: findings_of(&summary),
    }
}

/// The findings of a campaign's summary, as the benchmark judges them.
pub fn findings_of(summary: &crate::campaign::Summary) -> Vec<RunFinding> {
    summary
        .findings
        .iter()
        .map(|finding| RunFinding {
            signature: finding.signature.clone(),
            first_s: finding.first_s,
            entry: finding
                .entry
                .clone()
                .or_else(|| finding.unminimized.clone()),
        })
        .collect()
}

/// What `binary repro ENTRY --any` observes (`None`: nothing); a replay that kills the
/// process is `Crash: hang (watchdog): …` when the watchdog aborted it (the signature a
/// campaign gives a hang, so a hang's class matches its replay), else `Crash: replay died: …`
/// (a segmentation fault, another abort).
fn observe(binary: &Path, entry: &Path) -> Result<Option<String>, String> {
    let output = Command::new(binary)
        .arg("repro")
        .arg(entry)
        .arg("--any")
        .output()
        .map_err(|error| format!("repro: {error}"))?;
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&output.status) {
        return Ok(Some(replay_death(
            signal,
            &String::from_utf8_lossy(&output.stderr),
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix("observed: "))
        .filter(|signature| *signature != "none")
        .map(str::to_owned))
}

/// The signature of a replay killed by `signal`, from what it wrote to stderr.
fn replay_death(signal: i32, stderr: &str) -> String {
    if stderr.contains(crate::exec::watchdog::HANG_MARK) {
        format!("Crash: hang (watchdog): replay killed by signal {signal}")
    } else {
        format!("Crash: replay died: signal {signal}")
    }
}

fn nightly_fuzz_available() -> bool {
    Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_the_watchdog_aborted_is_a_hang_and_any_other_death_is_not() {
        let hang = replay_death(
            6,
            "salsa-fuzz: HANG: execution 1, step 3 (write) did not finish within 20s\nAborting.",
        );
        assert_eq!(hang, "Crash: hang (watchdog): replay killed by signal 6");
        assert!(crate::known_bugs::BugClass::Hang.matches(&hang));
        // What a deadlock is under shuttle, where no watchdog is needed.
        assert!(crate::known_bugs::BugClass::Hang.matches("Salsa: hang"));
        let died = replay_death(6, "thread 'main' panicked while processing panic");
        assert_eq!(died, "Crash: replay died: signal 6");
        assert!(!crate::known_bugs::BugClass::Hang.matches(&died));
    }

    #[test]
    fn each_release_runs_once_and_fix_releases_run_in_full() {
        let bugs: Vec<&KnownBug> = KNOWN_BUGS
            .iter()
            .filter(|bug| bug.fixed_in.is_some())
            .collect();
        let releases = releases(&bugs);
        let names: Vec<&str> = releases
            .iter()
            .map(|(version, _)| version.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "0.23.0", "0.24.0", "0.25.0", "0.25.1", "0.25.2", "0.26.0", "0.26.2", "0.27.0",
                "0.27.1", "0.27.2", "0.28.0", "0.28.1", "0.28.2"
            ]
        );
        let buggy_only: Vec<&str> = releases
            .iter()
            .filter(|(_, buggy)| *buggy)
            .map(|(version, _)| version.as_str())
            .collect();
        // 0.27.2 has salsa#1238 but fixes salsa#1190, so it runs in full; so do 0.25.2,
        // which has salsa#1063 and fixes salsa#1039, and 0.24.0, which has salsa#999 and fixes
        // salsa#969 and #993.
        assert_eq!(buggy_only, ["0.23.0", "0.25.1", "0.26.2", "0.28.1"]);
    }

    fn finding(signature: &str, first_s: f64, entry: Option<&str>) -> RunFinding {
        RunFinding {
            signature: signature.to_owned(),
            first_s,
            entry: entry.map(PathBuf::from),
        }
    }

    fn run(version: &str, findings: Vec<RunFinding>) -> Run {
        Run {
            version: version.to_owned(),
            elapsed_s: 600.0,
            runs: 1000,
            findings,
        }
    }

    fn bug(id: &str) -> &'static KnownBug {
        KNOWN_BUGS
            .iter()
            .find(|bug| bug.id == id)
            .expect("a known bug")
    }

    const LOST: &str = "Salsa: project answers differ from the model (diagnostics)";

    #[test]
    fn the_bug_is_the_first_finding_of_its_class_gone_on_the_fix_release() {
        let runs = [
            run(
                "0.27.0",
                vec![
                    finding(LOST, 1.0, Some("a.sfz")),
                    finding(LOST, 2.0, Some("b.sfz")),
                ],
            ),
            run("0.27.1", Vec::new()),
        ];
        // Both replay on 0.27.0; a.sfz still shows a lost diagnostic on 0.27.1 (another
        // bug), b.sfz does not.
        let mut observe = |entry: &Path, version: &str| {
            if version == "0.27.0" {
                return Ok(Some(Some(LOST.to_owned())));
            }
            assert_eq!(version, "0.27.1");
            Ok(Some((entry == Path::new("a.sfz")).then(|| LOST.to_owned())))
        };
        let verdict = judge(bug("salsa#1155"), &runs, &[], &mut observe).expect("judged");
        let (found, gone) = verdict.found.clone().expect("found");
        assert_eq!(found.entry, Some(PathBuf::from("b.sfz")));
        assert_eq!(gone, Some(true));
        assert_eq!(verdict.fix, Some((600.0, 1000, Vec::new())));
        let report = render(&[verdict], &runs, &[]);
        assert!(report.contains("0.27.0 **2.0 s**"), "{report}");
        assert!(
            report.contains("1 of 1 bugs found (1 confirmed by replay); 0 findings"),
            "{report}"
        );
    }

    #[test]
    fn libfuzzer_alone_is_judged_by_its_first_crash_of_the_class_gone_on_the_fix_release() {
        let fuzz = FuzzRun {
            seconds: 600.0,
            crashes: vec![
                finding("Salsa: panic `x`", 0.5, Some("crash-1")),
                finding(LOST, 3.0, Some("crash-2")),
                finding(LOST, 9.0, Some("crash-3")),
            ],
            total: 40,
        };
        let fuzz_runs = [("0.27.0".to_owned(), fuzz)];
        // crash-2 still loses a diagnostic on 0.27.1 (another bug); crash-3 does not.
        let mut observe = |entry: &Path, version: &str| {
            if version == "0.27.0" {
                return Ok(Some(Some(LOST.to_owned())));
            }
            assert_eq!(version, "0.27.1");
            Ok(Some(
                (entry == Path::new("crash-2")).then(|| LOST.to_owned()),
            ))
        };
        let verdict = judge(bug("salsa#1155"), &[], &fuzz_runs, &mut observe).expect("judged");
        assert_eq!(verdict.fuzz, Some((Some((9.0, Some(true))), 600.0, 40)));
        let report = render(&[verdict], &[], &fuzz_runs);
        assert!(report.contains("**9.0 s** (gone on 0.27.1)"), "{report}");
        assert!(
            report.contains("(--no-runner); libFuzzer found 1 of 1 bugs"),
            "{report}"
        );
        assert!(
            report.contains("- salsa 0.27.0: 600 s, 40 crashes"),
            "{report}"
        );
        assert!(!report.contains("stable runner):"), "{report}");
    }

    #[test]
    fn the_shuttle_column_is_judged_on_the_fix_release_patched_for_shuttle() {
        let runs = [
            run("0.27.0", Vec::new()),
            run("0.27.1", Vec::new()),
            run(
                "0.27.0+shuttle",
                vec![
                    finding(LOST, 4.0, Some("s1.sfz")),
                    finding(LOST, 7.5, Some("s2.sfz")),
                ],
            ),
        ];
        // s1.sfz still shows on 0.27.1+shuttle (another bug); s2.sfz does not. The OS-thread
        // run found nothing.
        let mut observe = |entry: &Path, version: &str| {
            if version == "0.27.0+shuttle" {
                return Ok(Some(Some(LOST.to_owned())));
            }
            assert_eq!(version, "0.27.1+shuttle", "{}", entry.display());
            Ok(Some(
                (entry == Path::new("s1.sfz")).then(|| LOST.to_owned()),
            ))
        };
        let verdict = judge(bug("salsa#1155"), &runs, &[], &mut observe).expect("judged");
        assert_eq!(verdict.found, None);
        assert_eq!(verdict.shuttle, Some((Some((7.5, Some(true))), 600.0)));
        let report = render(&[verdict], &runs, &[]);
        assert!(
            report.contains("under shuttle (exact interleavings)"),
            "{report}"
        );
        assert!(
            report.contains("**7.5 s** (gone on 0.27.1+shuttle)"),
            "{report}"
        );
        assert!(report.contains("Under shuttle, 1 of them."), "{report}");
        // A shuttle run's findings are named by their release's known bugs too.
        assert!(report.contains("- salsa 0.27.0+shuttle: 600 s"), "{report}");
    }

    #[test]
    fn a_finding_without_an_entry_is_unconfirmed_and_a_fix_release_finding_is_a_false_report() {
        let runs = [
            run("0.27.0", vec![finding(LOST, 1.0, None)]),
            run("0.27.1", vec![finding(LOST, 5.0, Some("c.sfz"))]),
        ];
        let mut observe = |_: &Path, _: &str| Ok(Some(None));
        let verdict = judge(bug("salsa#1155"), &runs, &[], &mut observe).expect("judged");
        assert_eq!(verdict.found.as_ref().map(|(_, gone)| *gone), Some(None));
        let report = render(&[verdict], &runs, &[]);
        assert!(
            report.contains("unconfirmed (no minimized entry)"),
            "{report}"
        );
        assert!(report.contains("**1 unexplained**"), "{report}");
    }

    #[test]
    fn a_finding_whose_entry_does_not_show_it_again_on_the_buggy_release_is_unconfirmed() {
        // A racy hang whose script stops at an earlier, deterministic finding when replayed:
        // its fix release's replay says nothing about the hang.
        let hang = "Crash: hang (watchdog): SIGABRT";
        let runs = [run("0.25.1", vec![finding(hang, 29.1, Some("h.sfz"))])];
        let mut observe = |_: &Path, _: &str| Ok(Some(Some(LOST.to_owned())));
        let verdict = judge(bug("salsa#1039"), &runs, &[], &mut observe).expect("judged");
        assert_eq!(verdict.found.as_ref().map(|(_, gone)| *gone), Some(None));
        let report = render(&[verdict], &runs, &[]);
        assert!(
            report.contains("unconfirmed (replayed, its entry does not show the class again on 0.25.1 or stops at another finding on 0.25.2)"),
            "{report}"
        );
        assert!(
            report.contains("1 of 1 bugs found (0 confirmed by replay)"),
            "{report}"
        );
    }

    #[test]
    fn a_fix_release_replay_that_stops_at_another_finding_confirms_nothing() {
        // The fix release still has another bug, which the script meets first there.
        let runs = [run("0.27.0", vec![finding(LOST, 1.0, Some("a.sfz"))])];
        let mut observe = |_: &Path, version: &str| {
            Ok(Some(Some(if version == "0.27.0" {
                LOST.to_owned()
            } else {
                "Salsa: panic `interned value in LRU so must be in key_map`".to_owned()
            })))
        };
        let verdict = judge(bug("salsa#1155"), &runs, &[], &mut observe).expect("judged");
        assert_eq!(verdict.found.as_ref().map(|(_, gone)| *gone), Some(None));
    }

    #[test]
    fn a_class_that_reproduces_on_the_fix_release_is_not_found() {
        let runs = [run("0.27.0", vec![finding(LOST, 1.0, Some("a.sfz"))])];
        let mut observe = |_: &Path, _: &str| Ok(Some(Some(LOST.to_owned())));
        let verdict = judge(bug("salsa#1155"), &runs, &[], &mut observe).expect("judged");
        assert_eq!(verdict.found, None);
        let report = render(&[verdict], &runs, &[]);
        assert!(
            report.contains("(class seen, but it reproduces on 0.27.1 too)"),
            "{report}"
        );
    }

    #[test]
    fn campaign_summaries_parse() {
        let json = r#"{"elapsed_s":3.1,"findings":[{"signature":"Salsa: panic `a \"b\"` at x","count":2,"first_s":1.5,"entry":"/t/f.sfz"},{"signature":"Crash: worker died: SIGABRT","count":1,"first_s":2.0,"entry":null}]}"#;
        let findings = summary_run("0.28.5", json).findings;
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].signature, "Salsa: panic `a \"b\"` at x");
        assert_eq!(findings[0].first_s, 1.5);
        assert_eq!(findings[0].entry, Some(PathBuf::from("/t/f.sfz")));
        assert_eq!(findings[1].entry, None);
        assert_eq!(
            short(
                "Salsa: panic `x` at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/salsa-0.28.1/src/cycle.rs:344 []"
            ),
            "Salsa: panic `x` at salsa-0.28.1/src/cycle.rs:344"
        );
    }
}
