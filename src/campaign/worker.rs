//! One campaign worker: a process that runs scripts until it is killed, keeps the inputs that
//! make salsa do something new (new (event, query) pairs), and reports to its campaign in JSON
//! lines on stdout ([`WorkerMessage`]).
//!
//! Before each run it records the script's bytes in `worker-<index>.input`
//! ([`InputRecord`]), so that the campaign can keep the input that killed it when it aborts or
//! hangs. It dies with its campaign: its stdin is a pipe from the campaign, and a thread exits
//! the process when that pipe closes, even while the main thread hangs inside salsa. An I/O
//! error (a full disk) is reported as [`WorkerMessage::Fatal`] and ends the worker with
//! [`FATAL_EXIT`], so the campaign stops with the error instead of restarting it.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::corpus::{self, Entry, Status};
use crate::exec::{self, ExecOptions};
use crate::script::EditScript;
use crate::script::mutate::mutate;
use crate::util::SeededInputs;

use super::protocol::{InputRecord, WorkerMessage, with_path};

/// The exit status of a worker that stopped on an I/O error it reported as
/// [`WorkerMessage::Fatal`].
pub const FATAL_EXIT: i32 = 3;

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

/// Runs forever (until killed or orphaned), reporting on stdout; returns only on an I/O error,
/// after reporting it.
pub fn run_worker(config: &WorkerConfig) -> std::io::Result<()> {
    exec::install_panic_hook();
    exec::set_hang_reporter(|report| {
        send(&WorkerMessage::Hang {
            report: report.to_owned(),
        });
    });
    exit_when_orphaned();
    let result = work(config);
    if let Err(error) = &result {
        send(&WorkerMessage::Fatal {
            error: error.to_string(),
        });
        std::process::exit(FATAL_EXIT);
    }
    result
}

/// Writes one message line; a closed stdout (the campaign is gone) is ignored here, the stdin
/// watcher ends the process.
fn send(message: &WorkerMessage) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", message.to_line());
    let _ = stdout.flush();
}

/// Exits the process when stdin reaches its end: the campaign that holds the other end of the
/// pipe has died. Only when stdin is a pipe, so a worker started by hand keeps running.
fn exit_when_orphaned() {
    use std::os::unix::fs::FileTypeExt;
    let is_pipe = std::fs::metadata("/proc/self/fd/0").is_ok_and(|meta| meta.file_type().is_fifo());
    if !is_pipe {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("salsa-fuzz-orphan-watch".to_owned())
        .spawn(|| {
            let mut sink = [0u8; 64];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            std::process::exit(0);
        });
}

fn work(config: &WorkerConfig) -> std::io::Result<()> {
    std::fs::create_dir_all(&config.work_dir)
        .map_err(|error| with_path(error, "create", &config.work_dir))?;
    std::fs::create_dir_all(&config.working_corpus)
        .map_err(|error| with_path(error, "create", &config.working_corpus))?;
    let mut corpus: Vec<EditScript> = load_corpus(config);
    let mut features: BTreeSet<u64> = BTreeSet::new();
    let mut signatures: BTreeSet<String> = BTreeSet::new();
    let mut rng = SeededInputs::new(config.seed);
    let mut current = InputRecord::create(&input_path(&config.work_dir, config.index))?;
    let options = ExecOptions {
        sequential: config.sequential,
        feedback: true,
        hang_limit: Some(config.hang_limit),
        ..ExecOptions::default()
    };
    let hooks = TestHooks::from_env(config.index);
    let (mut runs, mut cancelled, mut checked) = (0u64, 0u64, 0u64);
    let mut last_report = Instant::now();
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
        current.write(&bytes)?;
        hooks.before_run(runs, config.hang_limit);
        let outcome = exec::execute(&script, &options);
        runs += 1;
        cancelled += outcome.stats.background_cancelled as u64;
        checked += outcome.stats.comparisons as u64;
        let novel = outcome
            .features
            .iter()
            .filter(|feature| features.insert(**feature))
            .count();
        if novel > 0 && outcome.findings.is_empty() {
            keep(config, &script, &bytes)?;
            corpus.push(script.clone());
        }
        if let Some(finding) = outcome.findings.first() {
            let signature = finding.signature().replace(['\n', '\t'], " ");
            if signatures.insert(signature.clone()) {
                let path = config.work_dir.join(format!(
                    "finding-{:016x}.bin",
                    crate::util::content_hash(&bytes)
                ));
                crate::util::write_atomically(&path, &bytes)?;
                send(&WorkerMessage::Finding {
                    signature,
                    artifact: path,
                });
            }
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            last_report = Instant::now();
            send(&WorkerMessage::Stats {
                runs,
                cancelled,
                corpus: corpus.len() as u64,
                checked,
            });
        }
    }
}

/// The per-run input record of worker `index`.
pub fn input_path(work_dir: &Path, index: usize) -> PathBuf {
    work_dir.join(format!("worker-{index}.input"))
}

fn load_corpus(config: &WorkerConfig) -> Vec<EditScript> {
    config
        .start_corpus
        .iter()
        .chain(std::iter::once(&config.working_corpus))
        .flat_map(|dir| corpus::starting_scripts(dir).unwrap_or_default())
        .collect()
}

/// Writes an input that reached new behaviour to the working corpus, named by its hash so
/// workers (and campaigns) sharing the corpus never clash.
fn keep(config: &WorkerConfig, script: &EditScript, bytes: &[u8]) -> std::io::Result<()> {
    // `to_text` renders texts, so the entry holds them as literals, as every entry does.
    let entry = Entry::new(script.clone(), Status::Seed, String::new());
    let path = config
        .working_corpus
        .join(format!("{:016x}.sfz", crate::util::content_hash(bytes)));
    if path.exists() {
        return Ok(());
    }
    match entry.write(&path) {
        Ok(()) => Ok(()),
        // A script whose texts the entry format cannot hold is not kept; nothing is lost.
        Err(corpus::EntryError::Syntax(_)) => Ok(()),
        Err(corpus::EntryError::Write(error)) => Err(error),
        Err(error) => Err(std::io::Error::other(format!(
            "cannot write {}: {error}",
            path.display()
        ))),
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
