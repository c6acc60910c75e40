//! `salsa-fuzz coverage`: which of salsa's lines the suite reaches, beside salsa's own tests.
//!
//! 1. Builds the suite with `-C instrument-coverage` (release profile, its own target
//!    directory under `OUT/build`), so salsa, compiled as its dependency, is instrumented too.
//! 2. Runs a timed campaign with that build (`run --jobs 1`), or replays every file under a
//!    corpus directory (`repro --any`), each process writing its own profile.
//! 3. Builds salsa's own tests the same way on a copy of the pinned salsa's registry source
//!    ([`crate::mutants::workspace`]) and runs each test binary within a bound (doc tests are
//!    left out: rustdoc's binaries are not kept).
//! 4. With rustup's `llvm-tools` (installed if missing), merges each side's profiles, writes
//!    llvm-cov's HTML report of salsa's source for each side (`OUT/html/suite/index.html`,
//!    `OUT/html/salsa-tests/index.html`), exports LCOV (read with the `lcov` crate; for
//!    salsa's tests one export per test binary, united, since a merged profile keeps one of
//!    a generic function's differing instances) and writes `OUT/coverage.md`: per salsa
//!    file, its instrumented lines, the share each side reaches, and the lines only one side
//!    reaches.
//!
//! Files are matched by their path under salsa's `src/`, since the two sides compile salsa
//! from different directories. Everything under `OUT` is rebuilt on each run except the
//! build trees, which cargo keeps fresh.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::mutants::salsa_tests::test_executables;
use crate::mutants::workspace::{Workspace, pinned_salsa_version, salsa_source};

/// How a coverage run is made.
#[derive(Clone, Debug)]
pub struct CoverageOptions {
    /// Where the builds, profiles and reports go.
    pub out: PathBuf,
    /// The campaign's length (when no corpus is given).
    pub time: Duration,
    /// The campaign's seed.
    pub seed: u64,
    /// Replay the files under this directory instead of running a campaign.
    pub corpus: Option<PathBuf>,
    /// Also measure salsa's own tests.
    pub salsa_tests: bool,
}

/// Coverage instrumentation with counters in a mapped file (`%c` in `LLVM_PROFILE_FILE`,
/// continuous mode; Linux needs the relocation flag): a process killed at the end of a
/// campaign, as workers are, or by a crash keeps what it counted.
const RUSTFLAGS: &str = "-C instrument-coverage -C llvm-args=-runtime-counter-relocation";

/// The bound on one of salsa's test binaries.
const PER_TEST_BINARY: Duration = Duration::from_secs(300);

/// Runs the whole measurement and returns the Markdown table (also in `OUT/coverage.md`).
pub fn run(options: &CoverageOptions, log: &mut dyn FnMut(&str)) -> Result<String, String> {
    let root = crate::matrix::checkout_root()?;
    let tools = llvm_tools(log)?;
    std::fs::create_dir_all(&options.out)
        .map_err(|error| format!("{}: {error}", options.out.display()))?;
    // The real path: rustc records it, and llvm-cov matches its source filter as a string.
    let out = options
        .out
        .canonicalize()
        .map_err(|error| format!("{}: {error}", options.out.display()))?;
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|error| format!("Cargo.toml: {error}"))?;
    let version = pinned_salsa_version(&manifest)
        .ok_or("Cargo.toml pins no salsa release (`salsa = \"=X.Y.Z\"`)")?;

    log("building the suite with -C instrument-coverage (release) ...");
    let binary = build_suite(&root, &out)?;
    let profiles = out.join("profiles");
    let _ = std::fs::remove_dir_all(&profiles);
    let suite_profiles = profiles.join("suite");
    create_dir(&suite_profiles)?;
    run_suite(&root, &binary, options, &out, &suite_profiles, log)?;
    let suite_data = merge(&tools, &suite_profiles, &out.join("suite.profdata"))?;
    let suite_source = salsa_source(&version).map_err(|error| error.to_string())?;
    let suite_binary = std::slice::from_ref(&binary);
    html(
        &tools,
        &suite_data,
        suite_binary,
        &suite_source,
        &out.join("html/suite"),
    )?;
    let suite_lcov = export_lcov(
        &tools,
        &suite_data,
        suite_binary,
        &suite_source,
        &out.join("suite.lcov"),
    )?;
    let suite = lines_by_file(&suite_lcov, &suite_source)?;
    if suite.is_empty() {
        return Err(format!(
            "{}: no file of {} in the suite's coverage",
            suite_lcov.display(),
            suite_source.display()
        ));
    }

    let tests = if options.salsa_tests {
        log(&format!(
            "building and running salsa {version}'s own tests with -C instrument-coverage ..."
        ));
        let tests_profiles = profiles.join("salsa-tests");
        create_dir(&tests_profiles)?;
        let (copy, executables) = run_salsa_tests(&version, &out, &tests_profiles, log)?;
        // The HTML report merges every binary's profile; llvm-profdata warns about generic
        // functions whose instances differ between binaries and keeps one of them. The
        // table reads each binary's profile on its own and takes the union, losing nothing.
        let data = merge(&tools, &tests_profiles, &out.join("salsa-tests.profdata"))?;
        html(
            &tools,
            &data,
            &executables,
            &copy,
            &out.join("html/salsa-tests"),
        )?;
        let mut lines: BTreeMap<String, FileLines> = BTreeMap::new();
        for (index, executable) in executables.iter().enumerate() {
            let dir = tests_profiles.join(index.to_string());
            let Ok(data) = merge(&tools, &dir, &dir.join("binary.profdata")) else {
                continue;
            };
            let lcov = match export_lcov(
                &tools,
                &data,
                std::slice::from_ref(executable),
                &copy,
                &dir.join("binary.lcov"),
            ) {
                Ok(lcov) => lcov,
                // A test binary with no instrumented code of its own (salsa's trybuild
                // `compile_pass`/`compile_fail`, tests behind features not enabled) has
                // nothing to export.
                Err(error) if error.contains("no coverage data found") => {
                    log(&format!(
                        "{} has no coverage data, left out",
                        executable.display()
                    ));
                    continue;
                }
                Err(error) => return Err(error),
            };
            for (file, one) in lines_by_file(&lcov, &copy)? {
                let all = lines.entry(file).or_default();
                all.instrumented.extend(one.instrumented);
                all.reached.extend(one.reached);
            }
        }
        if lines.is_empty() {
            return Err(format!(
                "no file of {} in salsa's tests' coverage",
                copy.display()
            ));
        }
        Some(lines)
    } else {
        None
    };
    let what = match &options.corpus {
        Some(corpus) => format!("replaying {}", corpus.display()),
        None => format!(
            "a {} s campaign (`run --jobs 1 --seed {}`)",
            options.time.as_secs(),
            options.seed
        ),
    };
    let table = render(&version, &what, &suite, tests.as_ref());
    let report = out.join("coverage.md");
    crate::util::write_atomically(&report, table.as_bytes())
        .map_err(|error| format!("{}: {error}", report.display()))?;
    log(&format!(
        "wrote {}, {}/html/suite/index.html{}",
        report.display(),
        out.display(),
        if tests.is_some() {
            format!(" and {}/html/salsa-tests/index.html", out.display())
        } else {
            String::new()
        }
    ));
    Ok(table)
}

/// `llvm-profdata` and `llvm-cov` of the toolchain that builds the suite.
struct Tools {
    profdata: PathBuf,
    cov: PathBuf,
}

fn llvm_tools(log: &mut dyn FnMut(&str)) -> Result<Tools, String> {
    let sysroot = stdout_of(Command::new("rustc").args(["--print", "sysroot"]))?;
    let version = stdout_of(Command::new("rustc").arg("-vV"))?;
    let host = version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .ok_or("`rustc -vV` names no host")?;
    let bin = Path::new(sysroot.trim()).join(format!("lib/rustlib/{host}/bin"));
    let tools = Tools {
        profdata: bin.join("llvm-profdata"),
        cov: bin.join("llvm-cov"),
    };
    if !tools.profdata.is_file() || !tools.cov.is_file() {
        log("installing rustup's llvm-tools component ...");
        let status = Command::new("rustup")
            .args(["component", "add", "llvm-tools"])
            .status()
            .map_err(|error| format!("rustup: {error}"))?;
        if !status.success() || !tools.profdata.is_file() {
            return Err(format!(
                "no llvm-profdata in {} (`rustup component add llvm-tools` failed)",
                bin.display()
            ));
        }
    }
    Ok(tools)
}

fn build_suite(root: &Path, out: &Path) -> Result<PathBuf, String> {
    let target = out.join("build");
    let status = Command::new("cargo")
        .current_dir(root)
        .args(["build", "--release", "--bin", "salsa-fuzz", "--target-dir"])
        .arg(&target)
        .env("RUSTFLAGS", RUSTFLAGS)
        .env("CARGO_INCREMENTAL", "0")
        // Build scripts and proc macros are instrumented too: their profiles go here.
        .env("LLVM_PROFILE_FILE", out.join("build-profiles/%p.profraw"))
        .status()
        .map_err(|error| format!("cargo build: {error}"))?;
    if !status.success() {
        return Err("the instrumented build of the suite failed".to_owned());
    }
    Ok(target.join("release/salsa-fuzz"))
}

/// The campaign (or the corpus replay) with the instrumented build, one profile a process.
fn run_suite(
    root: &Path,
    binary: &Path,
    options: &CoverageOptions,
    out: &Path,
    profiles: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<(), String> {
    match &options.corpus {
        None => {
            log(&format!(
                "running a {} s campaign with the instrumented build ...",
                options.time.as_secs()
            ));
            let campaign = out.join("campaign");
            let _ = std::fs::remove_dir_all(&campaign);
            let status = Command::new(binary)
                .current_dir(root)
                .args(["run", "--jobs", "1", "--time"])
                .arg(format!("{}s", options.time.as_secs()))
                .arg("--seed")
                .arg(options.seed.to_string())
                .arg("--corpus")
                .arg(campaign.join("working"))
                .arg("--findings")
                .arg(campaign.join("findings"))
                .env("LLVM_PROFILE_FILE", profiles.join("%p%c.profraw"))
                .status()
                .map_err(|error| format!("{}: {error}", binary.display()))?;
            // A campaign with findings exits non-zero; its profiles are written all the same.
            if status.code().is_none() {
                return Err(format!("the campaign was killed ({status})"));
            }
        }
        Some(corpus) => {
            let corpus = corpus
                .canonicalize()
                .map_err(|error| format!("{}: {error}", corpus.display()))?;
            let mut files = Vec::new();
            collect_files(&corpus, &mut files)?;
            files.sort();
            if files.is_empty() {
                return Err(format!("{}: no files to replay", corpus.display()));
            }
            log(&format!(
                "replaying {} files with the instrumented build ...",
                files.len()
            ));
            let mut died = 0;
            for file in &files {
                // A pool of four profiles, merged into as each replay exits; one that dies
                // (a crash the replay shows) keeps nothing.
                let status = Command::new(binary)
                    .current_dir(root)
                    .arg("repro")
                    .arg(file)
                    .arg("--any")
                    .env("LLVM_PROFILE_FILE", profiles.join("replay-%4m.profraw"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .map_err(|error| format!("{}: {error}", binary.display()))?;
                if status.code().is_none() {
                    died += 1;
                }
            }
            if died > 0 {
                log(&format!(
                    "{died} of {} replays died; their coverage is not counted",
                    files.len()
                ));
            }
        }
    }
    Ok(())
}

/// Builds salsa's tests on a copy of its source and runs each binary; returns the copy and
/// the test binaries.
fn run_salsa_tests(
    version: &str,
    out: &Path,
    profiles: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<(PathBuf, Vec<PathBuf>), String> {
    let source = salsa_source(version).map_err(|error| error.to_string())?;
    let workspace = Workspace::prepare(&out.join("salsa"), &source).map_err(|e| e.to_string())?;
    let copy = workspace.pristine;
    let build = Command::new("cargo")
        .current_dir(&copy)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .env("CARGO_TARGET_DIR", out.join("salsa-build"))
        .env("RUSTFLAGS", RUSTFLAGS)
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .env("LLVM_PROFILE_FILE", out.join("build-profiles/%p.profraw"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cargo test --no-run: {error}"))?;
    if !build.status.success() {
        return Err(format!("salsa {version}'s tests did not build"));
    }
    let roots = [
        copy.clone(),
        copy.canonicalize().unwrap_or_else(|_| copy.clone()),
    ];
    let executables = test_executables(&String::from_utf8_lossy(&build.stdout), &roots);
    let (mut passed, mut failed) = (0, 0);
    for (index, (_, executable)) in executables.iter().enumerate() {
        let dir = profiles.join(index.to_string());
        create_dir(&dir)?;
        let mut command = Command::new(executable);
        command
            .current_dir(&copy)
            .env("CARGO_MANIFEST_DIR", &copy)
            .env("CARGO_PKG_NAME", "salsa")
            .env("LLVM_PROFILE_FILE", dir.join("%p%c.profraw"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let ended = crate::mutants::child::run_bounded(
            &mut command,
            PER_TEST_BINARY,
            Duration::from_secs(10),
        )
        .map_err(|error| format!("{}: {error}", executable.display()))?;
        if ended.success() {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    log(&format!(
        "salsa's tests: {passed} test binaries passed, {failed} failed or timed out"
    ));
    Ok((
        copy,
        executables.into_iter().map(|(_, path)| path).collect(),
    ))
}

fn merge(tools: &Tools, profiles: &Path, data: &Path) -> Result<PathBuf, String> {
    let mut raw = Vec::new();
    collect_files(profiles, &mut raw)?;
    raw.retain(|path| path.extension().is_some_and(|ext| ext == "profraw"));
    if raw.is_empty() {
        return Err(format!("{}: no profiles were written", profiles.display()));
    }
    // The list goes in a file: a corpus replay can leave more profiles than a command line
    // holds.
    let list = data.with_extension("inputs");
    let names: String = raw
        .iter()
        .map(|path| format!("{}\n", path.display()))
        .collect();
    std::fs::write(&list, names).map_err(|error| format!("{}: {error}", list.display()))?;
    let status = Command::new(&tools.profdata)
        .args(["merge", "-sparse", "-o"])
        .arg(data)
        .arg("-f")
        .arg(&list)
        .status()
        .map_err(|error| format!("llvm-profdata: {error}"))?;
    if !status.success() {
        return Err("llvm-profdata merge failed".to_owned());
    }
    Ok(data.to_owned())
}

/// `-instr-profile=DATA FIRST -object REST..`: the arguments naming the profile and binaries.
fn profile_args(command: &mut Command, data: &Path, objects: &[PathBuf]) -> Result<(), String> {
    let (first, rest) = objects.split_first().ok_or("no instrumented binary")?;
    command.arg(format!("-instr-profile={}", data.display()));
    command.arg(first);
    for object in rest {
        command.arg("-object").arg(object);
    }
    Ok(())
}

/// llvm-cov's HTML report of the files under `salsa/src`, in `html`.
fn html(
    tools: &Tools,
    data: &Path,
    objects: &[PathBuf],
    salsa: &Path,
    html: &Path,
) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(html);
    let mut show = Command::new(&tools.cov);
    show.args(["show", "-format=html", "-show-line-counts-or-regions"])
        .arg(format!("-output-dir={}", html.display()));
    profile_args(&mut show, data, objects)?;
    let status = show
        .arg(salsa.join("src"))
        .stdout(Stdio::null())
        .status()
        .map_err(|error| format!("llvm-cov show: {error}"))?;
    if !status.success() {
        return Err("llvm-cov show failed".to_owned());
    }
    Ok(())
}

/// The LCOV export of the files under `salsa/src`, written to `lcov`.
fn export_lcov(
    tools: &Tools,
    data: &Path,
    objects: &[PathBuf],
    salsa: &Path,
    lcov: &Path,
) -> Result<PathBuf, String> {
    let mut export = Command::new(&tools.cov);
    export.args(["export", "-format=lcov"]);
    profile_args(&mut export, data, objects)?;
    let output = export
        .arg(salsa.join("src"))
        .output()
        .map_err(|error| format!("llvm-cov export: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "llvm-cov export failed for {}: {}",
            objects
                .first()
                .map_or_else(String::new, |object| object.display().to_string()),
            stderr.lines().next().unwrap_or("no message")
        ));
    }
    crate::util::write_atomically(lcov, &output.stdout)
        .map_err(|error| format!("{}: {error}", lcov.display()))?;
    Ok(lcov.to_owned())
}

/// One file's lines: every instrumented line, and those reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileLines {
    /// Lines with a counter.
    pub instrumented: BTreeSet<u32>,
    /// Lines whose counter is not zero.
    pub reached: BTreeSet<u32>,
}

/// The LCOV records of the files under `salsa/src`, by path relative to `src/`.
fn lines_by_file(lcov: &Path, salsa: &Path) -> Result<BTreeMap<String, FileLines>, String> {
    let report =
        lcov::Report::from_file(lcov).map_err(|error| format!("{}: {error}", lcov.display()))?;
    let roots = [
        salsa.join("src"),
        salsa
            .canonicalize()
            .unwrap_or_else(|_| salsa.to_owned())
            .join("src"),
    ];
    let mut files: BTreeMap<String, FileLines> = BTreeMap::new();
    for (key, section) in report.sections {
        let Some(relative) = roots
            .iter()
            .find_map(|root| key.source_file.strip_prefix(root).ok())
        else {
            continue;
        };
        let tests = std::fs::read_to_string(&key.source_file)
            .map(|source| test_module_lines(&source))
            .unwrap_or_default();
        let file = files.entry(relative.display().to_string()).or_default();
        for (line, value) in section.lines {
            if tests.contains(&line.line) {
                continue;
            }
            file.instrumented.insert(line.line);
            if value.count > 0 {
                file.reached.insert(line.line);
            }
        }
    }
    Ok(files)
}

/// The lines of a source file's `#[cfg(test)]` modules: salsa's unit tests are compiled
/// into its test binaries only, and counting them as salsa's lines would credit salsa's
/// tests with reaching themselves. Braces are counted from the module's `{` to its `}`.
fn test_module_lines(source: &str) -> BTreeSet<u32> {
    let lines: Vec<&str> = source.lines().collect();
    let mut tests = BTreeSet::new();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim() != "#[cfg(test)]" {
            index += 1;
            continue;
        }
        let start = index;
        // Further attributes may sit between `#[cfg(test)]` and the `mod`.
        let mut item = index + 1;
        while item < lines.len() && lines[item].trim_start().starts_with("#[") {
            item += 1;
        }
        let is_module = lines.get(item).is_some_and(|line| {
            let line = line.trim();
            (line.starts_with("mod ") || line.starts_with("pub mod ")) && line.ends_with('{')
        });
        if !is_module {
            index += 1;
            continue;
        }
        let mut depth = 0i64;
        let mut end = item;
        for (offset, line) in lines[item..].iter().enumerate() {
            depth += brace_balance(line);
            end = item + offset;
            if depth <= 0 {
                break;
            }
        }
        tests.extend((start..=end).map(|line| line as u32 + 1));
        index = end + 1;
    }
    tests
}

/// `{` minus `}` on one line of Rust, leaving out string and character literals and a
/// `//` comment.
fn brace_balance(line: &str) -> i64 {
    let mut balance = 0;
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            _ if in_string => {}
            '/' if chars.peek() == Some(&'/') => break,
            '\'' => {
                // A character literal (`'{'`, `'\\''`); a lifetime has no closing quote.
                let literal: String = chars.clone().take(3).collect();
                if literal.starts_with('\\') {
                    chars.nth(2);
                } else if literal.chars().nth(1) == Some('\'') {
                    chars.nth(1);
                }
            }
            '{' => balance += 1,
            '}' => balance -= 1,
            _ => {}
        }
    }
    balance
}

/// The table: per file, instrumented lines, each side's share, and the lines only one side
/// reaches; a total row first.
pub fn render(
    version: &str,
    what: &str,
    suite: &BTreeMap<String, FileLines>,
    tests: Option<&BTreeMap<String, FileLines>>,
) -> String {
    let empty = BTreeMap::new();
    let tests_map = tests.unwrap_or(&empty);
    let names: BTreeSet<&String> = suite.keys().chain(tests_map.keys()).collect();
    let mut rows = Vec::new();
    let mut total = [0usize; 5];
    for name in names {
        let (s, t) = (suite.get(name), tests_map.get(name));
        let instrumented: BTreeSet<u32> = s
            .iter()
            .chain(t.iter())
            .flat_map(|file| file.instrumented.iter().copied())
            .collect();
        let reached = |file: Option<&FileLines>| -> BTreeSet<u32> {
            file.map(|file| file.reached.clone()).unwrap_or_default()
        };
        let (by_suite, by_tests) = (reached(s), reached(t));
        let counts = [
            instrumented.len(),
            by_tests.len(),
            by_suite.len(),
            by_tests.difference(&by_suite).count(),
            by_suite.difference(&by_tests).count(),
        ];
        for (sum, count) in total.iter_mut().zip(counts) {
            *sum += count;
        }
        rows.push((name.clone(), counts));
    }
    let percent = |part: usize, whole: usize| {
        if whole == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}%", 100.0 * part as f64 / whole as f64)
        }
    };
    let mut table = String::new();
    let _ = writeln!(
        table,
        "Lines of salsa {version}'s `src/` reached by salsa's own tests and by the suite ({what}).\n"
    );
    let tests_header = if tests.is_some() {
        "salsa's tests"
    } else {
        "salsa's tests (not run)"
    };
    let _ = writeln!(
        table,
        "| file | lines | {tests_header} | the suite | only salsa's tests | only the suite |"
    );
    let _ = writeln!(table, "| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut line = |name: &str, c: [usize; 5]| {
        let _ = writeln!(
            table,
            "| {name} | {} | {} | {} | {} | {} |",
            c[0],
            percent(c[1], c[0]),
            percent(c[2], c[0]),
            c[3],
            c[4]
        );
    };
    line("**all files**", total);
    for (name, counts) in rows {
        line(&format!("`{name}`"), counts);
    }
    table
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files)?;
        } else if path.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|error| format!("{}: {error}", dir.display()))
}

fn stdout_of(command: &mut Command) -> Result<String, String> {
    let output = command
        .stderr(Stdio::null())
        .output()
        .map_err(|error| format!("{command:?}: {error}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(instrumented: &[u32], reached: &[u32]) -> FileLines {
        FileLines {
            instrumented: instrumented.iter().copied().collect(),
            reached: reached.iter().copied().collect(),
        }
    }

    #[test]
    fn the_table_counts_each_sides_lines_and_the_lines_only_one_reaches() {
        let suite = BTreeMap::from([
            ("a.rs".to_owned(), lines(&[1, 2, 3, 4], &[1, 2])),
            ("b.rs".to_owned(), lines(&[1, 2], &[])),
        ]);
        let tests = BTreeMap::from([
            ("a.rs".to_owned(), lines(&[1, 2, 3, 4], &[2, 3, 4])),
            ("c.rs".to_owned(), lines(&[7], &[7])),
        ]);
        let table = render("0.28.5", "a test", &suite, Some(&tests));
        assert!(
            table.contains("| **all files** | 7 | 57.1% | 28.6% | 3 | 1 |"),
            "{table}"
        );
        assert!(
            table.contains("| `a.rs` | 4 | 75.0% | 50.0% | 2 | 1 |"),
            "{table}"
        );
        assert!(
            table.contains("| `b.rs` | 2 | 0.0% | 0.0% | 0 | 0 |"),
            "{table}"
        );
        assert!(
            table.contains("| `c.rs` | 1 | 100.0% | 0.0% | 1 | 0 |"),
            "{table}"
        );
    }

    #[test]
    fn unit_test_modules_are_not_salsas_lines() {
        let source = "fn a() {\n    1\n}\n\n#[cfg(test)]\n#[allow(dead_code)]\nmod tests {\n    fn t() { let x = \"}\"; }\n    fn u() {\n    }\n}\n\nfn b() {}\n";
        let tests = test_module_lines(source);
        assert_eq!(tests, (5..=11).collect::<BTreeSet<u32>>(), "{source}");
        assert!(test_module_lines("#[cfg(test)]\nfn helper() {}\n").is_empty());
        assert_eq!(brace_balance("let x = '{'; // }"), 0);
        assert_eq!(brace_balance("fn f<'a>(x: &'a str) { \"\\\"{\""), 1);
    }

    #[test]
    fn lcov_records_are_keyed_by_their_path_under_salsas_src() {
        let dir = tempfile::tempdir().unwrap();
        let salsa = dir.path().join("salsa-0.28.5");
        std::fs::create_dir_all(salsa.join("src")).unwrap();
        let lcov = dir.path().join("x.lcov");
        let text = format!(
            "SF:{0}/src/function/fetch.rs\nDA:10,3\nDA:11,0\nend_of_record\nSF:/elsewhere/src/lib.rs\nDA:1,1\nend_of_record\n",
            salsa.display()
        );
        std::fs::write(&lcov, text).unwrap();
        let files = lines_by_file(&lcov, &salsa).unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files["function/fetch.rs"], lines(&[10, 11], &[10]));
    }
}
