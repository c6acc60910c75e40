//! `salsa-fuzz run`: a fuzzing campaign on stable Rust.
//!
//! The campaign process starts `--jobs` worker processes (`salsa-fuzz worker`, see
//! [`worker`]), reads their reports, restarts any that dies (abort, watchdog hang, out of
//! memory, SIGKILL) and keeps the input that killed it as a finding, deduplicates findings by
//! signature, minimizes each new one in a background `salsa-fuzz minimize` process into
//! `corpus/findings/`, prints a status line every second and a summary at the end. It stops
//! at `--time` or on Ctrl-C, keeping everything found. One bad run never ends the campaign.

mod mutate;
pub mod worker;

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

pub use mutate::mutate;

use crate::corpus::{self, Entry, Status};
use crate::script::EditScript;

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

/// One finding of the campaign, by signature.
#[derive(Clone, Debug)]
pub struct CampaignFinding {
    /// The signature.
    pub signature: String,
    /// How many times workers reported it.
    pub count: usize,
    /// The entry written for it, once minimized (or kept as is, for crashes).
    pub entry: Option<PathBuf>,
    /// Seconds from the campaign's start to its first report.
    pub first_s: f64,
}

/// What a campaign did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Wall time.
    pub elapsed: Duration,
    /// Worker processes.
    pub jobs: usize,
    /// Scripts run.
    pub runs: u64,
    /// Background batches cancelled.
    pub cancelled: u64,
    /// Answers compared with the model.
    pub checked: u64,
    /// Largest working corpus a worker reported.
    pub corpus: u64,
    /// Workers restarted after dying.
    pub restarts: usize,
    /// Findings by signature, in order of discovery.
    pub findings: Vec<CampaignFinding>,
    /// Resident memory of worker 0 at its first report and at the end, in KiB.
    pub worker_rss_kib: (u64, u64),
}

enum Report {
    Stats {
        worker: usize,
        life: usize,
        runs: u64,
        cancelled: u64,
        corpus: u64,
        checked: u64,
    },
    Finding {
        signature: String,
        artifact: PathBuf,
    },
    Exited {
        worker: usize,
        life: usize,
        hang: bool,
    },
}

struct Worker {
    child: Child,
    life: usize,
    /// Counts of earlier lives, and of the current one.
    done: (u64, u64, u64),
    current: (u64, u64, u64),
}

/// Runs a campaign; `stop` ends it early (Ctrl-C).
pub fn run_campaign(
    options: &CampaignOptions,
    stop: &Arc<AtomicBool>,
    mut progress: impl FnMut(&Summary),
) -> std::io::Result<Summary> {
    let me = std::env::current_exe()?;
    let work = options.corpus.join(".work");
    std::fs::create_dir_all(&work)?;
    let (sender, receiver) = mpsc::channel();
    let mut workers: Vec<Worker> = Vec::new();
    for index in 0..options.jobs {
        workers.push(spawn_worker(&me, options, &work, index, 0, &sender)?);
    }
    let start = Instant::now();
    let mut summary = Summary {
        jobs: options.jobs,
        ..Summary::default()
    };
    let mut by_signature: BTreeMap<String, usize> = BTreeMap::new();
    let mut minimize_queue: VecDeque<(usize, PathBuf)> = VecDeque::new();
    let mut minimizer: Option<(usize, Child)> = None;
    let mut last_progress = Instant::now();
    while start.elapsed() < options.time && !stop.load(Ordering::SeqCst) {
        match receiver.recv_timeout(Duration::from_millis(100)) {
            Ok(Report::Stats {
                worker,
                life,
                runs,
                cancelled,
                corpus,
                checked,
            }) => {
                if let Some(state) = workers.get_mut(worker).filter(|state| state.life == life) {
                    state.current = (runs, cancelled, checked);
                    summary.corpus = summary.corpus.max(corpus);
                    if worker == 0 {
                        let rss = rss_kib(state.child.id()).unwrap_or(0);
                        if summary.worker_rss_kib.0 == 0 {
                            summary.worker_rss_kib.0 = rss;
                        }
                        summary.worker_rss_kib.1 = rss;
                    }
                }
            }
            Ok(Report::Finding {
                signature,
                artifact,
            }) => {
                summary.elapsed = start.elapsed();
                if let Some(index) = record(&mut summary, &mut by_signature, &signature) {
                    minimize_queue.push_back((index, artifact));
                    if options.until_known && every_target_found(&summary) {
                        break;
                    }
                }
            }
            Ok(Report::Exited { worker, life, hang }) => {
                let Some(state) = workers.get_mut(worker).filter(|state| state.life == life) else {
                    continue;
                };
                let status = describe(state.child.wait());
                if stop.load(Ordering::SeqCst) || start.elapsed() >= options.time {
                    continue;
                }
                let what = if hang {
                    "hang (watchdog)"
                } else {
                    "worker died"
                };
                let signature = format!("Crash: {what}: {status}");
                summary.elapsed = start.elapsed();
                let input = worker::work_dir(&work, worker).join(format!("worker-{worker}.input"));
                if let Some(index) = record(&mut summary, &mut by_signature, &signature)
                    && let Ok(bytes) = std::fs::read(&input)
                {
                    // The input that killed a worker would kill an in-process minimizer too:
                    // it is kept as it is.
                    let entry = Entry::new(
                        EditScript::from_bytes(&bytes),
                        Status::New,
                        signature.clone(),
                    );
                    let path = options.findings.join(format!(
                        "crash-{:08x}.sfz",
                        corpus::content_hash(signature.as_bytes()) as u32
                    ));
                    if entry.write(&path).is_ok() {
                        summary.findings[index].entry = Some(path);
                    }
                }
                let done = (
                    state.done.0 + state.current.0,
                    state.done.1 + state.current.1,
                    state.done.2 + state.current.2,
                );
                let mut fresh = spawn_worker(&me, options, &work, worker, life + 1, &sender)?;
                fresh.done = done;
                *state = fresh;
                summary.restarts += 1;
            }
            Err(_) => {}
        }
        poll_minimizer(
            &me,
            options,
            &mut summary,
            &mut minimize_queue,
            &mut minimizer,
        );
        if last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            totals(&mut summary, &workers, start);
            progress(&summary);
        }
    }
    totals(&mut summary, &workers, start);
    for state in &mut workers {
        let _ = state.child.kill();
        let _ = state.child.wait();
    }
    // Everything found is kept: the remaining minimizations run now.
    while minimizer.is_some() || !minimize_queue.is_empty() {
        poll_minimizer(
            &me,
            options,
            &mut summary,
            &mut minimize_queue,
            &mut minimizer,
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    summary.elapsed = start.elapsed();
    Ok(summary)
}

fn record(
    summary: &mut Summary,
    by_signature: &mut BTreeMap<String, usize>,
    signature: &str,
) -> Option<usize> {
    if let Some(&index) = by_signature.get(signature) {
        summary.findings[index].count += 1;
        return None;
    }
    by_signature.insert(signature.to_owned(), summary.findings.len());
    summary.findings.push(CampaignFinding {
        signature: signature.to_owned(),
        count: 1,
        entry: None,
        first_s: summary.elapsed.as_secs_f64(),
    });
    Some(summary.findings.len() - 1)
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

fn totals(summary: &mut Summary, workers: &[Worker], start: Instant) {
    summary.elapsed = start.elapsed();
    summary.runs = workers.iter().map(|w| w.done.0 + w.current.0).sum();
    summary.cancelled = workers.iter().map(|w| w.done.1 + w.current.1).sum();
    summary.checked = workers.iter().map(|w| w.done.2 + w.current.2).sum();
}

fn poll_minimizer(
    me: &Path,
    options: &CampaignOptions,
    summary: &mut Summary,
    queue: &mut VecDeque<(usize, PathBuf)>,
    minimizer: &mut Option<(usize, Child)>,
) {
    if let Some((index, child)) = minimizer {
        match child.try_wait() {
            Ok(None) => return,
            Ok(Some(_)) | Err(_) => {
                let mut out = String::new();
                if let Some(stdout) = child.stdout.as_mut() {
                    let _ = stdout.read_to_string(&mut out);
                }
                if let Some(path) = out.lines().find_map(|line| line.strip_prefix("wrote ")) {
                    summary.findings[*index].entry = Some(PathBuf::from(path.trim()));
                }
                *minimizer = None;
            }
        }
    }
    if let Some((index, artifact)) = queue.pop_front() {
        let child = Command::new(me)
            .arg("minimize")
            .arg(&artifact)
            .arg("-o")
            .arg(&options.findings)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(child) = child {
            *minimizer = Some((index, child));
        }
    }
}

fn spawn_worker(
    me: &Path,
    options: &CampaignOptions,
    work: &Path,
    index: usize,
    life: usize,
    sender: &Sender<Report>,
) -> std::io::Result<Worker> {
    let seed = options.seed.wrapping_add(1000 * life as u64 + index as u64);
    let mut command = Command::new(me);
    command
        .args([
            "worker",
            "--index",
            &index.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .args(["--max-threads", &options.max_threads.to_string()])
        .args([
            "--hang-limit-ms",
            &options.hang_limit.as_millis().to_string(),
        ])
        .arg("--corpus")
        .arg(&options.corpus)
        .arg("--work")
        .arg(worker::work_dir(work, index))
        .env("SALSA_FUZZ_TEST_LIFE", life.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for dir in &options.start_corpus {
        command.arg("--start").arg(dir);
    }
    if options.sequential {
        command.arg("--sequential");
    }
    let mut child = command.spawn()?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let sender = sender.clone();
    // Whether the worker's stderr carried a watchdog report; known once the pipe closes.
    let hang = stderr.map(|stderr| {
        std::thread::spawn(move || {
            let mut hang = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                hang |= line.contains("HANG");
            }
            hang
        })
    });
    std::thread::spawn(move || {
        if let Some(stdout) = stdout {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(report) = parse_report(&line, index, life) {
                    let _ = sender.send(report);
                }
            }
        }
        // The pipe closed: the worker is gone (the campaign, which owns the child, reads how).
        // Its stderr closes with it, so the reader ends and says whether it saw a hang.
        let hang = hang.is_some_and(|reader| reader.join().unwrap_or(false));
        let _ = sender.send(Report::Exited {
            worker: index,
            life,
            hang,
        });
    });
    Ok(Worker {
        child,
        life,
        done: (0, 0, 0),
        current: (0, 0, 0),
    })
}

/// How a worker ended: its signal (SIGABRT from the watchdog or a panic under abort, SIGKILL
/// from outside or the OOM killer) or its exit code.
fn describe(status: std::io::Result<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(status) => match (status.signal(), status.code()) {
            (Some(6), _) => "SIGABRT".to_owned(),
            (Some(9), _) => "SIGKILL".to_owned(),
            (Some(signal), _) => format!("signal {signal}"),
            (None, Some(code)) => format!("exit code {code}"),
            (None, None) => "unknown exit".to_owned(),
        },
        Err(error) => format!("unknown exit ({error})"),
    }
}

fn parse_report(line: &str, worker: usize, life: usize) -> Option<Report> {
    if let Some(rest) = line.strip_prefix("stats ") {
        let numbers: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [runs, cancelled, corpus, checked] = numbers[..] {
            return Some(Report::Stats {
                worker,
                life,
                runs,
                cancelled,
                corpus,
                checked,
            });
        }
    }
    if let Some(rest) = line.strip_prefix("finding ") {
        let (signature, artifact) = rest.rsplit_once('\t')?;
        return Some(Report::Finding {
            signature: signature.to_owned(),
            artifact: PathBuf::from(artifact),
        });
    }
    None
}

/// Resident memory of process `pid`, in KiB (Linux).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Summary {
    /// The summary as one JSON object (`run --json`); [`crate::benchmark::parse_findings`]
    /// reads its findings back.
    pub fn to_json(&self) -> String {
        let summary = self;
        let findings: Vec<String> = summary
            .findings
            .iter()
            .map(|finding| {
                format!(
                    "{{\"signature\":{},\"count\":{},\"first_s\":{:.1},\"entry\":{}}}",
                    json_string(&finding.signature),
                    finding.count,
                    finding.first_s,
                    finding
                        .entry
                        .as_ref()
                        .map_or("null".to_owned(), |path| json_string(
                            &path.display().to_string()
                        ))
                )
            })
            .collect();
        format!(
            "{{\"elapsed_s\":{:.1},\"jobs\":{},\"runs\":{},\"runs_per_s\":{:.1},\"cancelled\":{},\"checked\":{},\"corpus\":{},\"restarts\":{},\"worker_rss_kib\":[{},{}],\"findings\":[{}]}}",
            summary.elapsed.as_secs_f64(),
            summary.jobs,
            summary.runs,
            summary.runs as f64 / summary.elapsed.as_secs_f64().max(0.001),
            summary.cancelled,
            summary.checked,
            summary.corpus,
            summary.restarts,
            summary.worker_rss_kib.0,
            summary.worker_rss_kib.1,
            findings.join(",")
        )
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
