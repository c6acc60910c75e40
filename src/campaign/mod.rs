//! `salsa-fuzz run`: a fuzzing campaign on stable Rust.
//!
//! The campaign process starts `--jobs` worker processes (`salsa-fuzz worker`, see [`worker`]),
//! reads their JSON-line reports ([`protocol`]), restarts any that dies (abort, watchdog hang,
//! out of memory, SIGKILL) and keeps the input that killed it as a finding, deduplicates
//! findings by signature, minimizes each new one in a background `salsa-fuzz minimize` process
//! into `--findings`, prints a status line every second and a summary at the end.
//!
//! What it promises (tests/campaign.rs, tests/never_lose_a_finding.rs):
//! - **nothing found is lost**: a finding's input is written as an entry
//!   (`<findings>/unminimized/`) as soon as it is reported, and removed only once its minimized
//!   entry is written; entry names are unique per script and signature and never replace a
//!   different entry; every write is atomic;
//! - **its own work area**: each campaign works in `<corpus>/.work/campaign-*/` under a lock, so
//!   campaigns sharing a working corpus never share per-run files;
//! - **errors are errors**: an unwritable output directory stops it before the first run, a
//!   full disk stops it with that error (exit 2), workers that keep dying at start-up stop it;
//!   none of these is reported as a finding or retried in a loop;
//! - **signals**: SIGINT, SIGTERM and SIGHUP stop it gracefully (summary, `--json`, pending
//!   minimizations finished); a second signal stops at once, keeping the unminimized entries.
//!   Workers and minimizers run in their own process groups, so a terminal's Ctrl-C reaches only
//!   the campaign, and workers exit when the campaign's pipe to them closes.

pub mod protocol;
pub mod report;
pub mod worker;

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use report::{CampaignFinding, SCHEMA_VERSION, Stopped, Summary};

use crate::corpus::{self, Entry, Status};
use crate::script::EditScript;
use crate::triage::{self, MinimizeOutcome};
use protocol::{InputRecord, WorkerMessage};

/// How a campaign runs.
#[derive(Clone, Debug)]
pub struct CampaignOptions {
    /// How long.
    pub time: Duration,
    /// Worker processes.
    pub jobs: usize,
    /// Seed of the first worker (worker `i` in life `l` uses `seed + 1000 * l + i`).
    pub seed: u64,
    /// The working corpus (outside git).
    pub corpus: PathBuf,
    /// Directories whose entries start the corpus.
    pub start_corpus: Vec<PathBuf>,
    /// Where minimized findings are written.
    pub findings: PathBuf,
    /// Cap on a script's background threads.
    pub max_threads: u8,
    /// Run batches inline.
    pub sequential: bool,
    /// The watchdog's bound on one step.
    pub hang_limit: Duration,
    /// Stop early once every known bug whose last release is the salsa under test has a
    /// finding of its class (see [`crate::known_bugs`]): the known-bug benchmark's runs.
    pub until_known: bool,
}

/// Workers that die before their first report this many times in a row stop the campaign.
const STARTUP_DEATHS: usize = 3;

/// Lines of a worker's stderr kept for the report of its death.
const STDERR_TAIL: usize = 12;

/// `salsa-fuzz run`: checks the options, installs the signal handler, runs the campaign with
/// a status line on stderr, and prints the summary (text, or JSON with `json`). Returns the
/// exit status: 0 without findings, 1 with, 2 when it stopped on an error; `Err` for a setup
/// error before anything ran.
pub fn run_from_cli(options: &CampaignOptions, json: bool) -> Result<u8, String> {
    check_options(options)?;
    let signals = Arc::new(AtomicUsize::new(0));
    {
        let signals = Arc::clone(&signals);
        ctrlc::set_handler(move || {
            signals.fetch_add(1, Ordering::SeqCst);
        })
        .map_err(|error| format!("cannot install the signal handler: {error}"))?;
    }
    let mode = if options.sequential {
        "batches inline"
    } else {
        "background threads"
    };
    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "salsa-fuzz run: {} workers, seed {}, {mode}, for {:?}, salsa {}; working corpus {}, findings {}",
        options.jobs,
        options.seed,
        options.time,
        corpus::SALSA_VERSION,
        options.corpus.display(),
        options.findings.display()
    );
    let summary = run_campaign(options, &signals, |summary| {
        // A closed terminal (SIGHUP) makes stderr fail: that must not end the campaign.
        let _ = writeln!(std::io::stderr(), "{}", summary.status_line());
    })?;
    let text = if json {
        format!("{}\n", summary.to_json())
    } else {
        summary.to_text(&options.corpus)
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    let _ = std::io::stdout().flush();
    Ok(if summary.stopped == Stopped::Error {
        2
    } else if summary.has_new_bugs() {
        1
    } else {
        0
    })
}

/// One life of one worker process.
struct Worker {
    child: Child,
    /// The campaign's end of the worker's stdin: dropping it tells the worker to exit.
    _stdin: Option<ChildStdin>,
    life: usize,
    /// When this life started: one that dies young is restarted after a pause.
    started: Instant,
    /// Whether the watchdog reported a hang in this life.
    hung: Option<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Counts of earlier lives, and of the current one.
    done: (u64, u64, u64),
    current: (u64, u64, u64),
}

/// What the reader threads tell the campaign loop.
enum Event {
    Message {
        worker: usize,
        life: usize,
        message: WorkerMessage,
    },
    Exited {
        worker: usize,
        life: usize,
    },
}

/// A finding waiting for (or going through) minimization.
struct Pending {
    index: usize,
    input: PathBuf,
}

/// The campaign's state besides its workers.
struct Campaign<'a> {
    options: &'a CampaignOptions,
    me: PathBuf,
    work: Workspace,
    start: Instant,
    summary: Summary,
    by_signature: BTreeMap<String, usize>,
    queue: VecDeque<Pending>,
    minimizer: Option<(Pending, Child)>,
    /// Racy findings that did not reproduce while the workers loaded the machine: tried once
    /// more after they stop.
    retry: Vec<Pending>,
    startup_deaths: usize,
}

/// Runs a campaign whose options [`run_from_cli`] has checked; `signals` counts the stop
/// signals received (one: stop gracefully; two: stop at once). `Err` only for a setup error,
/// before any worker ran.
fn run_campaign(
    options: &CampaignOptions,
    signals: &AtomicUsize,
    mut progress: impl FnMut(&Summary),
) -> Result<Summary, String> {
    let me =
        std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    let work = Workspace::create(&options.corpus)?;
    let (sender, receiver) = mpsc::channel();
    let mut campaign = Campaign {
        options,
        me,
        work,
        start: Instant::now(),
        summary: Summary {
            schema: SCHEMA_VERSION,
            salsa: corpus::SALSA_VERSION.to_owned(),
            jobs: options.jobs,
            ..Summary::default()
        },
        by_signature: BTreeMap::new(),
        queue: VecDeque::new(),
        minimizer: None,
        retry: Vec::new(),
        startup_deaths: 0,
    };
    let mut workers: Vec<Worker> = Vec::new();
    for index in 0..options.jobs {
        workers.push(campaign.spawn_worker(index, 0, &sender)?);
    }
    let mut last_progress = Instant::now();
    while campaign.summary.stopped == Stopped::Time {
        if campaign.start.elapsed() >= options.time {
            break;
        }
        if signals.load(Ordering::SeqCst) > 0 {
            campaign.summary.stopped = Stopped::Signal;
            break;
        }
        match receiver.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::Message {
                worker,
                life,
                message,
            }) => {
                if let Some(state) = workers.get_mut(worker).filter(|state| state.life == life) {
                    campaign.on_message(worker, state, message);
                }
            }
            Ok(Event::Exited { worker, life }) => {
                let Some(state) = workers.get_mut(worker).filter(|state| state.life == life) else {
                    continue;
                };
                if signals.load(Ordering::SeqCst) > 0 || campaign.start.elapsed() >= options.time {
                    continue;
                }
                campaign.on_exit(worker, state);
                if campaign.summary.stopped == Stopped::Time {
                    match campaign.spawn_worker(worker, life + 1, &sender) {
                        Ok(mut fresh) => {
                            fresh.done = (
                                state.done.0 + state.current.0,
                                state.done.1 + state.current.1,
                                state.done.2 + state.current.2,
                            );
                            *state = fresh;
                            campaign.summary.restarts += 1;
                        }
                        Err(error) => campaign.fail(error),
                    }
                }
            }
            Err(_) => {}
        }
        campaign.poll_minimizer();
        if last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            campaign.totals(&workers);
            progress(&campaign.summary);
        }
    }
    for state in &mut workers {
        let _ = state.child.kill();
        let _ = state.child.wait();
    }
    campaign.finish_minimizations(signals);
    let known_open = known_open_entries(&options.start_corpus);
    let replays_as = campaign.replays_as(signals);
    campaign.summary.group_bugs(&known_open, &replays_as);
    campaign.totals(&workers);
    Ok(campaign.summary)
}

/// The `salsa-fuzz run` command line a benchmark starts against `binary` (the known-bug
/// benchmark, the mutation score): one worker, a JSON summary on stdout, the seeds of `root`'s
/// `corpus/seeds` only (the regressions would hand it the answers), and its working corpus and
/// findings under `dir`.
pub fn benchmark_command(
    binary: &Path,
    root: &Path,
    dir: &Path,
    time: Duration,
    seed: u64,
) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["run", "--jobs", "1", "--json", "--time"])
        .arg(format!("{}s", time.as_secs()))
        .args(["--seed", &seed.to_string(), "--seeds"])
        .arg(root.join("corpus/seeds"))
        .arg("--corpus")
        .arg(dir.join("working"))
        .arg("--findings")
        .arg(dir.join("findings"))
        .current_dir(root);
    command
}

/// Refuses options that cannot work, before anything runs: a missing seed directory, an output
/// directory that cannot be written.
fn check_options(options: &CampaignOptions) -> Result<(), String> {
    for dir in &options.start_corpus {
        if !dir.is_dir() {
            return Err(format!("--seeds {}: no such directory", dir.display()));
        }
    }
    for (flag, dir) in [
        ("--corpus", &options.corpus),
        ("--findings", &options.findings),
    ] {
        writable(dir).map_err(|error| format!("{flag} {}: {error}", dir.display()))?;
    }
    Ok(())
}

/// Creates `dir` if needed and proves it writable by writing and removing a file there.
fn writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut probe = tempfile::Builder::new()
        .prefix(".salsa-fuzz-probe")
        .tempfile_in(dir)?;
    probe.write_all(&[0; 4096])?;
    probe.as_file().sync_all()?;
    Ok(())
}

impl Campaign<'_> {
    fn elapsed_s(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Stops the campaign with `error` (not a finding).
    fn fail(&mut self, error: String) {
        if self.summary.stopped != Stopped::Error {
            self.summary.stopped = Stopped::Error;
            self.summary.error = Some(error);
        }
    }

    fn on_message(&mut self, index: usize, state: &mut Worker, message: WorkerMessage) {
        self.startup_deaths = 0;
        match message {
            WorkerMessage::Stats {
                runs,
                cancelled,
                corpus,
                checked,
            } => {
                state.current = (runs, cancelled, checked);
                self.summary.corpus = self.summary.corpus.max(corpus);
                if index == 0 {
                    let rss = crate::util::proc_status_kib(&state.child.id().to_string(), "VmRSS")
                        .unwrap_or(0);
                    if self.summary.worker_rss_kib[0] == 0 {
                        self.summary.worker_rss_kib[0] = rss;
                    }
                    self.summary.worker_rss_kib[1] = rss;
                }
            }
            WorkerMessage::Finding {
                signature,
                artifact,
            } => {
                let Some(index) = self.record(&signature) else {
                    return;
                };
                match std::fs::read(&artifact) {
                    Ok(bytes) => {
                        if let Some(input) = self.keep_unminimized(index, &bytes) {
                            self.queue.push_back(Pending { index, input });
                        }
                    }
                    Err(error) => self.fail(format!("cannot read {}: {error}", artifact.display())),
                }
                if self.options.until_known && every_target_found(&self.summary) {
                    self.summary.stopped = Stopped::KnownBugsFound;
                }
            }
            WorkerMessage::Hang { report } => state.hung = Some(report),
            WorkerMessage::Fatal { error } => self.fail(error),
        }
    }

    /// A worker life ended while the campaign runs: a finding (the input that killed it), a
    /// start-up failure, or the end of the campaign on a reported fatal error.
    fn on_exit(&mut self, index: usize, state: &mut Worker) {
        let status = state.child.wait();
        let tail: Vec<String> = state
            .stderr_tail
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        if status
            .as_ref()
            .is_ok_and(|status| status.code() == Some(worker::FATAL_EXIT))
        {
            if self.summary.stopped != Stopped::Error {
                self.fail(format!("worker {index} stopped: {}", tail.join(" / ")));
            }
            return;
        }
        let how = describe(status);
        let input = InputRecord::read(&worker::input_path(&self.work.worker_dir(index), index));
        if input.is_none() {
            self.startup_deaths += 1;
            if self.startup_deaths >= STARTUP_DEATHS {
                self.fail(format!(
                    "workers die at start-up ({how}); the last lines of worker {index}'s stderr:\n{}",
                    tail.join("\n")
                ));
            } else {
                std::thread::sleep(Duration::from_millis(200 * self.startup_deaths as u64));
            }
            return;
        }
        let what = if state.hung.is_some() {
            "hang (watchdog)"
        } else {
            "worker died"
        };
        let signature = format!("Crash: {what}: {how}");
        if state.started.elapsed() < Duration::from_secs(1) {
            // A worker that dies at once on every input is restarted at most ten times a second.
            std::thread::sleep(Duration::from_millis(100));
        }
        let Some(finding) = self.record(&signature) else {
            return;
        };
        let mut note = format!("worker {index} ended with {how}");
        if let Some(report) = &state.hung {
            note.push_str(&format!("; the watchdog reported: {report}"));
        }
        if !tail.is_empty() {
            note.push_str(&format!("; its last stderr lines:\n{}", tail.join("\n")));
        }
        self.summary.findings[finding].note = Some(note);
        // The input that killed a worker would kill an in-process minimizer too: it is kept as
        // it is.
        let bytes = input.unwrap_or_default();
        let entry = found_entry(&bytes, signature);
        match triage::write_new_entry(&entry, &self.options.findings) {
            Ok(MinimizeOutcome::Wrote(path) | MinimizeOutcome::AlreadyThere(path)) => {
                self.summary.findings[finding].entry = Some(path);
            }
            Ok(_) => {}
            Err(error) => self.fail(error.to_string()),
        }
    }

    /// Counts a report of `signature`; the index of its finding when it is new.
    fn record(&mut self, signature: &str) -> Option<usize> {
        if let Some(&index) = self.by_signature.get(signature) {
            self.summary.findings[index].count += 1;
            return None;
        }
        let index = self.summary.findings.len();
        self.by_signature.insert(signature.to_owned(), index);
        self.summary.findings.push(CampaignFinding {
            signature: signature.to_owned(),
            count: 1,
            first_s: self.elapsed_s(),
            ..CampaignFinding::default()
        });
        Some(index)
    }

    /// Writes a new finding's input as an entry under `<findings>/unminimized/` at once, so it
    /// survives whatever happens next; returns its path.
    fn keep_unminimized(&mut self, index: usize, bytes: &[u8]) -> Option<PathBuf> {
        let signature = self.summary.findings[index].signature.clone();
        let entry = found_entry(bytes, signature);
        let dir = self.options.findings.join("unminimized");
        match triage::write_new_entry(&entry, &dir) {
            Ok(MinimizeOutcome::Wrote(path) | MinimizeOutcome::AlreadyThere(path)) => {
                self.summary.findings[index].unminimized = Some(path.clone());
                Some(path)
            }
            Ok(_) => None,
            Err(error) => {
                self.fail(error.to_string());
                None
            }
        }
    }

    /// Collects a finished minimizer and starts the next one.
    fn poll_minimizer(&mut self) {
        if let Some((pending, mut child)) = self.minimizer.take() {
            match child.try_wait() {
                Ok(None) => {
                    self.minimizer = Some((pending, child));
                    return;
                }
                Ok(Some(status)) => {
                    let mut out = String::new();
                    if let Some(stdout) = child.stdout.as_mut() {
                        let _ = stdout.read_to_string(&mut out);
                    }
                    if !self.minimized(pending.index, &out, &describe(Ok(status)))
                        && out.contains("does not reproduce reliably enough")
                    {
                        self.retry.push(pending);
                    }
                }
                Err(error) => {
                    self.summary.findings[pending.index].note =
                        Some(format!("the minimizer could not be waited for: {error}"));
                }
            }
        }
        if self.summary.stopped == Stopped::Error {
            return;
        }
        if let Some(pending) = self.queue.pop_front() {
            let child = Command::new(&self.me)
                .arg("minimize")
                .arg(&pending.input)
                .arg("-o")
                .arg(&self.options.findings)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                // Its own process group: a terminal's Ctrl-C must not kill it half-way.
                .process_group(0)
                .spawn();
            match child {
                Ok(child) => self.minimizer = Some((pending, child)),
                Err(error) => {
                    self.summary.findings[pending.index].note =
                        Some(format!("the minimizer could not start: {error}"));
                }
            }
        }
    }

    /// Records what a minimizer wrote: the entry replaces the unminimized one. False when it
    /// wrote none.
    fn minimized(&mut self, index: usize, stdout: &str, status: &str) -> bool {
        let written = stdout.lines().find_map(|line| {
            line.strip_prefix("wrote ")
                .or_else(|| line.strip_prefix("already there: "))
        });
        let finding = &mut self.summary.findings[index];
        match written {
            Some(path) => {
                finding.entry = Some(PathBuf::from(path.trim()));
                finding.note = None;
                if let Some(raw) = finding.unminimized.take() {
                    let _ = std::fs::remove_file(raw);
                }
                true
            }
            None => {
                let why = stdout
                    .lines()
                    .last()
                    .filter(|line| !line.is_empty())
                    .unwrap_or("no output");
                finding.note = Some(format!("not minimized ({status}): {why}"));
                false
            }
        }
    }

    /// After the workers stop: runs the remaining minimizations, unless a second signal comes;
    /// then the pending findings keep their unminimized entries.
    fn finish_minimizations(&mut self, signals: &AtomicUsize) {
        if self.summary.stopped != Stopped::Error {
            // The machine is quiet now: a race that did not show under load may.
            let retry = std::mem::take(&mut self.retry);
            self.queue.extend(retry);
        }
        let pending = self.queue.len() + usize::from(self.minimizer.is_some());
        if pending > 0 && self.summary.stopped == Stopped::Signal {
            let _ = writeln!(
                std::io::stderr(),
                "salsa-fuzz: stopping; finishing {pending} minimization(s) (a second signal stops at once, keeping the unminimized entries)"
            );
        }
        while self.minimizer.is_some() || !self.queue.is_empty() {
            if self.stop_now(signals) {
                if let Some((pending, mut child)) = self.minimizer.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                    self.queue.push_front(pending);
                }
                for pending in self.queue.drain(..) {
                    self.summary.findings[pending.index].note =
                        Some("not minimized: the campaign was stopped".to_owned());
                }
                break;
            }
            if self.summary.stopped == Stopped::Error && self.minimizer.is_none() {
                for pending in self.queue.drain(..) {
                    self.summary.findings[pending.index].note =
                        Some("not minimized: the campaign stopped on an error".to_owned());
                }
                break;
            }
            self.poll_minimizer();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether a signal asks to stop at once: any signal after the one that stopped the
    /// campaign (or any at all, when time or an error stopped it).
    fn stop_now(&self, signals: &AtomicUsize) -> bool {
        signals.load(Ordering::SeqCst) > usize::from(self.summary.stopped == Stopped::Signal)
    }

    /// For each finding with an entry, the signature of another finding that its entry shows
    /// when replayed (a few runs each, in a child process: an entry may kill its replayer),
    /// so that one bug seen two ways is one bug. Bounded in time; skipped after a second
    /// signal.
    fn replays_as(&self, signals: &AtomicUsize) -> BTreeMap<String, String> {
        const RUNS: usize = 3;
        let budget = Instant::now() + Duration::from_secs(30);
        let mut aliases = BTreeMap::new();
        if self.summary.findings.len() < 2 {
            return aliases;
        }
        for finding in &self.summary.findings {
            let Some(entry) = finding.entry.as_ref().or(finding.unminimized.as_ref()) else {
                continue;
            };
            if finding.signature.starts_with("Crash:") {
                continue;
            }
            for _ in 0..RUNS {
                if Instant::now() > budget || self.stop_now(signals) {
                    return aliases;
                }
                let Ok(output) = Command::new(&self.me)
                    .args(["repro", "--any"])
                    .arg(entry)
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .output()
                else {
                    break;
                };
                let text = String::from_utf8_lossy(&output.stdout);
                let observed = text
                    .lines()
                    .find_map(|line| line.strip_prefix("observed: "))
                    .unwrap_or("none");
                if observed != finding.signature && self.by_signature.contains_key(observed) {
                    aliases.insert(finding.signature.clone(), observed.to_owned());
                    break;
                }
            }
        }
        aliases
    }

    fn totals(&mut self, workers: &[Worker]) {
        let summary = &mut self.summary;
        summary.elapsed_s = self.start.elapsed().as_secs_f64();
        summary.runs = workers.iter().map(|w| w.done.0 + w.current.0).sum();
        summary.cancelled = workers.iter().map(|w| w.done.1 + w.current.1).sum();
        summary.checked = workers.iter().map(|w| w.done.2 + w.current.2).sum();
        summary.runs_per_s = summary.runs as f64 / summary.elapsed_s.max(0.001);
    }

    fn spawn_worker(
        &self,
        index: usize,
        life: usize,
        sender: &Sender<Event>,
    ) -> Result<Worker, String> {
        let options = self.options;
        let seed = options.seed.wrapping_add(1000 * life as u64 + index as u64);
        let mut command = Command::new(&self.me);
        command
            .args(["worker", "--index", &index.to_string()])
            .args(["--seed", &seed.to_string()])
            .args(["--max-threads", &options.max_threads.to_string()])
            .args([
                "--hang-limit-ms",
                &options.hang_limit.as_millis().to_string(),
            ])
            .arg("--corpus")
            .arg(&options.corpus)
            .arg("--work")
            .arg(self.work.worker_dir(index))
            .env("SALSA_FUZZ_TEST_LIFE", life.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: the campaign decides when workers stop.
            .process_group(0);
        for dir in &options.start_corpus {
            command.arg("--start").arg(dir);
        }
        if options.sequential {
            command.arg("--sequential");
        }
        let mut child = command
            .spawn()
            .map_err(|error| format!("cannot start a worker: {error}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_reader = stderr.map(|stderr| {
            let tail = Arc::clone(&stderr_tail);
            std::thread::spawn(move || keep_tail(stderr, &tail))
        });
        let sender = sender.clone();
        let stdout_tail = Arc::clone(&stderr_tail);
        std::thread::spawn(move || {
            if let Some(stdout) = stdout {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    match WorkerMessage::parse(&line) {
                        Some(message) => {
                            let _ = sender.send(Event::Message {
                                worker: index,
                                life,
                                message,
                            });
                        }
                        None => push_tail(&stdout_tail, line),
                    }
                }
            }
            // The pipe closed: the worker is gone. Its stderr closes with it; the reader's
            // end means the tail is complete before the campaign reads it.
            if let Some(reader) = stderr_reader {
                let _ = reader.join();
            }
            let _ = sender.send(Event::Exited {
                worker: index,
                life,
            });
        });
        Ok(Worker {
            child,
            _stdin: stdin,
            life,
            started: Instant::now(),
            hung: None,
            stderr_tail,
            done: (0, 0, 0),
            current: (0, 0, 0),
        })
    }
}

fn keep_tail(stream: impl Read, tail: &Mutex<VecDeque<String>>) {
    for line in BufReader::new(stream).lines().map_while(Result::ok) {
        push_tail(tail, line);
    }
}

fn push_tail(tail: &Mutex<VecDeque<String>>, line: String) {
    let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
    if tail.len() == STDERR_TAIL {
        tail.pop_front();
    }
    tail.push_back(line);
}

/// A campaign's own work area under `<corpus>/.work/`: a fresh directory, locked while the
/// campaign runs and removed when it ends. Areas left by a campaign that was killed (their lock
/// is free) are removed when the next campaign starts.
struct Workspace {
    dir: tempfile::TempDir,
    _lock: std::fs::File,
}

impl Workspace {
    fn create(corpus: &Path) -> Result<Workspace, String> {
        let base = corpus.join(".work");
        std::fs::create_dir_all(&base)
            .map_err(|error| format!("cannot create {}: {error}", base.display()))?;
        if let Ok(entries) = std::fs::read_dir(&base) {
            for entry in entries.flatten() {
                let path = entry.path();
                let stale = path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("campaign-"))
                    && std::fs::File::open(path.join("lock"))
                        .is_ok_and(|file| file.try_lock().is_ok());
                if stale {
                    let _ = std::fs::remove_dir_all(&path);
                }
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("campaign-")
            .tempdir_in(&base)
            .map_err(|error| format!("cannot create a work area in {}: {error}", base.display()))?;
        let lock_path = dir.path().join("lock");
        let lock = std::fs::File::create(&lock_path)
            .and_then(|file| {
                file.try_lock()
                    .map(|()| file)
                    .map_err(std::io::Error::other)
            })
            .map_err(|error| format!("cannot lock {}: {error}", lock_path.display()))?;
        Ok(Workspace { dir, _lock: lock })
    }

    fn worker_dir(&self, index: usize) -> PathBuf {
        worker::work_dir(self.dir.path(), index)
    }
}

/// The committed regressions, relative to the checkout a campaign runs in.
const REGRESSIONS: &str = "corpus/regressions";

/// The `known-open` entries that name bugs already known, with their signature: a finding that
/// shows such a signature is that known bug, not a new one. Those of the start corpus count
/// when they reproduce in this build. A bug's being known does not depend on the seeds a run
/// starts from, so when `--seeds` left out `corpus/regressions`, its entries count too when the
/// registry places their bug in this salsa: read, not replayed (`cargo test` replays them, and a
/// benchmark's campaign against a mutant must not run them unbounded at its end).
fn known_open_entries(start_corpus: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let known_open = |dir: &Path| {
        corpus::entries_under(dir)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|path| Some((Entry::read(&path).ok()?, path)))
            .filter(|(entry, _)| entry.status == Status::KnownOpen)
            .collect::<Vec<_>>()
    };
    let mut known: Vec<(String, PathBuf)> = start_corpus
        .iter()
        .flat_map(|dir| known_open(dir))
        .filter(|(entry, _)| triage::replay(entry, triage::REPRO_ATTEMPTS).hits > 0)
        .map(|(entry, path)| (entry.signature, path))
        .collect();
    let regressions = Path::new(REGRESSIONS);
    let same =
        |dir: &PathBuf| std::fs::canonicalize(dir).ok() == std::fs::canonicalize(regressions).ok();
    if regressions.is_dir() && !start_corpus.iter().any(same) {
        known.extend(
            known_open(regressions)
                .into_iter()
                .filter(|(entry, _)| crate::known_bugs::is_open_bug_here(&entry.signature))
                .map(|(entry, path)| (entry.signature, path)),
        );
    }
    known
}

/// Whether every known bug whose last buggy release is the salsa under test has a finding that
/// only it can explain: of its class, and explained by no bug still open in its fix release
/// (a lost diagnostic on 0.26.2 may be #1155, open until 0.27.1, so it does not stop a run
/// looking for #1099). False when there is no such bug.
fn every_target_found(summary: &Summary) -> bool {
    use crate::known_bugs::{benchmark_targets, explaining};
    let targets: Vec<_> = benchmark_targets(corpus::SALSA_VERSION).collect();
    !targets.is_empty()
        && targets.iter().all(|bug| {
            let fixed_in = bug.fixed_in.unwrap_or_default();
            summary.findings.iter().any(|finding| {
                bug.class.matches(&finding.signature)
                    && explaining(&finding.signature, fixed_in).is_empty()
            })
        })
}

/// How a process ended: its signal (SIGABRT from the watchdog or a panic under abort, SIGKILL
/// from outside or the OOM killer) or its exit code.
fn describe(status: std::io::Result<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(status) => match (status.signal(), status.code()) {
            (Some(6), _) => "SIGABRT".to_owned(),
            (Some(9), _) => "SIGKILL".to_owned(),
            (Some(11), _) => "SIGSEGV".to_owned(),
            (Some(signal), _) => format!("signal {signal}"),
            (None, Some(code)) => format!("exit code {code}"),
            (None, None) => "unknown exit".to_owned(),
        },
        Err(error) => format!("unknown exit ({error})"),
    }
}

/// The entry of a finding's input: in a shuttle build it records the schedule the worker ran
/// it under (the one its script chooses), so that it replays exactly.
fn found_entry(bytes: &[u8], signature: String) -> Entry {
    let mut entry = Entry::new(EditScript::from_bytes(bytes), Status::New, signature);
    if cfg!(feature = "shuttle") {
        entry.schedule = Some(crate::script::schedule::Schedule::of_script(&entry.script));
    }
    entry
}
