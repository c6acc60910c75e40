//! The suite's side of a mutant: bounded campaigns against the suite built on the mutant, and
//! their findings judged by replaying each entry on the suite built against unmutated salsa.
//!
//! Two campaigns of `--time` each (`run --jobs 1 --json --seeds corpus/seeds`, the
//! regressions left out as in the known-bug benchmark: they would hand it salsa's open bugs),
//! with threads and then `--sequential`; the second is skipped once the first has killed.
//! Findings are judged in order of discovery up to the first kill ([`super::judge`]).

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::child;
use super::judge::{self, JudgedFinding};
use super::list::Mutant;
use super::results::{CampaignRecord, Kill, SuiteResult};
use super::workspace::io;
use super::{MutantsError, MutantsOptions, Verdict};
use crate::campaign::{Stopped, Summary};

/// Replays of a finding's entry on unmutated salsa before it counts as a kill.
const REPLAYS: usize = 3;

/// What a campaign may take beyond its `--time`: minimizing its findings and grouping them.
const CAMPAIGN_EXTRA: Duration = Duration::from_secs(300);

/// The bound on one replay of an entry.
const REPLAY_BOUND: Duration = Duration::from_secs(60);

/// The campaigns against a built mutant: threads, then sequential unless the first killed.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the run's settings"
)]
pub(super) fn run_campaigns(
    binary: &Path,
    root: &Path,
    unmutated: &Path,
    dir: &Path,
    mutant: &Mutant,
    options: &MutantsOptions,
    suite: &mut SuiteResult,
    log: &mut dyn FnMut(&str),
) -> Result<(), MutantsError> {
    let mut timed_out = false;
    for mode in ["threads", "sequential"] {
        let (mut record, stop) =
            campaign(binary, root, &dir.join(mode), mode, options, &mutant.name)?;
        let kill = match stop {
            CampaignEnd::WorkersDieAtStartup(error) => {
                suite.note = Some(error);
                Some(Kill {
                    signature: "Crash: workers die at start-up".to_owned(),
                    mode: mode.to_owned(),
                    first_s: record.elapsed_s,
                })
            }
            CampaignEnd::NoSummary => {
                timed_out = true;
                suite.note = Some(format!(
                    "the {mode} campaign gave no summary within its bound"
                ));
                None
            }
            CampaignEnd::Summary(summary) => {
                judge_findings(&summary, unmutated, root, dir, mode, &mut record, log)?
            }
        };
        suite.campaigns.push(record);
        if let Some(kill) = kill {
            suite.verdict = Some(Verdict::Killed);
            suite.kill = Some(kill);
            return Ok(());
        }
    }
    suite.verdict = Some(if timed_out {
        Verdict::Timeout
    } else {
        Verdict::Survived
    });
    Ok(())
}

/// How a campaign ended.
pub(super) enum CampaignEnd {
    Summary(Box<Summary>),
    /// Its workers could not get going: on a mutant, that is the mutant's doing (the
    /// baseline's probe campaign ran).
    WorkersDieAtStartup(String),
    /// Stopped at its bound without printing a summary.
    NoSummary,
}

/// One bounded `salsa-fuzz run` of `binary` in `dir`.
pub(super) fn campaign(
    binary: &Path,
    root: &Path,
    dir: &Path,
    mode: &str,
    options: &MutantsOptions,
    mutant: &str,
) -> Result<(CampaignRecord, CampaignEnd), MutantsError> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let summary_path = dir.join("summary.json");
    let log_path = dir.join("campaign.log");
    let stdout = File::create(&summary_path).map_err(io(&summary_path))?;
    let stderr = File::create(&log_path).map_err(io(&log_path))?;
    let mut command =
        crate::campaign::benchmark_command(binary, root, dir, options.time, options.seed);
    command.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
    if mode == "sequential" {
        command.arg("--sequential");
    }
    let ended = child::run_bounded(
        &mut command,
        options.time + CAMPAIGN_EXTRA,
        Duration::from_secs(60),
    )
    .map_err(io(binary))?;
    let mut record = CampaignRecord {
        mode: mode.to_owned(),
        elapsed_s: ended.elapsed.as_secs_f64(),
        ..CampaignRecord::default()
    };
    let text = std::fs::read_to_string(&summary_path).unwrap_or_default();
    let Ok(summary) = Summary::from_json(text.trim()) else {
        if ended.timed_out {
            record.stopped = "killed-after-bound".to_owned();
            return Ok((record, CampaignEnd::NoSummary));
        }
        return Err(MutantsError::Campaign {
            mutant: mutant.to_owned(),
            message: format!(
                "no JSON summary ({:?}); see {}",
                ended.status,
                log_path.display()
            ),
        });
    };
    record.elapsed_s = summary.elapsed_s;
    record.runs = summary.runs;
    record.stopped = serde_json::to_value(summary.stopped)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    if summary.stopped == Stopped::Error {
        let error = summary.error.clone().unwrap_or_default();
        if error.starts_with("workers die at start-up") {
            return Ok((record, CampaignEnd::WorkersDieAtStartup(error)));
        }
        return Err(MutantsError::Campaign {
            mutant: mutant.to_owned(),
            message: format!("it stopped on an error: {error}"),
        });
    }
    Ok((record, CampaignEnd::Summary(Box::new(summary))))
}

/// Judges a campaign's findings in order of discovery, up to the first kill, and returns it.
fn judge_findings(
    summary: &Summary,
    unmutated: &Path,
    root: &Path,
    dir: &Path,
    mode: &str,
    record: &mut CampaignRecord,
    log: &mut dyn FnMut(&str),
) -> Result<Option<Kill>, MutantsError> {
    let mut findings = summary.findings.clone();
    findings.sort_by(|a, b| a.first_s.total_cmp(&b.first_s));
    for finding in findings {
        let entry = finding
            .entry
            .clone()
            .or_else(|| finding.unminimized.clone());
        let mut judged = JudgedFinding {
            signature: finding.signature.clone(),
            first_s: finding.first_s,
            entry: entry.as_ref().map(|entry| entry.display().to_string()),
            on_unmutated: Vec::new(),
        };
        if let Some(entry) = &entry {
            for _ in 0..REPLAYS {
                let seen = replay(unmutated, entry, root, dir)?;
                let same = seen
                    .as_deref()
                    .is_some_and(|seen| judge::same_bug(seen, &finding.signature));
                judged.on_unmutated.push(seen);
                if same {
                    break;
                }
            }
        }
        let kill = judged.is_kill();
        if !kill && judged.entry.is_some() {
            log(&format!(
                "  not a kill (unmutated salsa shows it too): {}",
                finding.signature
            ));
        }
        record.findings.push(judged);
        if kill {
            return Ok(Some(Kill {
                signature: finding.signature,
                mode: mode.to_owned(),
                first_s: finding.first_s,
            }));
        }
    }
    Ok(None)
}

/// What `repro ENTRY --any` observes with `binary` (`None`: nothing); a replay that dies is a
/// `Crash:`, one that does not finish within its bound is `Crash: replay hung`.
fn replay(
    binary: &Path,
    entry: &Path,
    root: &Path,
    dir: &Path,
) -> Result<Option<String>, MutantsError> {
    let out_path = dir.join("replay.out");
    let out = File::create(&out_path).map_err(io(&out_path))?;
    let mut command = Command::new(binary);
    command
        .arg("repro")
        .arg(entry)
        .arg("--any")
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null());
    let ended = child::run_bounded(&mut command, REPLAY_BOUND, Duration::from_secs(5))
        .map_err(io(binary))?;
    if ended.timed_out {
        return Ok(Some("Crash: replay hung".to_owned()));
    }
    if let Some(signal) = ended
        .status
        .and_then(|status| std::os::unix::process::ExitStatusExt::signal(&status))
    {
        return Ok(Some(format!("Crash: replay died: signal {signal}")));
    }
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix("observed: "))
        .filter(|signature| *signature != "none")
        .map(str::to_owned))
}
