//! The `salsa-fuzz` command line: parsing (clap) and dispatch to the library, nothing else.
//!
//! Usage errors are one line on stderr and exit status 2; so are missing or corrupt files and
//! I/O errors, and nothing is written. `salsa-fuzz --help` and `salsa-fuzz CMD --help` describe
//! every command and flag.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

use salsa_fuzz::bench::{self, Mode};
use salsa_fuzz::benchmark::{self, BenchOptions};
use salsa_fuzz::campaign::{self, worker::WorkerConfig};
use salsa_fuzz::fuzz::Target;
use salsa_fuzz::mutants::{self, MutantsOptions, Shard};
use salsa_fuzz::triage::{self, MinimizeOutcome};
use salsa_fuzz::{known_bugs, matrix};

/// A callgrind profile of `bench-mode sequential+oracle` spent 32% of its instructions in
/// glibc's malloc and free (a fresh database per script allocates and frees a lot).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A fuzzing suite for salsa: edit scripts against a ty-shaped database, every answer checked
/// against a from-scratch model.
#[derive(Debug, Parser)]
#[command(name = "salsa-fuzz", version, propagate_version = true)]
#[command(
    after_help = "Examples:\n  salsa-fuzz run --time 60s\n  salsa-fuzz repro corpus/regressions/0002-fixpoint-star-import-cycle-stale-export-after-edit.sfz\n  salsa-fuzz salsa 0.27.0 test"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Whose thread interleavings: the operating system's, or shuttle's (exact and seeded by
    /// the input; builds this salsa patched for shuttle under target/salsa-matrix/ on first
    /// use and runs the command there).
    #[arg(long, global = true, value_enum, value_name = "KIND")]
    schedule: Option<ScheduleKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ScheduleKind {
    /// OS threads (the default of a normal build).
    Os,
    /// Shuttle's scheduler (the only kind of a shuttle build).
    Shuttle,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a fuzzing campaign of worker processes (stable Rust), with progress on stderr.
    #[command(
        after_help = "Examples:\n  salsa-fuzz run --time 60s\n  salsa-fuzz run --time 10m --jobs 1 --seed 7 --json > summary.json\n\nExit status: 0 without a new bug (a known-open one alone does not count), 1 with one, 2 on usage or I/O errors (the summary is still printed)."
    )]
    Run(RunArgs),
    /// Print an entry's or libFuzzer artifact's script, run it, and print its finding.
    #[command(
        after_help = "Examples:\n  salsa-fuzz repro corpus/findings/some-finding.sfz\n  salsa-fuzz repro --any fuzz/artifacts/edit_script/crash-0123\n\nExit status: 1 if it reproduces, 0 if not, 2 if the file cannot be read."
    )]
    Repro {
        /// A corpus entry (`.sfz`) or a libFuzzer artifact.
        file: PathBuf,
        /// Ignore the recorded signature: print `observed: SIGNATURE` (or `none`) of whatever
        /// the script shows.
        #[arg(long)]
        any: bool,
    },
    /// Minimize a finding into a new corpus entry.
    #[command(
        after_help = "Example:\n  salsa-fuzz minimize crash-0123 -o corpus/findings\n\nAn existing entry is never replaced: the same finding minimized twice is reported as already there."
    )]
    Minimize {
        /// A corpus entry (`.sfz`) or a libFuzzer artifact.
        file: PathBuf,
        /// Where to write the entry.
        #[arg(short, long, value_name = "DIR", default_value = "corpus/findings")]
        out: PathBuf,
    },
    /// Print an entry's script, or a Rust `#[test]` that replays it.
    #[command(
        after_help = "Examples:\n  salsa-fuzz fmt corpus/seeds/original-report-def-delete-retype.sfz\n  salsa-fuzz fmt --rust corpus/regressions/0001-canary-scope-recreated-with-background-query.sfz"
    )]
    Fmt {
        /// A corpus entry (`.sfz`) or a libFuzzer artifact.
        file: PathBuf,
        /// Print a self-contained Rust `#[test]` instead.
        #[arg(long)]
        rust: bool,
    },
    /// Replay or export a corpus.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Scripts, steps and answers checked per second per mode of the library loop, beside a reference build
    #[command(
        after_help = "Examples:\n  salsa-fuzz bench --seconds 10\n  salsa-fuzz bench --reference ../old/target/release/salsa-fuzz --modes threads+oracle,sequential+oracle --callgrind 200\n\nModes: threads+oracle, threads+step-oracle, threads, sequential+oracle, sequential+step-oracle, sequential."
    )]
    Bench(BenchArgs),
    /// The known-bug benchmark: each fixed salsa bug on its last buggy and its fix release.
    #[command(
        after_help = "Examples:\n  salsa-fuzz known-bugs --time 120s --bug salsa#1238 --no-libfuzzer\n  salsa-fuzz known-bugs --reuse --report bench.md"
    )]
    KnownBugs(KnownBugsArgs),
    /// Which of salsa's lines a campaign (or a corpus) reaches, beside salsa's own tests: an
    /// HTML report per side and a per-file table.
    #[command(
        after_help = "Examples:\n  salsa-fuzz coverage --time 600s\n  salsa-fuzz coverage --corpus fuzz/corpus/edit_script --no-salsa-tests\n\nBuilds with -C instrument-coverage under OUT/build and installs rustup's llvm-tools if missing.\nWrites OUT/coverage.md, OUT/html/suite/index.html and OUT/html/salsa-tests/index.html."
    )]
    Coverage(CoverageArgs),
    /// The salsa mutation score: which mutants of salsa's core the suite kills, next to
    /// salsa's own tests.
    #[command(
        after_help = "Examples:\n  salsa-fuzz mutants --sample 100 --seed 1\n  salsa-fuzz mutants --file 'src/function/**' --shard 0/4\n  salsa-fuzz mutants --mutant 'VerifyResult::is_unchanged -> bool with true' --time 10s\n  salsa-fuzz mutants --sample 100 --seed 1 --report-only --report mutants.md\n\nEach mutant's result is kept under target/mutants/results/: run the same command again to go on where a run stopped.\nA finding kills a mutant only if unmutated salsa does not show it too; salsa's tests that fail unmutated are left out.\nExit status: 0 with a report, 2 on usage or setup errors."
    )]
    Mutants(MutantsArgs),
    /// Run any cargo command against another salsa release or a local checkout.
    #[command(
        after_help = "Examples:\n  salsa-fuzz salsa 0.27.0 test\n  salsa-fuzz salsa ../salsa -- run --release -- run --time 60s\n  salsa-fuzz salsa 0.28.1 +nightly fuzz run edit_script -- -timeout=20\n\nExit status: cargo's."
    )]
    Salsa {
        /// A salsa release (`0.27.0`) or the path of a salsa checkout.
        #[arg(value_name = "VERSION|PATH")]
        spec: String,
        /// The cargo command line, without `cargo`.
        #[arg(
            value_name = "CARGO-ARGS",
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        cargo_args: Vec<String>,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  salsa-fuzz completions bash > ~/.local/share/bash-completion/completions/salsa-fuzz"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// A campaign's worker process (internal).
    #[command(hide = true)]
    Worker(WorkerArgs),
    /// One benchmark mode in this process (internal).
    #[command(hide = true)]
    BenchMode {
        /// The mode's name.
        mode: String,
        /// Run for this many seconds.
        #[arg(long, conflicts_with = "scripts")]
        seconds: Option<f64>,
        /// Run the first this many seeded scripts.
        #[arg(long)]
        scripts: Option<u64>,
    },
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Measurements per mode and build; the table shows medians.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100))]
    rounds: u64,
    /// Modes to measure, comma-separated [default: all].
    #[arg(long, value_delimiter = ',')]
    modes: Vec<String>,
    /// Another salsa-fuzz binary (with this benchmark) to run alternately with this one.
    #[arg(long, value_name = "BINARY")]
    reference: Option<PathBuf>,
    /// Also count instructions per executed step under valgrind over this many seeded scripts.
    #[arg(long, value_name = "SCRIPTS", value_parser = clap::value_parser!(u64).range(1..))]
    callgrind: Option<u64>,
    /// Also run the libFuzzer targets, if built.
    #[arg(long)]
    libfuzzer: bool,
}

#[derive(Debug, Subcommand)]
enum CorpusCommand {
    /// Replay every entry and check it shows what its status requires.
    #[command(
        after_help = "Examples:\n  salsa-fuzz corpus check\n  salsa-fuzz corpus check corpus/regressions --salsa 0.27.0\n  salsa-fuzz corpus check corpus/regressions/0002-fixpoint-star-import-cycle-stale-export-after-edit.sfz\n\nExit status: 0 all ok, 1 an entry failed, 2 a corrupt entry or no entries."
    )]
    Check {
        /// The corpus directory, or one entry.
        #[arg(default_value = "corpus")]
        dir: PathBuf,
        /// First build the suite against this salsa (a release or a checkout's path).
        #[arg(long, value_name = "VERSION|PATH")]
        salsa: Option<String>,
    },
    /// Write every entry as the bytes a fuzz target reads, to seed libFuzzer.
    #[command(after_help = "Example:\n  salsa-fuzz corpus export corpus fuzz/corpus/edit_script")]
    Export {
        /// The corpus directory.
        dir: PathBuf,
        /// Where to write the inputs.
        out: PathBuf,
        /// The fuzz target the inputs are for.
        #[arg(long, default_value = "edit_script", value_parser = target_name)]
        target: Target,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// How long to run (`90`, `90s`, `5m`, `1h`).
    #[arg(long, default_value = "60s", value_parser = positive_duration)]
    time: Duration,
    /// Worker processes [default: the number of cores].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: Option<u16>,
    /// Seed of the first worker.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The working corpus (kept between runs, outside git).
    #[arg(long, value_name = "DIR", default_value = "corpus/working")]
    corpus: PathBuf,
    /// Where minimized findings and crash inputs are written.
    #[arg(long, value_name = "DIR", default_value = "corpus/findings")]
    findings: PathBuf,
    /// A directory of entries that starts the corpus (repeatable; replaces the default
    /// `corpus/seeds` and `corpus/regressions`, whose known-open entries still name the bugs
    /// already known).
    #[arg(long, value_name = "DIR")]
    seeds: Vec<PathBuf>,
    /// Cap on a script's background threads.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=4))]
    max_threads: u8,
    /// Run background batches inline (deterministic).
    #[arg(long)]
    sequential: bool,
    /// Stop once every known bug of the salsa under test has a finding only it explains.
    #[arg(long)]
    until_known_bugs: bool,
    /// The watchdog's bound on one step; a step that takes longer is a hang.
    #[arg(long, default_value = "20s", value_parser = positive_duration)]
    hang_limit: Duration,
    /// Print the summary as one JSON object on stdout (schema in the README).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct KnownBugsArgs {
    /// Each run's bound.
    #[arg(long, default_value = "600s", value_parser = positive_duration)]
    time: Duration,
    /// The campaign seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Only this bug (repeatable), e.g. `salsa#1099`.
    #[arg(long = "bug", value_name = "ID", value_parser = known_fixed_bug)]
    bugs: Vec<String>,
    /// Do not run libFuzzer beside the stable runner.
    #[arg(long, conflicts_with = "no_runner")]
    no_libfuzzer: bool,
    /// Run only libFuzzer, on each bug's last buggy release, and judge its crashes on the fix
    /// releases (built, not fuzzed): the libFuzzer column alone.
    #[arg(long)]
    no_runner: bool,
    /// Where runs keep their corpora, findings and logs.
    #[arg(long, value_name = "DIR", default_value = "target/known-bugs")]
    out: PathBuf,
    /// Re-judge the runs kept under `--out` instead of running them again.
    #[arg(long)]
    reuse: bool,
    /// Also run the stable runner under shuttle (exact interleavings) on each buggy release
    /// patched for shuttle, judged on its fix release patched likewise: a column for the
    /// threaded bugs.
    #[arg(long)]
    shuttle: bool,
    /// Also write the report to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CoverageArgs {
    /// The campaign's length.
    #[arg(long, default_value = "600s", value_parser = positive_duration)]
    time: Duration,
    /// The campaign's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replay every file under this directory (entries or libFuzzer inputs) instead of
    /// running a campaign.
    #[arg(long, value_name = "DIR", conflicts_with = "time")]
    corpus: Option<PathBuf>,
    /// Measure only the suite, not salsa's own tests.
    #[arg(long)]
    no_salsa_tests: bool,
    /// Where the builds, profiles and reports go.
    #[arg(long, value_name = "DIR", default_value = "target/coverage")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct MutantsArgs {
    /// Mutate only salsa files matching this cargo-mutants glob (repeatable; one with a slash
    /// matches the whole path) [default: salsa's core: src/function/**, src/tracked_struct*,
    /// src/input*, src/interned.rs, src/cycle.rs, src/durability.rs, src/accumulator*,
    /// src/table/**, src/zalsa_local.rs, src/runtime.rs].
    #[arg(long = "file", value_name = "GLOB")]
    files: Vec<String>,
    /// Only mutants whose cargo-mutants name contains this (repeatable).
    #[arg(long = "mutant", value_name = "SUBSTRING")]
    mutants: Vec<String>,
    /// A seeded sample of this many mutants, spread across the files.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    sample: Option<u64>,
    /// The sample's and the campaigns' seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Only this shard of the selected mutants, `K/N` with K counted from 0 (cargo-mutants'
    /// convention).
    #[arg(long, value_name = "K/N", value_parser = shard)]
    shard: Option<Shard>,
    /// Each campaign's bound; a mutant gets two (threads, then --sequential).
    #[arg(long, default_value = "30s", value_parser = positive_duration)]
    time: Duration,
    /// The bound on salsa's own tests per mutant, build included.
    #[arg(long, default_value = "10m", value_parser = positive_duration)]
    test_timeout: Duration,
    /// Also write the report to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Report the results already kept, running nothing.
    #[arg(long)]
    report_only: bool,
    /// Measure the selected mutants again even where a result is kept, replacing it.
    #[arg(long, conflicts_with = "report_only")]
    rerun: bool,
    /// Print the selected mutants' names, running nothing.
    #[arg(long, conflicts_with = "report_only")]
    list: bool,
}

#[derive(Debug, Args)]
struct WorkerArgs {
    #[arg(long)]
    index: usize,
    #[arg(long)]
    seed: u64,
    #[arg(long, default_value_t = 4)]
    max_threads: u8,
    #[arg(long, default_value_t = 20_000)]
    hang_limit_ms: u64,
    #[arg(long)]
    corpus: PathBuf,
    #[arg(long)]
    work: PathBuf,
    #[arg(long)]
    start: Vec<PathBuf>,
    #[arg(long)]
    sequential: bool,
}

/// `90`, `90s`, `5m`, `1h`; zero is refused.
fn positive_duration(text: &str) -> Result<Duration, String> {
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
    if seconds == 0 {
        return Err("the duration must be at least 1s".to_owned());
    }
    Ok(Duration::from_secs(seconds))
}

fn target_name(name: &str) -> Result<Target, String> {
    Target::named(name).ok_or_else(|| {
        let names: Vec<&str> = Target::ALL.iter().map(|(_, name)| *name).collect();
        format!("unknown fuzz target `{name}` (one of {})", names.join(", "))
    })
}

fn shard(text: &str) -> Result<Shard, String> {
    text.parse()
}

fn known_fixed_bug(id: &str) -> Result<String, String> {
    if known_bugs::KNOWN_BUGS
        .iter()
        .any(|bug| bug.id == id && bug.fixed_in.is_some())
    {
        Ok(id.to_owned())
    } else {
        Err(format!("`{id}` is not a known fixed bug (e.g. salsa#1099)"))
    }
}

/// One line on stderr, exit status 2.
fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("salsa-fuzz: {message}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    match (cli.schedule, cfg!(feature = "shuttle")) {
        (Some(ScheduleKind::Shuttle), false) => return rerun_under_shuttle(),
        (Some(ScheduleKind::Os), true) => {
            return fail(
                "this is a shuttle build (salsa's shim is shuttle's): every script runs under \
                 shuttle; use the normal build for OS threads",
            );
        }
        _ => {}
    }
    match cli.command {
        Command::Run(args) => run(args),
        Command::Worker(args) => worker(args),
        Command::Repro { file, any } => repro(&file, any),
        Command::Minimize { file, out } => minimize(&file, &out),
        Command::Fmt { file, rust } => match triage::format_entry(&file, rust) {
            Ok(text) => print_out(&text),
            Err(error) => fail(error),
        },
        Command::Corpus(CorpusCommand::Check { dir, salsa: None }) => corpus_check(&dir),
        Command::Corpus(CorpusCommand::Check {
            dir,
            salsa: Some(spec),
        }) => status_of(matrix::corpus_check_against(&spec, &dir, &mut log_line)),
        Command::Corpus(CorpusCommand::Export { dir, out, target }) => {
            corpus_export(&dir, &out, target)
        }
        Command::Bench(args) => run_bench(args),
        Command::BenchMode {
            mode,
            seconds,
            scripts,
        } => match Mode::named(&mode) {
            Some(mode) => {
                let budget = match scripts {
                    Some(scripts) => bench::Budget::Scripts(scripts),
                    None => bench::Budget::Seconds(seconds.unwrap_or(10.0)),
                };
                match serde_json::to_string(&bench::measure(mode, budget)) {
                    Ok(json) => print_out(&format!("{json}\n")),
                    Err(error) => fail(format!("cannot write the measurement: {error}")),
                }
            }
            None => fail(format!("unknown benchmark mode `{mode}`")),
        },
        Command::KnownBugs(args) => known_bugs_benchmark(args),
        Command::Coverage(args) => coverage(args),
        Command::Mutants(args) => mutation_score(args),
        Command::Salsa { spec, cargo_args } => {
            status_of(matrix::run_cargo_against(&spec, &cargo_args, &mut log_line))
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut completion_command(),
                "salsa-fuzz",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}

/// `--schedule shuttle` in a normal build: builds the shuttle variant of this salsa
/// (`salsa-fuzz salsa X.Y.Z+shuttle build --release`) and replaces this process with it,
/// with the same arguments but the flag.
fn rerun_under_shuttle() -> ExitCode {
    use std::os::unix::process::CommandExt as _;
    let version = known_bugs::release_of(salsa_fuzz::corpus::SALSA_VERSION);
    let spec = matrix::SalsaSpec::Shuttle(version.to_owned());
    let root = match matrix::checkout_root() {
        Ok(root) => root,
        Err(error) => return fail(error),
    };
    log_line(&format!(
        "building salsa-fuzz against salsa {version} patched for shuttle (target/salsa-matrix/{}; minutes the first time)",
        spec.key()
    ));
    let binary = match matrix::build_release_binary(&root, &spec) {
        Ok(binary) => binary,
        Err(error) => return fail(error),
    };
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    let mut given = std::env::args_os().skip(1);
    while let Some(arg) = given.next() {
        if arg == "--schedule" {
            given.next();
        } else if arg
            .to_str()
            .is_none_or(|arg| !arg.starts_with("--schedule="))
        {
            args.push(arg);
        }
    }
    let error = std::process::Command::new(&binary).args(args).exec();
    fail(format!("could not run {}: {error}", binary.display()))
}

/// The command line as completions offer it: without the internal commands.
fn completion_command() -> clap::Command {
    let full = Cli::command();
    let visible: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|command| !command.is_hide_set())
        .cloned()
        .collect();
    clap::Command::new("salsa-fuzz")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommands(visible)
}

/// clap's error as one line (`--help` and `--version` print in full and exit 0).
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return fail("a command is required (see `salsa-fuzz --help`)");
    }
    // The first paragraph, joined: a missing argument is named on the line after the message.
    let rendered = error.render().to_string();
    let first: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let first = first.join(" ");
    let first = first.trim_start_matches("error: ");
    let first = if first.is_empty() { "bad usage" } else { first };
    fail(format!("{first} (see `salsa-fuzz --help`)"))
}

fn log_line(line: &str) {
    eprintln!("salsa-fuzz: {line}");
}

fn run_bench(args: BenchArgs) -> ExitCode {
    let me = match std::env::current_exe() {
        Ok(me) => me,
        Err(error) => return fail(format!("cannot find the running executable: {error}")),
    };
    let mut modes = Vec::new();
    for name in &args.modes {
        match Mode::named(name) {
            Some(mode) => modes.push(mode),
            None => return fail(format!("unknown benchmark mode `{name}`")),
        }
    }
    if modes.is_empty() {
        modes = bench::MODES.to_vec();
    }
    if let Some(reference) = &args.reference
        && !reference.is_file()
    {
        return fail(format!("no reference binary at {}", reference.display()));
    }
    let options = bench::BenchOptions {
        seconds: args.seconds as f64,
        rounds: args.rounds as usize,
        modes,
        reference: args.reference,
        callgrind_scripts: args.callgrind,
        libfuzzer: args.libfuzzer,
    };
    bench::bench_all(&me, &options, &mut |line| println!("{line}"));
    ExitCode::SUCCESS
}

fn print_out(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(format!("cannot write to stdout: {error}")),
    }
}

fn status_of(result: Result<std::process::ExitStatus, String>) -> ExitCode {
    match result {
        Ok(status) => ExitCode::from(
            status
                .code()
                .map_or(2, |code| u8::try_from(code).unwrap_or(2)),
        ),
        Err(error) => fail(error),
    }
}

fn run(args: RunArgs) -> ExitCode {
    #[cfg(salsa_2024)]
    return run_2024(args);
    #[cfg(not(salsa_2024))]
    run_campaign(args)
}

/// `--seeds`, or by default `corpus/seeds` and `corpus/regressions`.
fn start_corpus(seeds: Vec<PathBuf>) -> Vec<PathBuf> {
    if seeds.is_empty() {
        vec![
            PathBuf::from("corpus/seeds"),
            PathBuf::from("corpus/regressions"),
        ]
    } else {
        seeds
    }
}

/// `run` in a build against a 2024-API salsa checkout: the legacy database, one process.
#[cfg(salsa_2024)]
fn run_2024(args: RunArgs) -> ExitCode {
    let options = salsa_fuzz::legacy::run::Options2024 {
        time: args.time,
        seed: args.seed,
        seeds: start_corpus(args.seeds),
        findings: args.findings,
    };
    match salsa_fuzz::legacy::run::run(&options) {
        Ok(bugs) if bugs.is_empty() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => fail(error),
    }
}

#[cfg(not(salsa_2024))]
fn run_campaign(args: RunArgs) -> ExitCode {
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let start_corpus = start_corpus(args.seeds);
    let options = campaign::CampaignOptions {
        time: args.time,
        jobs,
        seed: args.seed,
        corpus: args.corpus,
        start_corpus,
        findings: args.findings,
        max_threads: args.max_threads,
        sequential: args.sequential,
        hang_limit: args.hang_limit,
        until_known: args.until_known_bugs,
    };
    match campaign::run_from_cli(&options, args.json) {
        Ok(code) => ExitCode::from(code),
        Err(error) => fail(error),
    }
}

fn worker(args: WorkerArgs) -> ExitCode {
    let config = WorkerConfig {
        index: args.index,
        seed: args.seed,
        sequential: args.sequential,
        max_threads: args.max_threads.clamp(1, 4),
        start_corpus: args.start,
        working_corpus: args.corpus,
        work_dir: args.work,
        hang_limit: Duration::from_millis(args.hang_limit_ms.max(1)),
    };
    match campaign::worker::run_worker(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(format!("worker {}: {error}", config.index)),
    }
}

fn repro(file: &Path, any: bool) -> ExitCode {
    // The 2024 database reports whatever it finds: `--any` is what it always does.
    #[cfg(salsa_2024)]
    let result = {
        let _ = any;
        salsa_fuzz::legacy::run::repro(file)
    };
    #[cfg(not(salsa_2024))]
    let result = {
        let mut stdout = std::io::stdout();
        if any {
            triage::repro_any(file, &mut stdout)
        } else {
            triage::repro(file, &mut stdout)
        }
        .map_err(|error| error.to_string())
    };
    match result {
        Ok(true) => ExitCode::from(1),
        Ok(false) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

fn minimize(file: &Path, out: &Path) -> ExitCode {
    match triage::minimize_into(file, out, &mut std::io::stdout()) {
        Ok(MinimizeOutcome::Wrote(_) | MinimizeOutcome::AlreadyThere(_)) => ExitCode::SUCCESS,
        Ok(MinimizeOutcome::NoFinding | MinimizeOutcome::Unreliable) => ExitCode::from(1),
        Err(error) => fail(error),
    }
}

fn corpus_check(dir: &Path) -> ExitCode {
    match triage::check_corpus(dir, &mut std::io::stdout()) {
        Ok(counts) if counts.corrupt > 0 => ExitCode::from(2),
        Ok(counts) if counts.failed > 0 => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

fn corpus_export(dir: &Path, out: &Path, target: Target) -> ExitCode {
    match salsa_fuzz::fuzz::export_corpus(dir, out, target) {
        Ok(exported) => {
            for skipped in &exported.skipped {
                eprintln!("salsa-fuzz: skipped corrupt entry {skipped}");
            }
            let name = Target::ALL
                .iter()
                .find(|(known, _)| *known == target)
                .map_or("?", |(_, name)| name);
            print_out(&format!(
                "wrote {} inputs for {name} from {} entries to {}\n",
                exported.inputs,
                exported.entries,
                out.display()
            ))
        }
        Err(error) => fail(error),
    }
}

fn coverage(args: CoverageArgs) -> ExitCode {
    if let Some(corpus) = &args.corpus
        && !corpus.is_dir()
    {
        return fail(format!("{}: not a directory", corpus.display()));
    }
    let options = salsa_fuzz::coverage::CoverageOptions {
        out: args.out,
        time: args.time,
        seed: args.seed,
        corpus: args.corpus,
        salsa_tests: !args.no_salsa_tests,
    };
    let mut log = |line: &str| eprintln!("coverage: {line}");
    match salsa_fuzz::coverage::run(&options, &mut log) {
        Ok(table) => print_out(&table),
        Err(error) => fail(error),
    }
}

fn known_bugs_benchmark(args: KnownBugsArgs) -> ExitCode {
    let options = BenchOptions {
        time: args.time,
        seed: args.seed,
        bugs: args.bugs,
        libfuzzer: !args.no_libfuzzer,
        runner: !args.no_runner,
        out: args.out,
        reuse: args.reuse,
        shuttle: args.shuttle,
    };
    let mut log = |line: &str| eprintln!("known-bugs: {line}");
    match benchmark::run_and_report(&options, args.report.as_deref(), &mut log) {
        Ok(text) => print_out(&text),
        Err(error) => fail(error),
    }
}

fn mutation_score(args: MutantsArgs) -> ExitCode {
    let words: Vec<String> = std::iter::once("salsa-fuzz".to_owned())
        .chain(std::env::args().skip(1))
        .collect();
    let options = MutantsOptions {
        files: args.files,
        names: args.mutants,
        sample: args
            .sample
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        seed: args.seed,
        shard: args.shard,
        time: args.time,
        tests_bound: args.test_timeout,
        report_only: args.report_only,
        rerun: args.rerun,
        list_only: args.list,
        command: mutants::report::command_line(&words),
    };
    let mut log = |line: &str| eprintln!("mutants: {line}");
    match mutants::run_and_report(&options, args.report.as_deref(), &mut log) {
        Ok(text) => print_out(&text),
        Err(error) => fail(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn completions_leave_the_internal_commands_out() {
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut completion_command(),
            "salsa-fuzz",
            &mut script,
        );
        let script = String::from_utf8_lossy(&script);
        assert!(script.contains("known-bugs"), "{script}");
        assert!(!script.contains("worker") && !script.contains("bench-mode"));
    }

    #[test]
    fn durations_take_units_and_refuse_zero() {
        assert_eq!(positive_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(positive_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(positive_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(positive_duration("0s").is_err());
        assert!(positive_duration("soon").is_err());
        assert!(positive_duration("5d").is_err());
    }

    #[test]
    fn flags_go_before_or_after_the_file() {
        for args in [
            ["salsa-fuzz", "fmt", "--rust", "x.sfz"],
            ["salsa-fuzz", "fmt", "x.sfz", "--rust"],
        ] {
            let cli = Cli::try_parse_from(args).expect("parses");
            assert!(matches!(cli.command, Command::Fmt { rust: true, .. }));
        }
    }

    #[test]
    fn cargo_arguments_pass_through() {
        let cli = Cli::try_parse_from([
            "salsa-fuzz",
            "salsa",
            "../salsa",
            "run",
            "--release",
            "--",
            "run",
            "--time",
            "60s",
        ])
        .expect("parses");
        let Command::Salsa { spec, cargo_args } = cli.command else {
            panic!("not the salsa command");
        };
        assert_eq!(spec, "../salsa");
        assert_eq!(
            cargo_args,
            ["run", "--release", "--", "run", "--time", "60s"]
        );
    }
}
