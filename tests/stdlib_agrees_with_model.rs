//! Salsa features: a cold database (tracked functions, tracked structs, interned keys,
//! fixpoint iteration over real import cycles and type-inference cycles, accumulators) must
//! answer exactly what the from-scratch model answers, on every `.py` file of the installed
//! CPython standard library.
//!
//! Files of one top-level package share a project (top-level modules share one too), so their
//! imports and star-import cycles resolve. Without python3 the test says so and runs over the
//! repository's own fixtures instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::assert_answers_agree;
use salsa_fuzz::db::{FuzzDatabase, answers};
use salsa_fuzz::model;

/// Salsa features: a cold database (tracked functions and structs, interned keys, fixpoint
/// cycles, accumulators) must equal the model on the whole CPython standard library.
#[test]
fn database_and_model_agree_on_every_stdlib_file() {
    let (root, source) = match stdlib_root() {
        Some(root) => (root, "the CPython standard library"),
        None => {
            println!("python3 was not found: comparing the repository's fixtures instead");
            (fixtures_root(), "tests/fixtures")
        }
    };
    on_a_big_stack(move || compare_all(&root, source, Grouping::ByTopLevelPackage));
}

/// Salsa features: as above, on the repository's own fixtures (always available).
#[test]
fn database_and_model_agree_on_the_fixtures() {
    on_a_big_stack(|| compare_all(&fixtures_root(), "tests/fixtures", Grouping::OneProject));
}

/// The AST walk and the parser recurse; some stdlib test files nest deeply.
fn on_a_big_stack(work: impl FnOnce() + Send + 'static) {
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(work)
        .expect("spawn the comparison thread");
    worker.join().expect("the comparison thread panicked");
}

#[derive(Copy, Clone)]
enum Grouping {
    /// One project per top-level package, plus one for all top-level modules.
    ByTopLevelPackage,
    OneProject,
}

fn compare_all(root: &Path, source: &str, grouping: Grouping) {
    let (groups, skipped) = collect_groups(root, grouping);
    let (mut files, mut scopes, mut symbols) = (0, 0, 0);
    let (mut functions, mut long_cycles, mut most_iterations) = (0, 0, 0);
    let mut closures = 0;
    for (group, inputs) in &groups {
        let mut db = FuzzDatabase::new();
        db.load(inputs);
        let got = answers(&db);
        let want = model::compute(inputs);
        let (files_here, scopes_here, symbols_here) = want.totals();
        functions += want
            .files
            .iter()
            .flat_map(|file| &file.scopes)
            .filter(|scope| scope.returns.is_some())
            .count();
        closures += want
            .files
            .iter()
            .filter(|file| file.closure.files.len() > 1)
            .count();
        assert_answers_agree(got, want, &format!(" in project {group}"));
        let (highest, long) = db.cycle_statistics();
        most_iterations = most_iterations.max(highest);
        long_cycles += long;
        files += files_here;
        scopes += scopes_here;
        symbols += symbols_here;
    }
    println!(
        "{source} at {}: compared {files} files, {scopes} scopes, {symbols} symbols in {} \
         projects ({skipped} files skipped as not UTF-8)",
        root.display(),
        groups.len()
    );
    println!(
        "{source}: inferred the return types of {functions} functions; {long_cycles} fixpoints \
         went past 3 iterations, the longest to iteration {most_iterations}; {closures} modules \
         reach another through star imports"
    );
    assert!(files > 0, "no Python files found under {}", root.display());
}

fn stdlib_root() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .ok()?;
    let root = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    output
        .status
        .success()
        .then_some(root)
        .filter(|root| root.is_dir())
}

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Groups every `.py` file under `root` (minus `site-packages`) into projects, in path order; returns the groups and the number of files skipped because they are not UTF-8.
fn collect_groups(
    root: &Path,
    grouping: Grouping,
) -> (
    BTreeMap<String, Vec<salsa_fuzz::answers::SourceInput>>,
    usize,
) {
    let mut paths = Vec::new();
    walk(root, root, &mut paths);
    paths.sort();
    let mut groups: BTreeMap<String, Vec<salsa_fuzz::answers::SourceInput>> = BTreeMap::new();
    let mut skipped = 0;
    for relative in paths {
        let Ok(text) = std::fs::read_to_string(root.join(&relative)) else {
            skipped += 1;
            continue;
        };
        let group = match (grouping, relative.split_once('/')) {
            (Grouping::OneProject, _) => "<all>".to_owned(),
            (Grouping::ByTopLevelPackage, Some((package, _))) => package.to_owned(),
            (Grouping::ByTopLevelPackage, None) => "<top-level modules>".to_owned(),
        };
        groups
            .entry(group)
            .or_default()
            .push(salsa_fuzz::answers::SourceInput {
                path: relative,
                text,
                is_library: true,
            });
    }
    (groups, skipped)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if entry.file_name() != "site-packages" {
                walk(root, &path, out);
            }
        } else if file_type.is_file()
            && path.extension().is_some_and(|ext| ext == "py")
            && let Ok(relative) = path.strip_prefix(root)
        {
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}
