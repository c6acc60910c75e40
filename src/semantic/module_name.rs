//! From file paths to dotted module names, and from relative imports to absolute ones.
//!
//! Paths are project-relative and use `/`: `pkg/mod.py` is `pkg.mod`, `pkg/__init__.py` is
//! `pkg`. A path that is not a `.py` file, or whose parts are not identifiers, has no module
//! name: such a file still has scopes and diagnostics, it just cannot be imported.

/// The module a file defines, if its path names one.
pub fn module_name_for_path(path: &str) -> Option<String> {
    let stem = path.strip_suffix(".py")?;
    let mut parts: Vec<&str> = stem.split('/').collect();
    if parts.last() == Some(&"__init__") {
        parts.pop();
    }
    if parts.is_empty() || !parts.iter().all(|part| is_identifier(part)) {
        return None;
    }
    Some(parts.join("."))
}

/// The package a file's relative imports start from: the module itself for `__init__.py`,
/// its parent otherwise.
fn package_parts(path: &str) -> Option<Vec<String>> {
    let module = module_name_for_path(path)?;
    let mut parts: Vec<String> = module.split('.').map(str::to_owned).collect();
    if !path.ends_with("__init__.py") {
        parts.pop();
    }
    Some(parts)
}

/// The absolute module an import of `level` dots and `module` refers to, seen from the file at
/// `importing_path`; `None` when a relative import climbs above the top-level package.
pub fn absolute_import(importing_path: &str, level: u32, module: Option<&str>) -> Option<String> {
    if level == 0 {
        return module
            .filter(|module| !module.is_empty())
            .map(str::to_owned);
    }
    let mut parts = package_parts(importing_path)?;
    for _ in 1..level {
        parts.pop();
    }
    // A top-level module has no package to be relative to; too many dots climb above the
    // top-level package. Python raises ImportError for both.
    if parts.is_empty() {
        return None;
    }
    if let Some(module) = module.filter(|module| !module.is_empty()) {
        parts.push(module.to_owned());
    }
    Some(parts.join("."))
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars
        .next()
        .is_some_and(|first| first == '_' || first.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_modules_and_packages() {
        assert_eq!(module_name_for_path("a.py").as_deref(), Some("a"));
        assert_eq!(module_name_for_path("p/q/r.py").as_deref(), Some("p.q.r"));
        assert_eq!(module_name_for_path("p/__init__.py").as_deref(), Some("p"));
        assert_eq!(module_name_for_path("__init__.py"), None);
        assert_eq!(module_name_for_path("p/1bad.py"), None);
        assert_eq!(module_name_for_path("notes.txt"), None);
    }

    #[test]
    fn relative_imports_climb_packages() {
        assert_eq!(
            absolute_import("p/q/r.py", 1, Some("s")).as_deref(),
            Some("p.q.s")
        );
        assert_eq!(absolute_import("p/q/r.py", 2, None).as_deref(), Some("p"));
        assert_eq!(
            absolute_import("p/__init__.py", 1, Some("m")).as_deref(),
            Some("p.m")
        );
        assert_eq!(absolute_import("p/q/r.py", 3, None), None);
        assert_eq!(absolute_import("top.py", 1, Some("x")), None);
        assert_eq!(absolute_import("top.py", 1, None), None);
        assert_eq!(
            absolute_import("any.py", 0, Some("os.path")).as_deref(),
            Some("os.path")
        );
    }
}
