//! `salsa-fuzz mutants`: salsa's mutation score. Which small changes to salsa's code does the
//! suite notice, next to which ones salsa's own tests notice?
//!
//! The mutants are cargo-mutants' (`cargo mutants --list --json --diff`), listed over a copy of
//! the salsa crate the suite pins, taken from cargo's registry sources, and restricted by
//! default to salsa's core ([`DEFAULT_FILES`]). For each mutant this module applies its diff to
//! the one working copy of salsa ([`workspace`]), builds the suite against that copy through
//! [`crate::matrix`] (a `path` dependency, always the same generated package and target
//! directory, in the `mutants` cargo profile: the release profile compiled incrementally, so a
//! one-line change in salsa rebuilds in seconds), runs two bounded campaigns (`run --jobs 1
//! --json --seeds corpus/seeds`, with threads and then `--sequential`, skipped once the first
//! kills), and meanwhile, on a thread of its own, runs salsa's own tests on the copy (the
//! campaigns are mostly single-threaded, so on two cores this takes a mutant from about 100 s to
//! about 70 s). The file is restored afterwards, on error too.
//!
//! What it promises:
//! - a finding kills a mutant only if its entry, replayed a few times by the suite built
//!   against unmutated salsa, never shows the same bug there ([`judge`]): salsa's own open bugs
//!   (`corpus/regressions/0002`, `0003`) are never counted;
//! - a test of salsa's that fails on the unmutated copy (the baseline, run once per toolchain)
//!   is never counted either;
//! - every mutant gets two verdicts ([`Verdict`]), kept as one JSON file per mutant
//!   ([`results`]) keyed by its diff, the suite's commit, the budget and the seed: a run can be
//!   stopped at any point and resumed, split into shards, sampled, and reported again without
//!   running anything; it stops, keeping what it measured, if the checkout changes under it;
//! - the sample and the shards are deterministic ([`select`]).
//!
//! It does not promise that a surviving mutant is harmless: many mutants are equivalent, and
//! some live in code behind features the suite does not enable. Nor does it promise that a
//! racy finding that did not show on unmutated salsa in a few replays could never show there.

mod campaigns;
pub mod child;
pub mod judge;
pub mod list;
pub mod report;
pub mod results;
pub mod salsa_tests;
pub mod select;
pub mod workspace;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use judge::Verdict;
pub use list::Mutant;
pub use select::Shard;

use crate::matrix::{self, SalsaSpec};
use judge::TestRun;
use report::{BaselineTests, Header};
use results::{MutantResult, SuiteResult, TestsResult};
use workspace::{Workspace, io};

/// Salsa's core, the files mutated when no `--file` is given (cargo-mutants globs: one with a
/// slash matches the whole path).
pub const DEFAULT_FILES: &[&str] = &[
    "src/function/**",
    "src/tracked_struct.rs",
    "src/tracked_struct/**",
    "src/input.rs",
    "src/input/**",
    "src/interned.rs",
    "src/cycle.rs",
    "src/durability.rs",
    "src/accumulator.rs",
    "src/accumulator/**",
    "src/table/**",
    "src/zalsa_local.rs",
    "src/runtime.rs",
];

/// The cargo profile the suite is built with against each mutant (defined in our manifest).
pub const PROFILE: &str = "mutants";

/// The bound on salsa's tests on the unmutated copy, whose first build is a cold one.
const BASELINE_TESTS_BOUND: Duration = Duration::from_secs(45 * 60);

/// Why a mutation run could not go on.
#[derive(Debug, thiserror::Error)]
pub enum MutantsError {
    /// Installing or running cargo-mutants failed.
    #[error("cargo-mutants: {0}")]
    CargoMutants(String),
    /// The pinned salsa's source is not in cargo's registry.
    #[error(
        "no salsa {version} source under {} (build the suite once, so that cargo downloads it)",
        searched.display()
    )]
    NoSalsaSource {
        /// The pinned version.
        version: String,
        /// Where it was looked for.
        searched: PathBuf,
    },
    /// Reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A mutant's diff does not apply to the pristine copy.
    #[error("the diff of `{mutant}` does not apply to the pristine salsa: {message}")]
    BadDiff {
        /// The mutant's name.
        mutant: String,
        /// What did not match.
        message: String,
    },
    /// The checkout, its manifest or the generated package.
    #[error("{0}")]
    Setup(String),
    /// The unmutated build or salsa's tests on the unmutated copy.
    #[error("the unmutated baseline: {0}")]
    Baseline(String),
    /// The flags select no mutant.
    #[error("no mutant selected: {0}")]
    NothingSelected(String),
    /// The suite's source changed while the run was going on.
    #[error(
        "the checkout changed since this run started ({was} -> {now}); the results so far are kept: run the command again to go on"
    )]
    CheckoutChanged {
        /// The commit the run started at.
        was: String,
        /// The commit now.
        now: String,
    },
    /// A campaign that did not end in a summary or a finding.
    #[error("the campaign against `{mutant}`: {message}")]
    Campaign {
        /// The mutant's name.
        mutant: String,
        /// What went wrong.
        message: String,
    },
}

/// How a mutation run goes.
#[derive(Clone, Debug)]
pub struct MutantsOptions {
    /// cargo-mutants `--file` globs; [`DEFAULT_FILES`] when empty.
    pub files: Vec<String>,
    /// Only mutants whose name contains one of these.
    pub names: Vec<String>,
    /// A seeded sample of this many, spread across files.
    pub sample: Option<usize>,
    /// The sample's and the campaigns' seed.
    pub seed: u64,
    /// Only this shard of the selection.
    pub shard: Option<Shard>,
    /// Each campaign's bound (two campaigns per mutant).
    pub time: Duration,
    /// The bound on salsa's tests per mutant (build included).
    pub tests_bound: Duration,
    /// Report the cached results without running anything.
    pub report_only: bool,
    /// Measure the selected mutants again even where a result is kept (and replace it).
    pub rerun: bool,
    /// Print the selected mutants' names and stop.
    pub list_only: bool,
    /// The command line, for the report's header.
    pub command: String,
}

/// Salsa's tests on the unmutated copy, as kept in `baseline/salsa-tests.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct BaselineRecord {
    /// [`salsa_tests::RUNNER`] when it was made; another version is run again.
    #[serde(default)]
    runner: u32,
    rustc: String,
    salsa: String,
    success: bool,
    run: TestRun,
}

/// The unmutated side of every comparison.
struct Baseline {
    /// The suite built against unmutated salsa, copied out of the shared target directory.
    binary: PathBuf,
    /// Salsa's tests there.
    tests: BaselineRecord,
}

/// Runs the benchmark (or only reports it) and returns the report, which is also written to
/// `report` when given and to `target/mutants/report.md`.
pub fn run_and_report(
    options: &MutantsOptions,
    report: Option<&Path>,
    log: &mut dyn FnMut(&str),
) -> Result<String, MutantsError> {
    let root = matrix::checkout_root().map_err(MutantsError::Setup)?;
    let manifest_path = root.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).map_err(io(&manifest_path))?;
    let version = workspace::pinned_salsa_version(&manifest).ok_or_else(|| {
        MutantsError::Setup(format!(
            "{} has no `salsa = \"=X.Y.Z\"` line",
            manifest_path.display()
        ))
    })?;
    let cargo_mutants = list::ensure_cargo_mutants(log)?;
    let source = workspace::salsa_source(&version)?;
    let workspace = Workspace::prepare(&root.join("target/mutants"), &source)?;
    let globs: Vec<String> = if options.files.is_empty() {
        DEFAULT_FILES
            .iter()
            .map(|glob| (*glob).to_owned())
            .collect()
    } else {
        options.files.clone()
    };
    let selected = select_mutants(list::list(&workspace.pristine, &globs)?, options)?;
    if options.list_only {
        let mut text: String = selected
            .iter()
            .map(|mutant| format!("{}\n", mutant.name))
            .collect();
        text.push_str(&format!("{} mutants\n", selected.len()));
        return Ok(text);
    }
    let commit = suite_commit(&root);
    let header = Header {
        date: crate::util::today(),
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        budget_s: options.time.as_secs(),
        seed: options.seed,
        tests_bound_s: options.tests_bound.as_secs(),
        command: options.command.clone(),
        salsa: version.clone(),
        cargo_mutants,
        commits: Vec::new(),
    };
    let mut reports: Vec<PathBuf> = vec![workspace.out.join("report.md")];
    reports.extend(report.map(Path::to_path_buf));
    if !options.report_only {
        measure_all(
            &root, &workspace, &selected, &commit, &version, options, &header, &reports, log,
        )?;
    }
    let text = current_report(&workspace, &selected, &commit, options, &header);
    write_reports(&reports, &text)?;
    Ok(text)
}

/// The listed mutants narrowed by `--mutant`, `--sample` and `--shard`, in that order.
fn select_mutants(all: Vec<Mutant>, options: &MutantsOptions) -> Result<Vec<Mutant>, MutantsError> {
    let listed = all.len();
    let mut selected = select::by_name(all, &options.names);
    if let Some(n) = options.sample {
        selected = select::sample(&selected, n, options.seed);
    }
    if let Some(shard) = options.shard {
        selected = select::shard(selected, shard);
    }
    if selected.is_empty() {
        return Err(MutantsError::NothingSelected(format!(
            "cargo-mutants listed {listed}, and the --file, --mutant, --sample and --shard flags leave none"
        )));
    }
    Ok(selected)
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the run's settings"
)]
fn measure_all(
    root: &Path,
    workspace: &Workspace,
    selected: &[Mutant],
    commit: &str,
    version: &str,
    options: &MutantsOptions,
    header: &Header,
    reports: &[PathBuf],
    log: &mut dyn FnMut(&str),
) -> Result<(), MutantsError> {
    let budget = options.time.as_secs();
    let pending: Vec<(usize, &Mutant, String)> = selected
        .iter()
        .enumerate()
        .map(|(index, mutant)| {
            let key = results::cache_key(&mutant.diff, commit, budget, options.seed);
            (index, mutant, key)
        })
        .filter(|(_, _, key)| options.rerun || results::load(&workspace.results, key).is_none())
        .collect();
    log(&format!(
        "{} mutants selected, {} already measured at this commit, budget and seed",
        selected.len(),
        selected.len() - pending.len()
    ));
    if pending.is_empty() {
        return Ok(());
    }
    let (spec, baseline) = {
        let _lock = workspace.lock(log)?;
        workspace.restore_all()?;
        let spec = SalsaSpec::Path(
            workspace
                .working
                .canonicalize()
                .map_err(io(&workspace.working))?,
        );
        let baseline = prepare_baseline(root, workspace, &spec, commit, version, options, log)?;
        (spec, baseline)
    };
    for (index, mutant, key) in pending {
        let now = suite_commit(root);
        if now != commit {
            return Err(MutantsError::CheckoutChanged {
                was: commit.to_owned(),
                now,
            });
        }
        log(&format!(
            "[{}/{}] {}",
            index + 1,
            selected.len(),
            mutant.name
        ));
        let result = {
            let _lock = workspace.lock(log)?;
            workspace.restore_all()?;
            measure(
                root, workspace, &spec, &baseline, mutant, &key, commit, options, log,
            )?
        };
        results::store(&workspace.results, &result)?;
        log(&format!("  {}", one_line(&result)));
        let text = current_report(workspace, selected, commit, options, header);
        write_reports(reports, &text)?;
    }
    Ok(())
}

/// A result in one line, for the log.
fn one_line(result: &MutantResult) -> String {
    let word = |verdict: Option<Verdict>| verdict.map_or("?", Verdict::word);
    let suite = match &result.suite.kill {
        Some(kill) => format!(
            "suite killed it at {:.1} s ({}): {}",
            kill.first_s, kill.mode, kill.signature
        ),
        None => format!("suite: {}", word(result.suite.verdict)),
    };
    let tests = match result.tests.failures.first() {
        Some(failure) => format!("salsa's tests killed it: {failure}"),
        None => format!("salsa's tests: {}", word(result.tests.verdict)),
    };
    format!(
        "{suite}; {tests} (build {:.0} s, campaigns {:.0} s, salsa's tests {:.0} s)",
        result.suite.build_s, result.suite.campaigns_s, result.tests.seconds
    )
}

fn write_reports(reports: &[PathBuf], text: &str) -> Result<(), MutantsError> {
    for path in reports {
        crate::util::write_atomically(path, text.as_bytes()).map_err(io(path))?;
    }
    Ok(())
}

/// The report of the selected mutants' results: those of this commit, or with
/// `--report-only`, of any commit (this one preferred) with the same diff, budget and seed.
fn current_report(
    workspace: &Workspace,
    selected: &[Mutant],
    commit: &str,
    options: &MutantsOptions,
    header: &Header,
) -> String {
    let budget = options.time.as_secs();
    let all = if options.report_only {
        results::load_all(&workspace.results)
    } else {
        Vec::new()
    };
    let mut commits: Vec<String> = Vec::new();
    let pairs: Vec<(Mutant, Option<MutantResult>)> = selected
        .iter()
        .map(|mutant| {
            let key = results::cache_key(&mutant.diff, commit, budget, options.seed);
            let result = results::load(&workspace.results, &key).or_else(|| {
                all.iter()
                    .filter(|result| {
                        result.diff == mutant.diff
                            && result.budget_s == budget
                            && result.seed == options.seed
                    })
                    .min_by(|a, b| a.commit.cmp(&b.commit))
                    .cloned()
            });
            if let Some(result) = &result {
                let mut short: String = result.commit.chars().take(12).collect();
                if result.commit.contains("+dirty") {
                    short.push_str(" (with uncommitted changes)");
                }
                if !commits.contains(&short) {
                    commits.push(short);
                }
            }
            (mutant.clone(), result)
        })
        .collect();
    let header = Header {
        commits,
        ..header.clone()
    };
    let baseline = read_baseline_record(workspace).map(|record| BaselineTests {
        run: record.run,
        rustc: record.rustc,
    });
    report::render(&header, baseline.as_ref(), &pairs)
}

fn read_baseline_record(workspace: &Workspace) -> Option<BaselineRecord> {
    let text = std::fs::read_to_string(workspace.baseline.join("salsa-tests.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// What the suite's binary is built from: a commit that changes none of these (the README,
/// `tests/`) changes no result.
const BUILT_FROM: [&str; 6] = [
    "src",
    "build.rs",
    "Cargo.toml",
    "Cargo.lock",
    "corpus/seeds",
    "corpus/regressions",
];

/// The suite's commit: the last commit that changed what the suite is built from
/// ([`BUILT_FROM`]), so that a commit of documentation neither invalidates the results nor
/// stops a run; and when those files have uncommitted changes, a hash of them, so that results
/// measured on a dirty tree are never taken for the commit's.
pub fn suite_commit(root: &Path) -> String {
    let git = |args: &[&str]| -> Option<String> {
        child::stdout_if_success(Command::new("git").args(args).current_dir(root))
    };
    let mut last = vec!["log", "-1", "--format=%H", "--"];
    last.extend(BUILT_FROM);
    let Some(commit) = git(&last).filter(|commit| !commit.trim().is_empty()) else {
        return "unknown".to_owned();
    };
    let commit = commit.trim().to_owned();
    let mut changes = String::new();
    for args in [
        &["status", "--porcelain", "--untracked-files=all", "--"][..],
        &["diff", "HEAD", "--"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(BUILT_FROM);
        changes.push_str(&git(&args).unwrap_or_default());
    }
    if changes.is_empty() {
        commit
    } else {
        format!(
            "{commit}+dirty-{:016x}",
            crate::util::content_hash(changes.as_bytes())
        )
    }
}

/// Builds the suite against unmutated salsa, checks it behaves as the pinned suite does, and
/// runs salsa's tests on the unmutated copy (once per toolchain; kept in
/// `baseline/salsa-tests.json`).
fn prepare_baseline(
    root: &Path,
    workspace: &Workspace,
    spec: &SalsaSpec,
    commit: &str,
    version: &str,
    options: &MutantsOptions,
    log: &mut dyn FnMut(&str),
) -> Result<Baseline, MutantsError> {
    let dir = &workspace.baseline;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    log("building the suite against unmutated salsa (the baseline) ...");
    let build_log = dir.join("build.log");
    let built = matrix::build_binary(root, spec, PROFILE, Some(&build_log))
        .map_err(|error| MutantsError::Baseline(format!("{error}; see {}", build_log.display())))?;
    // Kept apart from the shared target directory, which every mutant's build overwrites.
    let binary = dir.join(format!(
        "salsa-fuzz-{:016x}",
        crate::util::content_hash(commit.as_bytes())
    ));
    let partial = binary.with_extension("partial");
    std::fs::copy(&built, &partial).map_err(io(&partial))?;
    std::fs::rename(&partial, &binary).map_err(io(&binary))?;

    // The regressions replay as the pinned suite says (0002 and 0003 are open in salsa
    // 0.28.5), and a short campaign ends normally: else every mutant would look killed.
    let status = Command::new(&binary)
        .args(["corpus", "check"])
        .arg(root.join("corpus/regressions"))
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(io(&binary))?;
    if !status.success() {
        return Err(MutantsError::Baseline(format!(
            "the unmutated build does not replay corpus/regressions as the corpus says ({status}); try `{} corpus check corpus/regressions`",
            binary.display()
        )));
    }
    let probe = dir.join("probe");
    let _ = std::fs::remove_dir_all(&probe);
    let short = MutantsOptions {
        time: Duration::from_secs(2),
        ..options.clone()
    };
    let (record, _) =
        campaigns::campaign(&binary, root, &probe, "threads", &short, "the baseline")?;
    if record.stopped != "time" {
        return Err(MutantsError::Baseline(format!(
            "a 2 s campaign of the unmutated build stopped with `{}`; see {}",
            record.stopped,
            probe.join("campaign.log").display()
        )));
    }

    let rustc = tool_version("rustc");
    let record_path = dir.join("salsa-tests.json");
    let tests = match read_baseline_record(workspace) {
        Some(record)
            if record.runner == salsa_tests::RUNNER
                && record.rustc == rustc
                && record.salsa == version =>
        {
            record
        }
        _ => {
            log("running salsa's own tests on the unmutated copy (once per toolchain) ...");
            let outcome = salsa_tests::run(workspace, dir, BASELINE_TESTS_BOUND, None)?;
            if !outcome.built || outcome.timed_out {
                return Err(MutantsError::Baseline(format!(
                    "salsa's own tests {} on the unmutated copy; see {}",
                    if outcome.timed_out {
                        "did not finish"
                    } else {
                        "do not build"
                    },
                    dir.display()
                )));
            }
            let record = BaselineRecord {
                runner: salsa_tests::RUNNER,
                rustc,
                salsa: version.to_owned(),
                success: outcome.success,
                run: outcome.run,
            };
            let text = serde_json::to_string_pretty(&record)
                .map_err(|error| io(&record_path)(std::io::Error::other(error)))?;
            crate::util::write_atomically(&record_path, text.as_bytes())
                .map_err(io(&record_path))?;
            record
        }
    };
    let excluded = tests.run.excluded().len();
    log(&format!(
        "baseline: salsa's tests ran {} targets, {} tests passed, {excluded} failing there (excluded from every verdict)",
        tests.run.targets, tests.run.passed
    ));
    Ok(Baseline { binary, tests })
}

fn tool_version(tool: &str) -> String {
    child::stdout_if_success(Command::new(tool).arg("--version"))
        .map(|version| version.trim().to_owned())
        .unwrap_or_else(|| format!("{tool} (unknown version)"))
}

/// Measures one mutant: applies it, builds the suite and runs the campaigns, runs salsa's
/// tests, restores the file.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the run's settings"
)]
fn measure(
    root: &Path,
    workspace: &Workspace,
    spec: &SalsaSpec,
    baseline: &Baseline,
    mutant: &Mutant,
    key: &str,
    commit: &str,
    options: &MutantsOptions,
    log: &mut dyn FnMut(&str),
) -> Result<MutantResult, MutantsError> {
    let dir = workspace.runs.join(key);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let applied = workspace.apply(mutant)?;

    // Salsa's tests build and run on their own thread while the suite builds and fuzzes: the
    // campaigns are mostly single-threaded, and the two sides share nothing but the read-only
    // working copy (their target directories and log files differ).
    let (suite, tests) = std::thread::scope(|scope| {
        let tests = scope.spawn(|| {
            let started = Instant::now();
            let outcome = salsa_tests::run(
                workspace,
                &dir,
                options.tests_bound,
                Some(&baseline.tests.run),
            )?;
            let (verdict, failures) =
                judge::tests_verdict(&outcome, &baseline.tests.run, baseline.tests.success);
            Ok::<_, MutantsError>(TestsResult {
                verdict: Some(verdict),
                failures,
                seconds: started.elapsed().as_secs_f64(),
            })
        });
        let suite = suite_side(root, spec, baseline, mutant, &dir, options, log);
        let tests = tests
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (suite, tests)
    });
    let (suite, tests) = (suite?, tests?);
    applied.restore()?;
    Ok(MutantResult {
        schema: results::RESULT_SCHEMA,
        key: key.to_owned(),
        name: mutant.name.clone(),
        file: mutant.file.clone(),
        diff: mutant.diff.clone(),
        commit: commit.to_owned(),
        budget_s: options.time.as_secs(),
        seed: options.seed,
        date: crate::util::today(),
        suite,
        tests,
    })
}

/// The suite's verdict on the applied mutant: built against it, then its campaigns.
fn suite_side(
    root: &Path,
    spec: &SalsaSpec,
    baseline: &Baseline,
    mutant: &Mutant,
    dir: &Path,
    options: &MutantsOptions,
    log: &mut dyn FnMut(&str),
) -> Result<SuiteResult, MutantsError> {
    let started = Instant::now();
    let built = matrix::build_binary(root, spec, PROFILE, Some(&dir.join("build.log")));
    let mut suite = SuiteResult {
        build_s: started.elapsed().as_secs_f64(),
        ..SuiteResult::default()
    };
    match built {
        Err(error) => {
            suite.verdict = Some(Verdict::BuildFailed);
            suite.note = Some(error);
        }
        Ok(binary) => {
            let started = Instant::now();
            campaigns::run_campaigns(
                &binary,
                root,
                &baseline.binary,
                dir,
                mutant,
                options,
                &mut suite,
                log,
            )?;
            suite.campaigns_s = started.elapsed().as_secs_f64();
        }
    }
    Ok(suite)
}
