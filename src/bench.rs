//! `salsa-fuzz bench`: runs/s and peak memory of the library loop per mode, each mode in its
//! own process (`salsa-fuzz bench-mode`, hidden), so that each line's peak memory is that
//! mode's alone; and libFuzzer's own figures when the fuzz targets were built.
//!
//! The figures are for comparing builds on one machine in one invocation, not absolutes.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

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

/// Runs every mode in a child process of `me` (this executable) for `seconds` each, then the
/// libFuzzer targets, writing one line each through `line`.
pub fn bench_all(me: &Path, seconds: u64, line: &mut dyn FnMut(&str)) {
    line(&format!(
        "mode                             runs/s   peak RSS   (library loop, seeded inputs, {seconds}s each, one process per mode)"
    ));
    for mode in MODES {
        let output = Command::new(me)
            .args(["bench-mode", mode.name, &seconds.to_string()])
            .output();
        match output {
            Ok(output) if output.status.success() => {
                line(String::from_utf8_lossy(&output.stdout).trim_end())
            }
            Ok(output) => line(&format!(
                "{:<30} failed: {}",
                mode.name,
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(error) => line(&format!("{:<30} could not start: {error}", mode.name)),
        }
    }
    for target in ["edit_script", "edit_script_sequential"] {
        line(&bench_libfuzzer(target, seconds));
    }
}

/// Runs `mode` in this process for `seconds` and returns its table line.
pub fn bench_mode(mode: Mode, seconds: u64) -> String {
    install_panic_hook();
    let options = ExecOptions {
        sequential: mode.sequential,
        oracle: mode.oracle,
        final_check: mode.final_check,
        ..ExecOptions::default()
    };
    let mut inputs = SeededInputs::new(1);
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let script = EditScript::from_bytes(&inputs.next_input());
        exec::execute(&script, &options);
        runs += 1;
    }
    let rate = runs as f64 / start.elapsed().as_secs_f64();
    format!(
        "{:<30} {rate:>8.0}   {:>6} MB",
        mode.name,
        crate::util::proc_status_kib("self", "VmHWM")
            .map_or("?".to_owned(), |kib| (kib / 1024).to_string())
    )
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
            "{name:<30} skipped: build it with `cd fuzz && cargo fuzz build --sanitizer none -O --debug-assertions`"
        );
    }
    let corpus = match tempfile::tempdir() {
        Ok(corpus) => corpus,
        Err(error) => return format!("{name:<30} skipped: no temporary directory: {error}"),
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
        Err(error) => return format!("{name:<30} could not start: {error}"),
    };
    let stat = |key: &str| -> Option<f64> {
        let line = output.lines().find(|line| line.starts_with(key))?;
        line.rsplit_once(':')?.1.trim().parse().ok()
    };
    match (
        stat("stat::number_of_executed_units"),
        stat("stat::average_exec_per_sec"),
        stat("stat::peak_rss_mb"),
    ) {
        (Some(_), Some(rate), Some(rss)) => {
            format!("{name:<30} {rate:>8.0}   {rss:>6} MB   (script-level mutator, empty corpus)")
        }
        _ => format!("{name:<30} failed: no final stats in libFuzzer's output"),
    }
}
