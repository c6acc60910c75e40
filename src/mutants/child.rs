//! Running a child process within a bound: a campaign, a replay, `cargo test`.
//!
//! The child gets its own process group. When the bound runs out, the group gets SIGTERM (a
//! campaign stops gracefully and still prints its summary; its workers and minimizers are in
//! their own groups and follow it), then SIGKILL after a grace period (`cargo test` and the
//! test binary it runs, which may be the one that hangs). Only the group this module started
//! is signalled, by its id.

use std::os::unix::process::CommandExt as _;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// How a bounded child ended.
#[derive(Clone, Copy, Debug)]
pub struct Ended {
    /// Its exit status, unless it had to be killed and could not be waited for.
    pub status: Option<ExitStatus>,
    /// The bound ran out and it was signalled.
    pub timed_out: bool,
    /// Wall time.
    pub elapsed: Duration,
}

impl Ended {
    /// It exited on its own with status 0.
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.is_some_and(|status| status.success())
    }
}

/// Runs `command` (its stdio already set up) for at most `limit`, then SIGTERM, then SIGKILL
/// `grace` later.
pub fn run_bounded(
    command: &mut Command,
    limit: Duration,
    grace: Duration,
) -> std::io::Result<Ended> {
    let started = Instant::now();
    let mut child = command.process_group(0).spawn()?;
    let group = format!("-{}", child.id());
    let mut timed_out = false;
    let mut signalled_kill = false;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Ended {
                status: Some(status),
                timed_out,
                elapsed: started.elapsed(),
            });
        }
        let elapsed = started.elapsed();
        if !timed_out && elapsed >= limit {
            timed_out = true;
            signal(&group, "TERM");
        } else if timed_out && !signalled_kill && elapsed >= limit + grace {
            signalled_kill = true;
            signal(&group, "KILL");
            let _ = child.kill();
        } else if signalled_kill && elapsed >= limit + grace + Duration::from_secs(10) {
            return Ok(Ended {
                status: None,
                timed_out,
                elapsed,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `kill -s SIGNAL -- -PGID`: the group this module started.
fn signal(group: &str, name: &str) {
    let _ = Command::new("kill")
        .args(["-s", name, "--", group])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Runs `command` to the end (stderr discarded) and returns its stdout if it exited
/// successfully.
pub fn stdout_if_success(command: &mut std::process::Command) -> Option<String> {
    let output = command.stderr(std::process::Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_within_its_bound_reports_its_status() {
        let ended = run_bounded(
            Command::new("sh").args(["-c", "exit 3"]),
            Duration::from_secs(10),
            Duration::from_secs(1),
        )
        .expect("runs");
        assert!(!ended.timed_out);
        assert_eq!(ended.status.and_then(|status| status.code()), Some(3));
        assert!(!ended.success());
    }

    #[test]
    fn a_child_past_its_bound_is_stopped_with_its_own_children() {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let late = scratch.path().join("late");
        // The background subshell would outlive a kill of the shell alone, and write `late`.
        let script = format!("(sleep 1; touch '{}') & sleep 30; wait", late.display());
        let ended = run_bounded(
            Command::new("sh").args(["-c", &script]),
            Duration::from_millis(300),
            Duration::from_secs(2),
        )
        .expect("runs");
        assert!(ended.timed_out);
        assert!(
            ended.elapsed < Duration::from_secs(10),
            "{:?}",
            ended.elapsed
        );
        std::thread::sleep(Duration::from_millis(1500));
        assert!(!late.exists(), "the shell's child was stopped too");
    }
}
