//! One campaign worker: a process that runs scripts until it is killed, keeps the inputs that
//! make salsa do something new (new (event, query) pairs), and reports on stdout:
//!
//! ```text
//! stats <runs> <cancelled batches> <corpus size> <answers checked>
//! finding <signature>\t<artifact path>
//! ```
//!
//! Before each run it writes the script's bytes to `worker-<index>.input`, so that the
//! campaign can keep the input that killed it when it aborts or hangs.

use std::collections::BTreeSet;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::corpus::{self, Entry, Status};
use crate::exec::{self, ExecOptions};
use crate::fuzz::SeededInputs;
use crate::script::EditScript;

use super::mutate::mutate;

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// The worker's number, for file names.
    pub index: usize,
    /// Seed of its input stream.
    pub seed: u64,
    /// Run batches inline.
    pub sequential: bool,
    /// Cap on a script's background threads.
    pub max_threads: u8,
    /// Directories whose entries start the corpus (seeds, regressions).
    pub start_corpus: Vec<PathBuf>,
    /// Where inputs that reach new behaviour are kept (shared by the workers).
    pub working_corpus: PathBuf,
    /// Where the current input and finding artifacts go.
    pub work_dir: PathBuf,
    /// The watchdog's bound on one step.
    pub hang_limit: Duration,
}

/// Runs forever (until killed), reporting on stdout.
pub fn run_worker(config: &WorkerConfig) -> std::io::Result<()> {
    exec::install_panic_hook();
    std::fs::create_dir_all(&config.work_dir)?;
    std::fs::create_dir_all(&config.working_corpus)?;
    let mut corpus: Vec<EditScript> = load_corpus(config);
    let mut features: BTreeSet<u64> = BTreeSet::new();
    let mut signatures: BTreeSet<String> = BTreeSet::new();
    let mut rng = SeededInputs::new(config.seed);
    let mut current = std::fs::File::create(
        config
            .work_dir
            .join(format!("worker-{}.input", config.index)),
    )?;
    let options = ExecOptions {
        sequential: config.sequential,
        feedback: true,
        hang_limit: Some(config.hang_limit),
        ..ExecOptions::default()
    };
    let hooks = TestHooks::from_env(config.index);
    let (mut runs, mut cancelled, mut checked) = (0u64, 0usize, 0usize);
    let mut last_report = Instant::now();
    let stdout = std::io::stdout();
    loop {
        let mut script = if corpus.is_empty() || rng.below(2) == 0 {
            EditScript::from_bytes(&rng.next_input())
        } else {
            let a = &corpus[rng.below(corpus.len())];
            let b = &corpus[rng.below(corpus.len())];
            mutate(&mut rng, a, b)
        };
        script.threads = script.threads.min(config.max_threads.max(1));
        let bytes = script.to_bytes();
        current.set_len(0)?;
        current.seek(SeekFrom::Start(0))?;
        current.write_all(&bytes)?;
        hooks.before_run(runs, config.hang_limit);
        let outcome = exec::execute(&script, &options);
        runs += 1;
        cancelled += outcome.stats.background_cancelled;
        checked += outcome.stats.comparisons;
        let novel = outcome
            .features
            .iter()
            .filter(|feature| features.insert(**feature))
            .count();
        if novel > 0 && outcome.findings.is_empty() {
            keep(config, &script, &bytes);
            corpus.push(script.clone());
        }
        if let Some(finding) = outcome.findings.first() {
            let signature = finding.signature().replace(['\n', '\t'], " ");
            if signatures.insert(signature.clone()) {
                let path = config
                    .work_dir
                    .join(format!("finding-{:016x}.bin", corpus::content_hash(&bytes)));
                corpus::write_atomically(&path, &bytes).map_err(std::io::Error::other)?;
                writeln!(stdout.lock(), "finding {signature}\t{}", path.display())?;
            }
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            last_report = Instant::now();
            writeln!(
                stdout.lock(),
                "stats {runs} {cancelled} {} {checked}",
                corpus.len()
            )?;
        }
    }
}

fn load_corpus(config: &WorkerConfig) -> Vec<EditScript> {
    let mut scripts = Vec::new();
    for dir in config
        .start_corpus
        .iter()
        .chain(std::iter::once(&config.working_corpus))
    {
        for path in corpus::entries_under(dir).unwrap_or_default() {
            // Entries that are expected to reproduce a bug would only re-find it.
            if let Ok(entry) = Entry::read(&path)
                && matches!(entry.status, Status::Seed | Status::Fixed)
            {
                scripts.push(entry.script);
            }
        }
    }
    scripts
}

/// Writes an input that reached new behaviour to the working corpus, named by its hash so
/// workers never clash.
fn keep(config: &WorkerConfig, script: &EditScript, bytes: &[u8]) {
    // `to_text` renders texts, so the entry holds them as literals, as every entry does.
    let entry = Entry::new(script.clone(), Status::Seed, String::new());
    let path = config
        .working_corpus
        .join(format!("{:016x}.sfz", corpus::content_hash(bytes)));
    if !path.exists() {
        let _ = entry.write(&path);
    }
}

/// Test-only hooks, read from the environment: `SALSA_FUZZ_TEST_ABORT_AT=N` aborts worker 0
/// before its N-th run, `SALSA_FUZZ_TEST_HANG_AT=N` makes it hang there (the watchdog then
/// aborts it). Only the first life of worker 0 obeys, via `SALSA_FUZZ_TEST_LIFE`.
struct TestHooks {
    abort_at: Option<u64>,
    hang_at: Option<u64>,
}

impl TestHooks {
    fn from_env(index: usize) -> TestHooks {
        let first_life = std::env::var("SALSA_FUZZ_TEST_LIFE").is_ok_and(|life| life == "0");
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|value| value.parse().ok())
                .filter(|_| index == 0 && first_life)
        };
        TestHooks {
            abort_at: read("SALSA_FUZZ_TEST_ABORT_AT"),
            hang_at: read("SALSA_FUZZ_TEST_HANG_AT"),
        }
    }

    fn before_run(&self, runs: u64, hang_limit: Duration) {
        if self.abort_at == Some(runs) {
            std::process::abort();
        }
        if self.hang_at == Some(runs) {
            let watch = exec::Watch::start(hang_limit);
            watch.beat(0, "test hook: hang");
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// Where a worker's files go under the campaign's work directory.
pub fn work_dir(base: &Path, index: usize) -> PathBuf {
    base.join(format!("worker-{index}"))
}
