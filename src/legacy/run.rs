//! `salsa-fuzz run` on a 2024-API salsa: one process, one deterministic stream of scripts
//! (the seeds first, then scripts decoded from seeded random bytes and mutants of the scripts
//! run so far), each on a fresh database, with progress on stderr. Each new bug (one per
//! [`crate::oracle::bug_key`]) is minimized at once with the 2024 executor and written to the
//! findings directory as a corpus entry; the summary lists them with their time to first
//! finding.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::exec;
use crate::corpus::{Entry, Status};
use crate::minimize;
use crate::script::EditScript;
use crate::script::syntax::script_to_text;
use crate::util::SeededInputs;

/// How to run.
#[derive(Clone, Debug)]
pub struct Options2024 {
    /// How long.
    pub time: Duration,
    /// The stream's seed.
    pub seed: u64,
    /// Directories of corpus entries to start from.
    pub seeds: Vec<PathBuf>,
    /// Where minimized findings are written.
    pub findings: PathBuf,
}

/// One bug the run found.
#[derive(Debug)]
pub struct Bug2024 {
    /// The first finding's signature.
    pub signature: String,
    /// When the first script showing it finished, from the run's start.
    pub first: Duration,
    /// Scripts run until then.
    pub scripts: u64,
    /// The minimized entry's path, if it was minimized and written.
    pub entry: Option<PathBuf>,
}

/// Runs the campaign; returns the bugs found (in the order found).
pub fn run(options: &Options2024) -> Result<Vec<Bug2024>, String> {
    eprintln!(
        "salsa-fuzz run on salsa {SALSA}: the 2024-API database (per-file queries; see the \
         README), seed {}, {} s",
        options.seed,
        options.time.as_secs()
    );
    let mut pool: Vec<EditScript> = Vec::new();
    for dir in &options.seeds {
        pool.extend(
            crate::corpus::starting_scripts(dir)
                .map_err(|error| format!("{}: {error}", dir.display()))?,
        );
    }
    std::fs::create_dir_all(&options.findings)
        .map_err(|error| format!("{}: {error}", options.findings.display()))?;
    let seeds = pool.len();
    let start = Instant::now();
    let mut rng = SeededInputs::new(options.seed);
    let mut bugs: Vec<Bug2024> = Vec::new();
    let (mut scripts, mut answers) = (0u64, 0u64);
    let mut last_report = Duration::ZERO;
    while start.elapsed() < options.time {
        let position = scripts as usize;
        let script = if position < seeds {
            pool[position].clone()
        } else if pool.is_empty() || rng.below(2) == 0 {
            EditScript::from_bytes(&rng.next_input())
        } else {
            let parent = &pool[rng.below(pool.len())];
            let other = &pool[rng.below(pool.len())];
            crate::script::mutate::mutate(&mut rng, parent, other)
        };
        let outcome = exec::execute(&script);
        scripts += 1;
        answers += outcome.answers as u64;
        match outcome.finding {
            Some(finding) => {
                let signature = finding.signature();
                let key = crate::oracle::bug_key(&signature);
                if bugs
                    .iter()
                    .all(|bug| crate::oracle::bug_key(&bug.signature) != key)
                {
                    let first = start.elapsed();
                    eprintln!(
                        "[{:>5.1}s] new finding after {scripts} scripts: {signature}",
                        first.as_secs_f64()
                    );
                    let entry = write_minimized(options, &script, &signature, bugs.len())?;
                    bugs.push(Bug2024 {
                        signature,
                        first,
                        scripts,
                        entry,
                    });
                }
            }
            None if position >= seeds && pool.len() < 4096 => pool.push(script),
            None => {}
        }
        let elapsed = start.elapsed();
        if elapsed - last_report >= Duration::from_secs(5) {
            last_report = elapsed;
            eprintln!(
                "[{:>5.1}s] {scripts} scripts ({:.0}/s), {answers} answers checked, {} distinct findings",
                elapsed.as_secs_f64(),
                scripts as f64 / elapsed.as_secs_f64(),
                bugs.len()
            );
        }
    }
    let elapsed = start.elapsed();
    let (recreated, others): (Vec<&Bug2024>, Vec<&Bug2024>) = bugs
        .iter()
        .partition(|bug| before_the_fix(SALSA) && of_ruff_13071_class(&bug.signature));
    let grouped = others.len() + usize::from(!recreated.is_empty());
    eprintln!(
        "done in {:.1}s: {scripts} scripts, {answers} answers checked, {grouped} {} ({} distinct \
         findings)",
        elapsed.as_secs_f64(),
        if grouped == 1 { "bug" } else { "bugs" },
        bugs.len()
    );
    if !recreated.is_empty() {
        eprintln!(
            "  1 bug, probably ruff#13071 (salsa#573, fixed by 2d55e838: a re-executed query \
             seeds its tracked structs' ids from the previous execution's, a deleted struct's \
             among them), {} distinct findings; replay an entry on a checkout of 2d55e838 to \
             confirm:",
            recreated.len()
        );
        for bug in &recreated {
            eprintln!("    {}", describe(bug));
        }
    }
    for bug in &others {
        eprintln!("  {}", describe(bug));
    }
    Ok(bugs)
}

const SALSA: &str = env!("SALSA_FUZZ_SALSA_2024");

/// Whether `salsa` may predate ruff#13071's fix: a checkout (a git revision of 0.18.0's
/// development); the 0.18.0 release has the fix.
fn before_the_fix(salsa: &str) -> bool {
    salsa.contains("(path ")
}

/// Whether a finding is of the class ruff#13071 showed as: a panic in salsa's tracked structs,
/// or a wrong answer of the queries that create or read them.
fn of_ruff_13071_class(signature: &str) -> bool {
    signature.contains("at salsa/src/tracked_struct.rs")
        || ["semantic_index", "symbol_table", "line_marks"]
            .iter()
            .any(|query| signature == format!("Salsa: answer of {query} differs from the model"))
}

fn describe(bug: &Bug2024) -> String {
    format!(
        "{} (first at {:.1}s, script {}){}",
        bug.signature,
        bug.first.as_secs_f64(),
        bug.scripts,
        bug.entry
            .as_ref()
            .map(|path| format!(", minimized: {}", path.display()))
            .unwrap_or_default()
    )
}

fn write_minimized(
    options: &Options2024,
    script: &EditScript,
    signature: &str,
    index: usize,
) -> Result<Option<PathBuf>, String> {
    // The script as found, first: a finding is kept even if minimizing it fails.
    let mut raw = Entry::new(script.clone(), Status::New, signature.to_owned());
    raw.salsa = SALSA.to_owned();
    raw.sequential = true;
    let raw_path = options.findings.join(format!(
        "2024-{:04}-seed{}.found.sfz",
        index + 1,
        options.seed
    ));
    raw.write(&raw_path)
        .map_err(|error| format!("{}: {error}", raw_path.display()))?;
    let started = Instant::now();
    let Some(minimized) = minimize::minimize_with(script, signature, 5_000, &exec::signature)
    else {
        eprintln!("  (does not reproduce on a fresh database: not minimized)");
        return Ok(None);
    };
    let mut entry = Entry::new(minimized.script, Status::New, signature.to_owned());
    entry.salsa = SALSA.to_owned();
    entry.sequential = true;
    entry.rate = minimized.rate;
    let path = options
        .findings
        .join(format!("2024-{:04}-seed{}.sfz", index + 1, options.seed));
    entry
        .write(&path)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    eprintln!(
        "  minimized in {:.1}s ({} checks, reproduces {}/{}), written to {}:\n{}",
        started.elapsed().as_secs_f64(),
        minimized.checks,
        minimized.rate.0,
        minimized.rate.1,
        path.display(),
        indent(&script_to_text(&entry.script))
    );
    Ok(Some(path))
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}\n")).collect()
}

/// Replays the entry at `path` on the 2024 database: prints what it shows, and whether that
/// is the entry's own signature; returns whether it showed a finding.
pub fn repro(path: &std::path::Path) -> Result<bool, String> {
    let entry = Entry::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let outcome = exec::execute(&entry.script);
    println!("salsa {SALSA}");
    match outcome.finding {
        Some(finding) => {
            let signature = finding.signature();
            let same = if signature == entry.signature {
                "the entry's own signature"
            } else {
                "NOT the entry's signature"
            };
            println!("finding at step {} ({same}): {signature}", finding.step);
            if let crate::oracle::FindingKind::Mismatch { got, expected, .. } = &finding.kind {
                println!("  database: {got}\n  model:    {expected}");
            }
            Ok(true)
        }
        None => {
            println!(
                "no finding ({} steps executed, {} answers checked)",
                outcome.steps, outcome.answers
            );
            Ok(false)
        }
    }
}
