//! The `salsa-fuzz` command line: a thin layer over the library.
//!
//! - `salsa-fuzz run [--time 60s] [--seed S] [--sequential] [--no-oracle]`: generate seeded
//!   scripts and run them until the time is up, with a status line; exit 1 on a finding.
//! - `salsa-fuzz bench [--seconds N]`: runs/s and peak memory per mode, one line each.
//!
//! Usage errors print one line and exit 2.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use salsa_fuzz::exec::{self, ExecOptions, install_panic_hook};
use salsa_fuzz::fuzz::SeededInputs;
use salsa_fuzz::script::EditScript;

const USAGE: &str = "usage: salsa-fuzz run [--time 60s] [--seed N] [--sequential] [--no-oracle] \
                     [--no-final-check] | salsa-fuzz bench [--seconds N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => parse_run(&args[1..]).map(run),
        Some("bench") => parse_bench(&args[1..]).map(bench),
        Some("bench-mode") => parse_bench_mode(&args[1..]).map(bench_mode),
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(format!("unknown command `{other}`")),
        None => Err("no command given".to_owned()),
    };
    result.unwrap_or_else(|error| {
        eprintln!("salsa-fuzz: {error}\n{USAGE}");
        ExitCode::from(2)
    })
}

struct RunArgs {
    time: Duration,
    seed: u64,
    options: ExecOptions,
}

fn parse_run(args: &[String]) -> Result<RunArgs, String> {
    let mut parsed = RunArgs {
        time: Duration::from_secs(60),
        seed: 0,
        options: ExecOptions::default(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--time" => parsed.time = parse_duration(value(&mut args, "--time")?)?,
            "--seed" => parsed.seed = parse_number(value(&mut args, "--seed")?, "--seed")?,
            "--sequential" => parsed.options.sequential = true,
            "--no-oracle" => parsed.options.oracle = false,
            "--no-final-check" => parsed.options.final_check = false,
            other => return Err(format!("unknown flag `{other}` for `run`")),
        }
    }
    Ok(parsed)
}

fn value<'a>(args: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<&'a str, String> {
    args.next()
        .map(String::as_str)
        .ok_or_else(|| format!("`{flag}` needs a value"))
}

fn parse_number(text: &str, flag: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("`{flag}` takes a number, not `{text}`"))
}

/// `90`, `90s`, `5m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: u64 = number
        .parse()
        .map_err(|_| format!("bad duration `{text}` (try 60s, 5m)"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("bad duration unit in `{text}` (use s, m or h)")),
    };
    let seconds = number
        .checked_mul(scale)
        .ok_or_else(|| format!("duration `{text}` is too long"))?;
    Ok(Duration::from_secs(seconds))
}

fn run(args: RunArgs) -> ExitCode {
    install_panic_hook();
    let mode = if args.options.sequential {
        "sequential"
    } else {
        "threads"
    };
    let oracle = if args.options.oracle { "on" } else { "off" };
    println!(
        "salsa-fuzz run: seed {}, {mode}, oracle {oracle}, for {:?}",
        args.seed, args.time
    );
    let mut inputs = SeededInputs::new(args.seed);
    let start = Instant::now();
    let mut last_status = Instant::now();
    let (mut runs, mut cancelled, mut compared) = (0u64, 0usize, 0usize);
    while start.elapsed() < args.time {
        let data = inputs.next_input();
        let script = EditScript::from_bytes(&data);
        let outcome = exec::execute(&script, &args.options);
        runs += 1;
        cancelled += outcome.stats.background_cancelled;
        compared += outcome.stats.comparisons;
        if let Some(finding) = outcome.findings.first() {
            println!(
                "\nFINDING after {runs} runs (seed {}, input {}):\n{finding}",
                args.seed,
                runs - 1
            );
            println!("script: {script:#?}");
            return ExitCode::from(1);
        }
        if last_status.elapsed() >= Duration::from_secs(1) {
            last_status = Instant::now();
            let elapsed = start.elapsed().as_secs_f64();
            println!(
                "[{elapsed:>5.0}s] runs {runs:>8}  runs/s {:>7.0}  findings 0  cancelled batches {cancelled:>7}  answers checked {compared:>9}",
                runs as f64 / elapsed
            );
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "done: {runs} runs in {elapsed:.0}s ({:.0} runs/s), no finding; {cancelled} background batches cancelled, {compared} answers checked against the model",
        runs as f64 / elapsed
    );
    ExitCode::SUCCESS
}

/// Benchmark modes: (name, sequential, oracle, final whole-project check).
const MODES: [(&str, bool, bool, bool); 6] = [
    ("threads+oracle", false, true, true),
    ("threads+step-oracle", false, true, false),
    ("threads", false, false, false),
    ("sequential+oracle", true, true, true),
    ("sequential+step-oracle", true, true, false),
    ("sequential", true, false, false),
];

fn parse_bench(args: &[String]) -> Result<u64, String> {
    match args {
        [] => Ok(10),
        [flag, seconds] if flag == "--seconds" => parse_number(seconds, "--seconds"),
        _ => Err(format!("unexpected arguments for `bench`: {args:?}")),
    }
}

/// Runs each mode in its own process, so each line's peak memory is that mode's alone.
fn bench(seconds: u64) -> ExitCode {
    let Ok(me) = std::env::current_exe() else {
        eprintln!("salsa-fuzz: cannot find the running executable");
        return ExitCode::from(2);
    };
    println!(
        "mode                             runs/s   peak RSS   (library loop, seeded inputs, {seconds}s each, one process per mode)"
    );
    for (name, ..) in MODES {
        let output = std::process::Command::new(&me)
            .args(["bench-mode", name, &seconds.to_string()])
            .output();
        match output {
            Ok(output) if output.status.success() => {
                print!("{}", String::from_utf8_lossy(&output.stdout))
            }
            Ok(output) => println!(
                "{name:<30} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            Err(error) => println!("{name:<30} could not start: {error}"),
        }
    }
    for target in ["edit_script", "edit_script_sequential"] {
        println!("{}", bench_libfuzzer(target, seconds));
    }
    ExitCode::SUCCESS
}

/// Runs a cargo-fuzz target built by `cargo fuzz build --sanitizer none -O --debug-assertions`
/// from an empty corpus, and reads libFuzzer's own final statistics.
fn bench_libfuzzer(target: &str, seconds: u64) -> String {
    let name = format!("libFuzzer {target}");
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/target/x86_64-unknown-linux-gnu/release")
        .join(target);
    if !binary.is_file() {
        return format!(
            "{name:<30} skipped: build it with `cd fuzz && cargo fuzz build --sanitizer none -O --debug-assertions`"
        );
    }
    let corpus =
        std::env::temp_dir().join(format!("salsa-fuzz-bench-{target}-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&corpus) {
        return format!(
            "{name:<30} skipped: cannot create {}: {error}",
            corpus.display()
        );
    }
    let output = std::process::Command::new(&binary)
        .arg(&corpus)
        .args([
            format!("-max_total_time={seconds}"),
            "-print_final_stats=1".to_owned(),
            "-max_len=1024".to_owned(),
            "-timeout=20".to_owned(),
            "-seed=1".to_owned(),
        ])
        .output();
    let _ = std::fs::remove_dir_all(&corpus);
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
            format!("{name:<30} {rate:>8.0}   {rss:>6} MB   (inputs grow from 1 byte)")
        }
        _ => format!("{name:<30} failed: no final stats in libFuzzer's output"),
    }
}

fn parse_bench_mode(args: &[String]) -> Result<(usize, u64), String> {
    let [name, seconds] = args else {
        return Err("bench-mode takes a mode and a number of seconds".to_owned());
    };
    let mode = MODES
        .iter()
        .position(|(mode, ..)| mode == name)
        .ok_or_else(|| format!("unknown mode `{name}`"))?;
    Ok((mode, parse_number(seconds, "seconds")?))
}

fn bench_mode((mode, seconds): (usize, u64)) -> ExitCode {
    install_panic_hook();
    let (name, sequential, oracle, final_check) = MODES[mode];
    let options = ExecOptions {
        sequential,
        oracle,
        final_check,
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
    println!(
        "{name:<30} {rate:>8.0}   {:>6} MB",
        peak_rss_mb().map_or("?".to_owned(), |mb| mb.to_string())
    );
    ExitCode::SUCCESS
}

/// Peak resident set size of this process (Linux `VmHWM`), in MB.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// A callgrind profile of `bench-mode sequential+oracle` spent 32% of its instructions in
/// glibc's malloc and free (a fresh database per script allocates and frees a lot).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
