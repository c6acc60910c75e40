//! `salsa-fuzz bench`: what the library loop gets through per second, per mode (threads or
//! sequential, with or without the oracle): scripts, executed steps and answers checked, and
//! peak memory. Each measurement runs in a process of its own (`salsa-fuzz bench-mode`,
//! hidden), so that its peak memory is its own, over the same seeded scripts every time.
//!
//! Wall-clock figures move with whatever else the machine does, so the benchmark reports
//! medians over rounds and, given a reference build (another `salsa-fuzz` binary, say one built
//! from an older commit), runs the two alternately in the same invocation and reports their
//! ratio: a noisy machine slows both. `--callgrind` adds what does not move at all: the
//! instructions per executed step of a fixed set of seeded scripts, counted by valgrind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::exec::{self, ExecOptions, install_panic_hook};
use crate::script::EditScript;
use crate::util::SeededInputs;

/// A benchmark mode: how scripts run and what is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// Its name on the command line and in the table.
    pub name: &'static str,
    /// Background batches inline.
    pub sequential: bool,
    /// Compare every answer with the model.
    pub oracle: bool,
    /// And the whole project after the last step.
    pub final_check: bool,
}

/// Every mode, in table order.
pub const MODES: [Mode; 6] = [
    Mode::new("threads+oracle", false, true, true),
    Mode::new("threads+step-oracle", false, true, false),
    Mode::new("threads", false, false, false),
    Mode::new("sequential+oracle", true, true, true),
    Mode::new("sequential+step-oracle", true, true, false),
    Mode::new("sequential", true, false, false),
];

/// The modes `--callgrind` counts instructions of: the two the fuzzing loop runs.
pub const CALLGRIND_MODES: [&str; 2] = ["sequential+oracle", "threads+oracle"];

impl Mode {
    const fn new(name: &'static str, sequential: bool, oracle: bool, final_check: bool) -> Mode {
        Mode {
            name,
            sequential,
            oracle,
            final_check,
        }
    }

    /// The mode called `name`.
    pub fn named(name: &str) -> Option<Mode> {
        MODES.iter().copied().find(|mode| mode.name == name)
    }
}

/// How long one measurement runs: for a time, or over a fixed number of scripts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Budget {
    /// As many scripts as fit in this many seconds.
    Seconds(f64),
    /// The first this many seeded scripts.
    Scripts(u64),
}

/// What one measurement got through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// Scripts run.
    pub scripts: u64,
    /// Steps executed (a script stopped by a finding counts only the steps it ran).
    pub steps: u64,
    /// Answers compared with the model.
    pub answers: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The process's peak resident memory, KiB (0 if unknown).
    pub peak_rss_kib: u64,
}

impl Measured {
    /// `count` per wall-clock second.
    fn rate(&self, count: u64) -> f64 {
        if self.seconds > 0.0 {
            count as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Scripts per second.
    pub fn scripts_per_second(&self) -> f64 {
        self.rate(self.scripts)
    }

    /// Executed steps per second.
    pub fn steps_per_second(&self) -> f64 {
        self.rate(self.steps)
    }

    /// Answers checked per second.
    pub fn answers_per_second(&self) -> f64 {
        self.rate(self.answers)
    }
}

/// Runs `mode` in this process over seeded scripts (seed 1, the same stream every time).
pub fn measure(mode: Mode, budget: Budget) -> Measured {
    install_panic_hook();
    let options = ExecOptions {
        sequential: mode.sequential,
        oracle: mode.oracle,
        final_check: mode.final_check,
        ..ExecOptions::default()
    };
    let mut inputs = SeededInputs::new(1);
    let mut measured = Measured::default();
    // A shuttle build's once-per-process warm-up is not the loop's cost.
    exec::prepare();
    let start = Instant::now();
    loop {
        let done = match budget {
            Budget::Seconds(seconds) => start.elapsed() >= Duration::from_secs_f64(seconds),
            Budget::Scripts(scripts) => measured.scripts >= scripts,
        };
        if done {
            break;
        }
        let script = EditScript::from_bytes(&inputs.next_input());
        let outcome = exec::execute(&script, &options);
        measured.scripts += 1;
        measured.steps += outcome.stats.steps_by_kind.iter().sum::<usize>() as u64;
        measured.answers += outcome.stats.comparisons as u64;
    }
    measured.seconds = start.elapsed().as_secs_f64();
    measured.peak_rss_kib = crate::util::proc_status_kib("self", "VmHWM").unwrap_or(0);
    measured
}

/// What `salsa-fuzz bench` measures.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Seconds per measurement.
    pub seconds: f64,
    /// Measurements per mode and build; the table shows their medians.
    pub rounds: usize,
    /// The modes, in table order.
    pub modes: Vec<Mode>,
    /// Another `salsa-fuzz` binary, run alternately with this one.
    pub reference: Option<PathBuf>,
    /// Scripts per callgrind count, if instructions per step are wanted.
    pub callgrind_scripts: Option<u64>,
    /// Also run the libFuzzer targets, if built.
    pub libfuzzer: bool,
}

/// Runs one measurement of `mode` by the binary `binary` in a child process.
fn measure_in_child(binary: &Path, mode: Mode, budget: Budget) -> Result<Measured, String> {
    let mut command = Command::new(binary);
    command.args(["bench-mode", mode.name]);
    match budget {
        Budget::Seconds(seconds) => command.args(["--seconds", &seconds.to_string()]),
        Budget::Scripts(scripts) => command.args(["--scripts", &scripts.to_string()]),
    };
    let output = command
        .output()
        .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} bench-mode {} failed: {}",
            binary.display(),
            mode.name,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|error| {
        format!(
            "{} bench-mode {} printed no measurement ({error}); a reference must be a build with this benchmark",
            binary.display(),
            mode.name
        )
    })
}

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// The medians of a build's rounds of one mode.
#[derive(Clone, Copy, Debug, Default)]
struct Medians {
    scripts: f64,
    steps: f64,
    answers: f64,
    peak_rss_mib: f64,
}

impl Medians {
    fn of(rounds: &[Measured]) -> Medians {
        let column = |value: fn(&Measured) -> f64| {
            let mut values: Vec<f64> = rounds.iter().map(value).collect();
            median(&mut values)
        };
        Medians {
            scripts: column(Measured::scripts_per_second),
            steps: column(Measured::steps_per_second),
            answers: column(Measured::answers_per_second),
            peak_rss_mib: column(|measured| measured.peak_rss_kib as f64 / 1024.0),
        }
    }

    fn row(&self, mode: &str, build: &str) -> String {
        format!(
            "{mode:<24} {build:<10} {:>10.0} {:>10.0} {:>10.0} {:>6.0} MB",
            self.scripts, self.steps, self.answers, self.peak_rss_mib
        )
    }
}

fn ratio(this: f64, reference: f64) -> String {
    if reference > 0.0 {
        format!("{:.2}", this / reference)
    } else {
        "-".to_owned()
    }
}

/// Runs the benchmark with `me` (this executable) and writes the table through `line`.
pub fn bench_all(me: &Path, options: &BenchOptions, line: &mut dyn FnMut(&str)) {
    let budget = Budget::Seconds(options.seconds);
    line(&format!(
        "{:<24} {:<10} {:>10} {:>10} {:>10} {:>9}   (medians of {} rounds of {} s, one process each{})",
        "mode",
        "build",
        "scripts/s",
        "steps/s",
        "answers/s",
        "peak RSS",
        options.rounds,
        options.seconds,
        if options.reference.is_some() {
            ", this build and the reference alternately"
        } else {
            ""
        }
    ));
    for mode in &options.modes {
        let mut this = Vec::new();
        let mut reference = Vec::new();
        let mut failure = None;
        for round in 0..options.rounds {
            // Alternate which build goes first, so neither always runs on a warmer machine.
            let mut order: Vec<(&Path, &mut Vec<Measured>)> = vec![(me, &mut this)];
            if let Some(path) = &options.reference {
                order.push((path, &mut reference));
            }
            if round % 2 == 1 {
                order.reverse();
            }
            for (binary, into) in order {
                match measure_in_child(binary, *mode, budget) {
                    Ok(measured) => into.push(measured),
                    Err(error) => failure = Some(error),
                }
            }
            if failure.is_some() {
                break;
            }
        }
        if let Some(error) = failure {
            line(&format!("{:<24} failed: {error}", mode.name));
            continue;
        }
        let this = Medians::of(&this);
        line(&this.row(mode.name, "this"));
        if options.reference.is_some() {
            let reference = Medians::of(&reference);
            line(&reference.row(mode.name, "reference"));
            line(&format!(
                "{:<24} {:<10} {:>10} {:>10} {:>10}",
                mode.name,
                "ratio",
                ratio(this.scripts, reference.scripts),
                ratio(this.steps, reference.steps),
                ratio(this.answers, reference.answers),
            ));
        }
    }
    if let Some(scripts) = options.callgrind_scripts {
        callgrind_table(me, options.reference.as_deref(), scripts, line);
    }
    if options.libfuzzer {
        for target in ["edit_script", "edit_script_sequential"] {
            line(&bench_libfuzzer(target, options.seconds.ceil() as u64));
        }
    }
}

/// Instructions per executed step of the first `scripts` seeded scripts, per callgrind mode
/// and build.
fn callgrind_table(me: &Path, reference: Option<&Path>, scripts: u64, line: &mut dyn FnMut(&str)) {
    line(&format!(
        "{:<24} {:<10} {:>14} {:>10} {:>12}   (valgrind --tool=callgrind, the first {scripts} seeded scripts)",
        "mode", "build", "instructions", "steps", "instr/step"
    ));
    for name in CALLGRIND_MODES {
        let Some(mode) = Mode::named(name) else {
            continue;
        };
        let mut per_step = Vec::new();
        let builds = std::iter::once(("this", me)).chain(reference.map(|path| ("reference", path)));
        for (build, binary) in builds {
            match count_instructions(binary, mode, scripts) {
                Ok((instructions, measured)) => {
                    let each = instructions as f64 / measured.steps.max(1) as f64;
                    per_step.push(each);
                    line(&format!(
                        "{name:<24} {build:<10} {instructions:>14} {:>10} {each:>12.0}",
                        measured.steps
                    ));
                }
                Err(error) => line(&format!("{name:<24} {build:<10} failed: {error}")),
            }
        }
        if let [this, reference] = per_step[..] {
            line(&format!(
                "{name:<24} {:<10} {:>14} {:>10} {:>12}",
                "ratio",
                "",
                "",
                ratio(this, reference)
            ));
        }
    }
}

/// Runs `binary bench-mode MODE --scripts N` under callgrind: its total instruction count
/// and what it measured.
fn count_instructions(binary: &Path, mode: Mode, scripts: u64) -> Result<(u64, Measured), String> {
    let dir = tempfile::tempdir().map_err(|error| format!("no temporary directory: {error}"))?;
    let out = dir.path().join("callgrind.out");
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary)
        .args(["bench-mode", mode.name, "--scripts", &scripts.to_string()])
        .output()
        .map_err(|error| format!("cannot start valgrind: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "valgrind failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let measured: Measured = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("no measurement in the output: {error}"))?;
    let profile = std::fs::read_to_string(&out)
        .map_err(|error| format!("cannot read {}: {error}", out.display()))?;
    let instructions = callgrind_total(&profile)
        .ok_or_else(|| format!("no `summary:` or `totals:` line in {}", out.display()))?;
    Ok((instructions, measured))
}

/// The total event count of a callgrind profile (its first event is instructions).
pub fn callgrind_total(profile: &str) -> Option<u64> {
    profile.lines().find_map(|line| {
        let rest = line
            .strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Runs a cargo-fuzz target built by `cargo fuzz build --sanitizer none -O --debug-assertions`
/// from an empty corpus, and reads libFuzzer's own final statistics.
fn bench_libfuzzer(target: &str, seconds: u64) -> String {
    let name = format!("libFuzzer {target}");
    let binary = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/target/x86_64-unknown-linux-gnu/release")
        .join(target);
    if !binary.is_file() {
        return format!(
            "{name:<35} skipped: build it with `cd fuzz && cargo fuzz build --sanitizer none -O --debug-assertions`"
        );
    }
    let corpus = match tempfile::tempdir() {
        Ok(corpus) => corpus,
        Err(error) => return format!("{name:<35} skipped: no temporary directory: {error}"),
    };
    let output = Command::new(&binary)
        .arg(corpus.path())
        .args([
            format!("-max_total_time={seconds}"),
            "-print_final_stats=1".to_owned(),
            "-seed=1".to_owned(),
        ])
        .args(crate::fuzz::mutator::LIBFUZZER_FLAGS)
        .output();
    let output = match output {
        Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
        Err(error) => return format!("{name:<35} could not start: {error}"),
    };
    let stat = |key: &str| -> Option<f64> {
        let line = output.lines().find(|line| line.starts_with(key))?;
        line.rsplit_once(':')?.1.trim().parse().ok()
    };
    match (
        stat("stat::average_exec_per_sec"),
        stat("stat::peak_rss_mb"),
    ) {
        (Some(rate), Some(rss)) => format!(
            "{name:<35} {rate:>10.0} scripts/s {rss:>6} MB   (script-level mutator, empty corpus: inputs start at one byte, not comparable)"
        ),
        _ => format!("{name:<35} failed: no final stats in libFuzzer's output"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn callgrind_totals_are_read_from_either_line() {
        let profile = "version: 1\ncmd: x\nevents: Ir\nsummary: 123456\n";
        assert_eq!(callgrind_total(profile), Some(123_456));
        assert_eq!(callgrind_total("events: Ir\ntotals: 77 3\n"), Some(77));
        assert_eq!(callgrind_total("events: Ir\n"), None);
    }

    #[test]
    fn a_fixed_script_count_measures_the_same_scripts_every_time() {
        let mode = Mode::named("sequential+step-oracle").expect("a mode");
        let first = measure(mode, Budget::Scripts(3));
        let second = measure(mode, Budget::Scripts(3));
        assert_eq!(first.scripts, 3);
        assert!(first.steps > 0 && first.answers > 0, "{first:?}");
        assert_eq!((first.steps, first.answers), (second.steps, second.answers));
    }
}
