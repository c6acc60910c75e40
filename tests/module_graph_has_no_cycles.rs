//! The library's top-level modules import each other without a cycle, so data flows one way
//! (semantic → answers → db / model → script → exec → oracle → minimize → corpus → triage →
//! campaign) and each module can be read, tested and replaced on its own.
//!
//! An edge is any `crate::MODULE` path in a module's code outside comments and its
//! `#[cfg(test)]` part (tests may use anything).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// `crate::NAME` references in `code`, ignoring comment lines and everything from the first
/// `#[cfg(test)]` on.
fn references(code: &str) -> BTreeSet<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or_default();
    let mut names = BTreeSet::new();
    for line in code.lines().map(str::trim_start) {
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).expect("under src");
        let top = relative
            .components()
            .next()
            .expect("a path")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let code = std::fs::read_to_string(&file).expect("a readable file");
        let targets = edges.entry(top.clone()).or_default();
        targets.extend(references(&code).into_iter().filter(|name| *name != top));
    }
    edges
}

/// A cycle through `start`, if there is one (depth-first search).
fn cycle_from(
    edges: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in edges.get(path.last()?).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(next.clone());
            return Some(cycle);
        }
        if path.contains(next) {
            continue;
        }
        path.push(next.clone());
        if let Some(cycle) = cycle_from(edges, start, path) {
            return Some(cycle);
        }
        path.pop();
    }
    None
}

#[test]
fn the_reference_reader_sees_paths_not_comments() {
    let code = "use crate::a::B;\n// crate::comment\nfn f() { crate::c::d(); }\n#[cfg(test)]\nuse crate::t;";
    let names: Vec<String> = references(code).into_iter().collect();
    assert_eq!(names, ["a", "c"]);
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let edges = graph();
    assert!(edges.len() >= 15, "the modules are found: {edges:?}");
    let cycles: Vec<String> = edges
        .keys()
        .filter_map(|start| cycle_from(&edges, start, &mut vec![start.clone()]))
        .map(|cycle| cycle.join(" -> "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}
