//! The `salsa-fuzz` command line: a thin layer over the library.
//!
//! - `salsa-fuzz run [--time 60s] [--jobs N] [--seed S] [--corpus DIR] [--max-threads T]
//!   [--sequential] [--json]`: a fuzzing campaign of `--jobs` worker processes (see
//!   `salsa_fuzz::campaign`); exit 0 without findings, 1 with, 2 on usage or I/O errors.
//! - `salsa-fuzz bench [--seconds N]`: runs/s and peak memory per mode, one line each.
//! - `salsa-fuzz repro FILE`: print the script of an entry or libFuzzer artifact, run it, print
//!   the signature; exit 1 if it reproduces, 0 if not.
//! - `salsa-fuzz minimize FILE [-o DIR]`: write the minimized entry (default `corpus/findings`).
//! - `salsa-fuzz fmt FILE [--rust]`: print the script, or a Rust `#[test]` replaying it.
//! - `salsa-fuzz corpus check [DIR] [--salsa VERSION|PATH]`: replay every entry (default
//!   `corpus`), print a table; with `--salsa`, first build the suite against that salsa.
//! - `salsa-fuzz known-bugs [--time 600s]`: the known-bug benchmark (`salsa_fuzz::benchmark`).
//! - `salsa-fuzz salsa VERSION|PATH CARGO-ARGS...`: run any cargo command (tests, `run`, `cargo
//!   fuzz`) against another salsa; see `salsa_fuzz::matrix`.
//! - `salsa-fuzz corpus export DIR OUT [--target T]`: write every entry as the bytes fuzz
//!   target `T` reads (default `edit_script`), to seed libFuzzer.
//!
//! Usage errors and missing or corrupt files print one line and exit 2; nothing is written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use salsa_fuzz::benchmark::{self, BenchOptions};
use salsa_fuzz::campaign::{self, CampaignOptions, Summary, worker::WorkerConfig};
use salsa_fuzz::corpus::{self, Entry, Status};
use salsa_fuzz::exec::{self, ExecOptions, install_panic_hook};
use salsa_fuzz::fuzz::{SeededInputs, Target};
use salsa_fuzz::matrix;
use salsa_fuzz::minimize::{self, MinimizeOptions};
use salsa_fuzz::script::EditScript;

const USAGE: &str = "usage: salsa-fuzz run [--time 60s] [--jobs N] [--seed S] [--corpus DIR] \
                     [--max-threads T] [--findings DIR] [--seeds DIR]... [--sequential] [--until-known-bugs] [--json]\n       salsa-fuzz repro FILE [--any]\n       salsa-fuzz minimize FILE \
                     [-o DIR]\n       salsa-fuzz fmt FILE [--rust]\n       salsa-fuzz corpus check [DIR] [--salsa VERSION|PATH] | corpus export DIR OUT [--target T]\n       \
                     salsa-fuzz bench [--seconds N]\n       \
                     salsa-fuzz known-bugs [--time 600s] [--seed S] [--bug ID]... [--no-libfuzzer] [--out DIR] [--reuse] [--report FILE]\n       \
                     salsa-fuzz salsa VERSION|PATH CARGO-ARGS... (e.g. `salsa 0.27.0 test`)";

/// What went wrong, and so what to print: a usage error shows the usage; a bad input file is
/// one line naming it.
enum CliError {
    Usage(String),
    Input(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => parse_run(&args[1..]).map_err(CliError::Usage).and_then(run),
        Some("worker") => parse_worker(&args[1..])
            .map_err(CliError::Usage)
            .and_then(|config| {
                campaign::worker::run_worker(&config)
                    .map(|()| ExitCode::SUCCESS)
                    .map_err(|error| CliError::Input(format!("worker {}: {error}", config.index)))
            }),
        Some("bench") => parse_bench(&args[1..]).map(bench).map_err(CliError::Usage),
        Some("bench-mode") => parse_bench_mode(&args[1..])
            .map(bench_mode)
            .map_err(CliError::Usage),
        Some("repro") => match args.get(1..).unwrap_or_default() {
            [path, any] if any == "--any" => repro_any(Path::new(path)),
            rest => one_file(rest, "repro")
                .map_err(CliError::Usage)
                .and_then(|path| repro(&path)),
        },
        Some("minimize") => parse_minimize(&args[1..])
            .map_err(CliError::Usage)
            .and_then(|(path, out)| minimize(&path, &out)),
        Some("fmt") => parse_fmt(&args[1..])
            .map_err(CliError::Usage)
            .and_then(|(path, rust)| fmt(&path, rust)),
        Some("salsa") => salsa_command(&args[1..]),
        Some("known-bugs") => parse_known_bugs(&args[1..])
            .map_err(CliError::Usage)
            .and_then(known_bugs_benchmark),
        Some("corpus") => match args.get(1..).unwrap_or_default() {
            [check, rest @ ..] if check == "check" && rest.iter().any(|arg| arg == "--salsa") => {
                corpus_check_against(rest)
            }
            [check] if check == "check" => corpus_check(Path::new("corpus")),
            [check, dir] if check == "check" => corpus_check(Path::new(dir)),
            [export, dir, out] if export == "export" => {
                corpus_export(Path::new(dir), Path::new(out), "edit_script")
            }
            [export, dir, out, flag, target] if export == "export" && flag == "--target" => {
                corpus_export(Path::new(dir), Path::new(out), target)
            }
            _ => Err(CliError::Usage(
                "`corpus` takes `check [DIR] [--salsa VERSION|PATH]` or `export DIR OUT [--target T]`".to_owned(),
            )),
        },
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => Err(CliError::Usage(format!("unknown command `{other}`"))),
        None => Err(CliError::Usage("no command given".to_owned())),
    };
    result.unwrap_or_else(|error| {
        match error {
            CliError::Usage(message) => eprintln!("salsa-fuzz: {message}\n{USAGE}"),
            CliError::Input(message) => eprintln!("salsa-fuzz: {message}"),
        }
        ExitCode::from(2)
    })
}

struct RunArgs {
    campaign: CampaignOptions,
    json: bool,
}

fn parse_run(args: &[String]) -> Result<RunArgs, String> {
    let jobs = std::thread::available_parallelism().map_or(1, usize::from);
    let mut parsed = RunArgs {
        campaign: CampaignOptions {
            time: Duration::from_secs(60),
            jobs,
            seed: 0,
            corpus: PathBuf::from("corpus/working"),
            start_corpus: vec![
                PathBuf::from("corpus/seeds"),
                PathBuf::from("corpus/regressions"),
            ],
            findings: PathBuf::from("corpus/findings"),
            max_threads: 4,
            sequential: false,
            hang_limit: Duration::from_secs(20),
            until_known: false,
        },
        json: false,
    };
    let mut seeds_given = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let campaign = &mut parsed.campaign;
        match arg.as_str() {
            "--time" => campaign.time = parse_duration(value(&mut args, "--time")?)?,
            "--seed" => campaign.seed = parse_number(value(&mut args, "--seed")?, "--seed")?,
            "--jobs" => {
                campaign.jobs =
                    parse_number(value(&mut args, "--jobs")?, "--jobs")?.clamp(1, 64) as usize;
            }
            "--corpus" => campaign.corpus = PathBuf::from(value(&mut args, "--corpus")?),
            "--findings" => campaign.findings = PathBuf::from(value(&mut args, "--findings")?),
            "--max-threads" => {
                campaign.max_threads =
                    parse_number(value(&mut args, "--max-threads")?, "--max-threads")?.clamp(1, 4)
                        as u8;
            }
            "--hang-limit" => {
                campaign.hang_limit = parse_duration(value(&mut args, "--hang-limit")?)?
            }
            "--sequential" => campaign.sequential = true,
            "--json" => parsed.json = true,
            "--until-known-bugs" => campaign.until_known = true,
            "--seeds" => {
                if !seeds_given {
                    campaign.start_corpus.clear();
                    seeds_given = true;
                }
                campaign
                    .start_corpus
                    .push(PathBuf::from(value(&mut args, "--seeds")?));
            }
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

fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    let options = &args.campaign;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // Workers share the terminal's process group and stop on Ctrl-C by themselves.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let mode = if options.sequential {
        "batches inline"
    } else {
        "background threads"
    };
    eprintln!(
        "salsa-fuzz run: {} workers, seed {}, {mode}, for {:?}; working corpus {}, findings {}",
        options.jobs,
        options.seed,
        options.time,
        options.corpus.display(),
        options.findings.display()
    );
    let summary = campaign::run_campaign(options, &stop, |summary| {
        let seconds = summary.elapsed.as_secs_f64().max(0.001);
        eprintln!(
            "[{seconds:>5.0}s] runs {:>9}  runs/s {:>6.0}  findings {}  unique {}  corpus {:>5}  cancelled {:>8}  checked {:>10}",
            summary.runs,
            summary.runs as f64 / seconds,
            summary.findings.iter().map(|finding| finding.count).sum::<usize>(),
            summary.findings.len(),
            summary.corpus,
            summary.cancelled,
            summary.checked,
        );
    })
    .map_err(|error| CliError::Input(format!("the campaign failed: {error}")))?;
    if args.json {
        println!("{}", summary.to_json());
    } else {
        print_summary(&summary, options);
    }
    Ok(ExitCode::from(if summary.findings.is_empty() {
        0
    } else {
        1
    }))
}

fn print_summary(summary: &Summary, options: &CampaignOptions) {
    let seconds = summary.elapsed.as_secs_f64().max(0.001);
    let rate = summary.runs as f64 / seconds;
    let mb = |kib: u64| kib / 1024;
    println!("campaign summary");
    println!("  elapsed             {seconds:.0} s");
    println!(
        "  workers             {} ({} restarted)",
        summary.jobs, summary.restarts
    );
    println!(
        "  runs                {} ({rate:.0} runs/s, {:.0} per worker)",
        summary.runs,
        rate / summary.jobs as f64
    );
    println!("  batches cancelled   {}", summary.cancelled);
    println!("  answers checked     {}", summary.checked);
    println!(
        "  working corpus      {} inputs in {}",
        summary.corpus,
        options.corpus.display()
    );
    println!(
        "  worker 0 RSS        {} MB at its first report, {} MB at the end",
        mb(summary.worker_rss_kib.0),
        mb(summary.worker_rss_kib.1)
    );
    println!("  findings            {} unique", summary.findings.len());
    for finding in &summary.findings {
        let entry = finding
            .entry
            .as_ref()
            .map_or("(not minimized)".to_owned(), |path| {
                path.display().to_string()
            });
        println!(
            "    {}x  {}\n        -> {entry}",
            finding.count, finding.signature
        );
    }
}

fn parse_worker(args: &[String]) -> Result<WorkerConfig, String> {
    let mut config = WorkerConfig {
        index: 0,
        seed: 0,
        sequential: false,
        max_threads: 4,
        start_corpus: Vec::new(),
        working_corpus: PathBuf::from("corpus/working"),
        work_dir: PathBuf::from("corpus/working/.work/worker-0"),
        hang_limit: Duration::from_secs(20),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--index" => {
                config.index = parse_number(value(&mut args, "--index")?, "--index")? as usize
            }
            "--seed" => config.seed = parse_number(value(&mut args, "--seed")?, "--seed")?,
            "--max-threads" => {
                config.max_threads =
                    parse_number(value(&mut args, "--max-threads")?, "--max-threads")?.clamp(1, 4)
                        as u8
            }
            "--hang-limit-ms" => {
                config.hang_limit = Duration::from_millis(parse_number(
                    value(&mut args, "--hang-limit-ms")?,
                    "--hang-limit-ms",
                )?)
            }
            "--corpus" => config.working_corpus = PathBuf::from(value(&mut args, "--corpus")?),
            "--work" => config.work_dir = PathBuf::from(value(&mut args, "--work")?),
            "--start" => config
                .start_corpus
                .push(PathBuf::from(value(&mut args, "--start")?)),
            "--sequential" => config.sequential = true,
            other => return Err(format!("unknown flag `{other}` for `worker`")),
        }
    }
    Ok(config)
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
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Attempts for a finding that only reproduces with threads.
const REPRO_ATTEMPTS: u32 = 10;

fn one_file(args: &[String], command: &str) -> Result<PathBuf, String> {
    match args {
        [path] => Ok(PathBuf::from(path)),
        _ => Err(format!("`{command}` takes one FILE")),
    }
}

fn parse_minimize(args: &[String]) -> Result<(PathBuf, PathBuf), String> {
    match args {
        [path] => Ok((PathBuf::from(path), PathBuf::from("corpus/findings"))),
        [path, flag, dir] if flag == "-o" => Ok((PathBuf::from(path), PathBuf::from(dir))),
        _ => Err("`minimize` takes FILE [-o DIR]".to_owned()),
    }
}

fn parse_fmt(args: &[String]) -> Result<(PathBuf, bool), String> {
    match args {
        [path] => Ok((PathBuf::from(path), false)),
        [path, flag] if flag == "--rust" => Ok((PathBuf::from(path), true)),
        _ => Err("`fmt` takes FILE [--rust]".to_owned()),
    }
}

/// Reads a corpus entry, or a libFuzzer artifact (any other bytes) as an untriaged entry.
fn load(path: &Path) -> Result<Entry, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|error| CliError::Input(format!("cannot read {}: {error}", path.display())))?;
    // A `.sfz` file, or text that starts like one, is an entry (a damaged one is an error, not
    // fuzzer bytes); anything else is a libFuzzer artifact.
    let looks_like_entry = path.extension().is_some_and(|ext| ext == "sfz")
        || Entry::is_entry(&bytes)
        || bytes.starts_with(b"# salsa-fuzz");
    if looks_like_entry {
        let text = String::from_utf8(bytes).map_err(|_| {
            CliError::Input(format!("{}: corrupt entry: not UTF-8", path.display()))
        })?;
        return Entry::parse(&text).map_err(|error| {
            CliError::Input(format!("{}: corrupt entry: {error}", path.display()))
        });
    }
    let script = salsa_fuzz::script::EditScript::from_bytes(&bytes);
    Ok(Entry::new(script, Status::New, String::new()))
}

/// The entry's signature: its own, or, for an artifact, whatever running it finds first (with
/// threads, then inline); also says whether it showed inline.
fn find_signature(entry: &Entry) -> Option<(String, bool)> {
    if !entry.signature.is_empty() {
        return Some((entry.signature.clone(), entry.sequential));
    }
    for _ in 0..REPRO_ATTEMPTS {
        if let Some(signature) = minimize::signature_of(&entry.script, false) {
            return Some((signature, false));
        }
    }
    minimize::signature_of(&entry.script, true).map(|signature| (signature, true))
}

/// `repro FILE --any`: runs the script (threads, then inline) whatever its recorded signature,
/// and prints `observed: SIGNATURE` or `observed: none`; exit 1 if something was found. The
/// known-bug benchmark asks a fix release this about a finding of the buggy one.
fn repro_any(path: &Path) -> Result<ExitCode, CliError> {
    install_panic_hook();
    let entry = Entry {
        signature: String::new(),
        ..load(path)?
    };
    match find_signature(&entry) {
        Some((signature, _)) => {
            println!("observed: {signature}");
            Ok(ExitCode::from(1))
        }
        None => {
            println!("observed: none");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn repro(path: &Path) -> Result<ExitCode, CliError> {
    install_panic_hook();
    let entry = load(path)?;
    println!("script of {}:", path.display());
    print!("{}", corpus::script_to_text(&entry.script));
    let Some((signature, sequential)) = find_signature(&entry) else {
        println!("no finding (threads x{REPRO_ATTEMPTS}, then inline)");
        let inline = ExecOptions {
            sequential: true,
            ..ExecOptions::default()
        };
        let stats = exec::execute(&entry.script, &inline).stats;
        println!(
            "inline run: {} steps, {} skipped, {} comparisons, {} faults fired",
            stats.steps_by_kind.iter().sum::<usize>(),
            stats.steps_skipped,
            stats.comparisons,
            stats.faults_fired
        );
        return Ok(ExitCode::SUCCESS);
    };
    let entry = Entry {
        signature: signature.clone(),
        sequential,
        ..entry
    };
    let replay = entry.replay(REPRO_ATTEMPTS);
    let mode = if sequential { "inline" } else { "threads" };
    if replay.hits == 0 {
        println!(
            "did not reproduce in {} runs ({mode}); expected: {signature}",
            replay.attempts
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "reproduced ({mode}, run {} of at most {}):",
        replay.attempts,
        if sequential { 1 } else { REPRO_ATTEMPTS }
    );
    let options = ExecOptions {
        sequential,
        ..ExecOptions::default()
    };
    for _ in 0..REPRO_ATTEMPTS {
        if let Some(finding) = exec::execute(&entry.script, &options)
            .findings
            .into_iter()
            .next()
        {
            print!("{finding}");
            break;
        }
    }
    Ok(ExitCode::from(1))
}

fn minimize(path: &Path, out: &Path) -> Result<ExitCode, CliError> {
    install_panic_hook();
    let entry = load(path)?;
    let Some((signature, _)) = find_signature(&entry) else {
        println!("{} shows no finding: nothing to minimize", path.display());
        return Ok(ExitCode::from(1));
    };
    println!("signature: {signature}");
    let before = (
        entry.script.steps.len(),
        minimize::python_bytes(&entry.script),
    );
    let Some(minimized) =
        minimize::minimize(&entry.script, &signature, &MinimizeOptions::default())
    else {
        println!(
            "{} does not reproduce reliably enough to minimize",
            path.display()
        );
        return Ok(ExitCode::from(1));
    };
    let mut result = Entry::new(minimized.script, Status::New, signature.clone());
    result.sequential = minimized.sequential;
    result.rate = minimized.rate;
    let name = format!("{}.sfz", slug(&signature));
    let target = out.join(name);
    result
        .write(&target)
        .map_err(|error| CliError::Input(error.to_string()))?;
    let after = (
        result.script.steps.len(),
        minimize::python_bytes(&result.script),
    );
    println!(
        "minimized in {} runs: {} steps, {} bytes of Python -> {} steps, {} bytes of Python; reproduces {}/{} ({})",
        minimized.checks,
        before.0,
        before.1,
        after.0,
        after.1,
        result.rate.0,
        result.rate.1,
        if result.sequential {
            "inline"
        } else {
            "threads"
        }
    );
    println!("wrote {}", target.display());
    Ok(ExitCode::SUCCESS)
}

/// `text` in lowercase ASCII letters and digits, every other character replaced by `separator`.
fn name_chars(text: &str, separator: char) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                separator
            }
        })
        .collect()
}

/// A file name for a signature: its words, then a hash so different signatures never collide.
fn slug(signature: &str) -> String {
    let words: String = name_chars(signature, '-')
        .split('-')
        .filter(|word| !word.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    let hash = corpus::content_hash(signature.as_bytes());
    format!("{words}-{:08x}", hash as u32)
}

fn fmt(path: &Path, rust: bool) -> Result<ExitCode, CliError> {
    let entry = load(path)?;
    if rust {
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = name_chars(&stem, '_');
        let name = format!("replays_{}", name.trim_matches('_'));
        print!("{}", salsa_fuzz::reproducer::rust_test(&entry, &name));
    } else {
        print!("{}", entry.to_text());
    }
    Ok(ExitCode::SUCCESS)
}

fn corpus_check(dir: &Path) -> Result<ExitCode, CliError> {
    install_panic_hook();
    let paths = corpus::entries_under(dir).map_err(|error| CliError::Input(error.to_string()))?;
    let width = paths
        .iter()
        .map(|path| path.display().to_string().len())
        .max()
        .unwrap_or(5);
    println!("replayed against salsa {}", corpus::SALSA_VERSION);
    println!(
        "{:<width$} {:<10} {:<31} verdict",
        "entry", "status", "expected"
    );
    let (mut failed, mut corrupt) = (0, 0);
    for path in &paths {
        let shown = path.display().to_string();
        match Entry::read(path) {
            Err(error) => {
                corrupt += 1;
                println!("{shown:<width$} {:<10} {:<31} CORRUPT: {error}", "?", "?");
            }
            Ok(entry) => {
                let replay = entry.replay(REPRO_ATTEMPTS);
                let status = entry.status.as_str();
                match entry.judge(&replay) {
                    Ok(()) => println!(
                        "{shown:<width$} {status:<10} {:<31} ok ({}/{} runs showed it)",
                        entry.expectation(),
                        replay.hits,
                        replay.attempts
                    ),
                    Err(why) => {
                        failed += 1;
                        println!(
                            "{shown:<width$} {status:<10} {:<31} FAIL: {why}",
                            entry.expectation()
                        );
                    }
                }
            }
        }
    }
    println!(
        "{} entries: {} ok, {failed} failed, {corrupt} corrupt",
        paths.len(),
        paths.len() - failed - corrupt
    );
    Ok(ExitCode::from(if corrupt > 0 {
        2
    } else if failed > 0 {
        1
    } else {
        0
    }))
}

fn parse_known_bugs(args: &[String]) -> Result<(BenchOptions, Option<PathBuf>), String> {
    let mut options = BenchOptions {
        time: Duration::from_secs(600),
        seed: 1,
        bugs: Vec::new(),
        libfuzzer: true,
        out: PathBuf::from("target/known-bugs"),
        reuse: false,
    };
    let mut report = None;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--time" => options.time = parse_duration(value(&mut args, "--time")?)?,
            "--seed" => options.seed = parse_number(value(&mut args, "--seed")?, "--seed")?,
            "--bug" => options.bugs.push(value(&mut args, "--bug")?.to_owned()),
            "--no-libfuzzer" => options.libfuzzer = false,
            "--reuse" => options.reuse = true,
            "--out" => options.out = PathBuf::from(value(&mut args, "--out")?),
            "--report" => report = Some(PathBuf::from(value(&mut args, "--report")?)),
            other => return Err(format!("unknown flag `{other}` for `known-bugs`")),
        }
    }
    for id in &options.bugs {
        if !salsa_fuzz::known_bugs::KNOWN_BUGS
            .iter()
            .any(|bug| bug.id == id && bug.fixed_in.is_some())
        {
            return Err(format!("`{id}` is not a known fixed bug (e.g. salsa#1099)"));
        }
    }
    Ok((options, report))
}

/// `salsa-fuzz known-bugs`: see `salsa_fuzz::benchmark`.
fn known_bugs_benchmark(
    (options, report): (BenchOptions, Option<PathBuf>),
) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let table = benchmark::run(&options, &mut |line| eprintln!("known-bugs: {line}"))
        .map_err(CliError::Input)?;
    let stamp = if options.reuse {
        format!(
            "Judged {} from the runs kept in {} (salsa-fuzz known-bugs --reuse), {} s.\n\n",
            corpus::today(),
            options.out.display(),
            started.elapsed().as_secs()
        )
    } else {
        format!(
            "Measured {} (salsa-fuzz known-bugs --time {}s --seed {}), {} s in all.\n\n",
            corpus::today(),
            options.time.as_secs(),
            options.seed,
            started.elapsed().as_secs()
        )
    };
    let text = format!("{stamp}{table}");
    print!("{text}");
    if let Some(path) = report {
        corpus::write_atomically(&path, text.as_bytes())
            .map_err(|error| CliError::Input(format!("{}: {error}", path.display())))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `salsa-fuzz salsa SPEC CARGO-ARGS...`: runs cargo against another salsa (see
/// `salsa_fuzz::matrix`), with cargo's exit status.
fn salsa_command(args: &[String]) -> Result<ExitCode, CliError> {
    let [spec, cargo_args @ ..] = args else {
        return Err(CliError::Usage(
            "`salsa` takes VERSION|PATH and a cargo command line".to_owned(),
        ));
    };
    let spec = matrix::SalsaSpec::parse(spec).map_err(CliError::Usage)?;
    if let Some(warning) = spec.warning() {
        eprintln!("salsa-fuzz: {warning}");
    }
    let root = matrix::checkout_root().map_err(CliError::Input)?;
    let generated = matrix::generate(&root, &spec).map_err(CliError::Input)?;
    let mut command = matrix::cargo_command(&generated, cargo_args).map_err(CliError::Usage)?;
    eprintln!(
        "salsa-fuzz: salsa {} via {}",
        spec.key(),
        generated.manifest().display()
    );
    let status = command
        .status()
        .map_err(|error| CliError::Input(format!("could not run cargo: {error}")))?;
    Ok(exit_code_of(status))
}

fn exit_code_of(status: std::process::ExitStatus) -> ExitCode {
    ExitCode::from(
        status
            .code()
            .map_or(2, |code| u8::try_from(code).unwrap_or(2)),
    )
}

/// `corpus check [DIR] --salsa SPEC`: builds this suite against that salsa and replays the
/// corpus there, so an upgrade's fixes and regressions show as verdicts.
fn corpus_check_against(args: &[String]) -> Result<ExitCode, CliError> {
    let mut spec = None;
    let mut dir = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--salsa" {
            spec = Some(value(&mut args, "--salsa").map_err(CliError::Usage)?);
        } else if dir.is_none() && !arg.starts_with('-') {
            dir = Some(arg.clone());
        } else {
            return Err(CliError::Usage(format!(
                "unexpected `{arg}` for `corpus check`"
            )));
        }
    }
    let spec = matrix::SalsaSpec::parse(spec.unwrap_or_default()).map_err(CliError::Usage)?;
    let dir = PathBuf::from(dir.unwrap_or_else(|| "corpus".to_owned()));
    // Fail on a missing directory before spending minutes on a build.
    corpus::entries_under(&dir).map_err(|error| CliError::Input(error.to_string()))?;
    let root = matrix::checkout_root().map_err(CliError::Input)?;
    eprintln!("salsa-fuzz: building against salsa {} ...", spec.key());
    let binary = matrix::build_release_binary(&root, &spec).map_err(CliError::Input)?;
    let status = std::process::Command::new(binary)
        .args(["corpus", "check"])
        .arg(&dir)
        .status()
        .map_err(|error| CliError::Input(format!("could not run the built suite: {error}")))?;
    Ok(exit_code_of(status))
}

/// Writes each entry under `dir` as input bytes for fuzz target `target`: the script's bytes
/// for the edit-script targets, each distinct initial file text for `scopes_differential`.
/// Every entry is read before anything is written; `known-open` and untriaged entries are left
/// out (a seed must not crash). Files are named after the entry's path under `dir`.
fn corpus_export(dir: &Path, out: &Path, target: &str) -> Result<ExitCode, CliError> {
    let texts_only = match Target::named(target) {
        Some(Target::ScopesDifferential) => true,
        Some(Target::EditScript | Target::EditScriptSequential) => false,
        None => return Err(CliError::Usage(format!("unknown fuzz target `{target}`"))),
    };
    let paths = corpus::entries_under(dir).map_err(|error| CliError::Input(error.to_string()))?;
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for path in &paths {
        let entry = Entry::read(path)
            .map_err(|error| CliError::Input(format!("{}: {error}", path.display())))?;
        if matches!(entry.status, Status::KnownOpen | Status::New) {
            continue;
        }
        let relative = path.strip_prefix(dir).unwrap_or(path).with_extension("");
        let stem = relative.to_string_lossy().replace(['/', '\\'], "-");
        if texts_only {
            let mut texts: Vec<String> = entry
                .script
                .initial
                .iter()
                .map(|(_, text)| text.render())
                .collect();
            texts.sort();
            texts.dedup();
            for (index, text) in texts.into_iter().enumerate() {
                inputs.push((format!("{stem}-{index}"), text.into_bytes()));
            }
        } else {
            inputs.push((stem, entry.script.to_bytes()));
        }
    }
    for (name, bytes) in &inputs {
        corpus::write_atomically(&out.join(name), bytes)
            .map_err(|error| CliError::Input(error.to_string()))?;
    }
    println!(
        "wrote {} inputs for {target} from {} entries to {}",
        inputs.len(),
        paths.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
