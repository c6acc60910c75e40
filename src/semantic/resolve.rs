//! Name-resolution and import-checking rules, written once for the database and the model.
//!
//! The rules take their inputs as plain values (a chain of symbol tables) or through the small
//! [`ImportEnv`] trait, so the database can answer each question with a salsa query and the
//! model with a map lookup.

use super::{
    Diagnostic, DiagnosticKind, FileScopeId, ImportKind, ImportRef, ScopeKind, SymbolFlags,
    SymbolTable, absolute_import, is_builtin,
};

/// Where a name read in a scope comes from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Binding {
    /// Bound in the reading scope itself.
    Local,
    /// Bound in an enclosing function-like scope of the same file.
    Enclosing(FileScopeId),
    /// Bound at module level.
    Module,
    /// Provided by a `from m import *` of the module; the resolved module's name.
    StarImport(String),
    /// A builtin.
    Builtin,
    /// Nothing provides it.
    Unresolved,
}

/// Resolves `name` through `chain`, the scopes from the reading one (first) out to, but not
/// including, the module scope. `None` means "look it up at module level", which needs other
/// files and is answered by [`resolve_module_level`].
pub fn resolve_in_chain(
    name: &str,
    chain: &[(FileScopeId, ScopeKind, &SymbolTable)],
) -> Option<Binding> {
    let (_, kind, table) = chain.first()?;
    if *kind == ScopeKind::Module {
        return None;
    }
    if let Some(symbol) = table.get(name) {
        if symbol.flags.contains(SymbolFlags::GLOBAL) {
            return None;
        }
        if symbol.flags.contains(SymbolFlags::NONLOCAL) {
            return Some(resolve_nonlocal(name, &chain[1..]));
        }
        if symbol.is_local_binding() {
            return Some(Binding::Local);
        }
    }
    for (id, kind, table) in &chain[1..] {
        if !kind.is_visible_to_nested() {
            continue;
        }
        match table.get(name) {
            Some(symbol) if symbol.flags.contains(SymbolFlags::GLOBAL) => return None,
            Some(symbol) if symbol.is_local_binding() => return Some(Binding::Enclosing(*id)),
            _ => {}
        }
    }
    None
}

fn resolve_nonlocal(name: &str, enclosing: &[(FileScopeId, ScopeKind, &SymbolTable)]) -> Binding {
    enclosing
        .iter()
        .filter(|(_, kind, _)| kind.is_visible_to_nested())
        .find(|(_, _, table)| table.binds(name))
        .map_or(Binding::Unresolved, |(id, _, _)| Binding::Enclosing(*id))
}

/// Resolves `name` at module level: bound by the module, else provided by the first star
/// import whose module exports it (`star_exports` gives `(module name, exports)` of each star
/// import that resolves, in source order), else a builtin: Python's, or one of the names the
/// project's settings and environment add (`extra_builtin`, asked last, and only then).
pub fn resolve_module_level<'a>(
    name: &str,
    module_table: &SymbolTable,
    star_exports: impl IntoIterator<Item = (String, &'a [String])>,
    extra_builtin: impl FnOnce(&str) -> bool,
) -> Binding {
    if module_table.binds(name) {
        return Binding::Module;
    }
    for (module, exports) in star_exports {
        if exports
            .binary_search_by(|export| export.as_str().cmp(name))
            .is_ok()
        {
            return Binding::StarImport(module);
        }
    }
    if is_builtin(name) || extra_builtin(name) {
        Binding::Builtin
    } else {
        Binding::Unresolved
    }
}

/// The questions import checking asks about other modules.
pub trait ImportEnv {
    /// The handle of the project file defining module `name`, if any.
    type File: Copy;
    /// Resolves a dotted module name to a project file.
    fn resolve(&mut self, module: &str) -> Option<Self::File>;
    /// Whether the module scope of `file` binds `name` (private names included).
    fn module_binds(&mut self, file: Self::File, name: &str) -> bool;
    /// Whether `from file import *` provides `name`.
    fn exports(&mut self, file: Self::File, name: &str) -> bool;
}

/// The diagnostics of the imports of one scope of the file at `path`.
pub fn check_imports(
    path: &str,
    scope: FileScopeId,
    imports: &[ImportRef],
    env: &mut impl ImportEnv,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut report = |kind, message: String| {
        diagnostics.push(Diagnostic {
            path: path.to_owned(),
            kind,
            scope: Some(scope),
            offset: 0,
            message,
        });
    };
    for import in imports {
        let Some(module) = absolute_import(path, import.level, import.module.as_deref()) else {
            let shown = import.display_module();
            report(
                DiagnosticKind::UnresolvedImport,
                format!("relative import `{shown}` goes beyond the top-level package"),
            );
            continue;
        };
        let Some(file) = env.resolve(&module) else {
            report(
                DiagnosticKind::UnresolvedImport,
                format!("cannot resolve module `{module}`"),
            );
            continue;
        };
        if let ImportKind::Member(name) = &import.kind {
            let found = env.module_binds(file, name)
                || env.exports(file, name)
                || env.resolve(&format!("{module}.{name}")).is_some();
            if !found {
                report(
                    DiagnosticKind::UnresolvedImportName,
                    format!("module `{module}` has no member `{name}`"),
                );
            }
        }
    }
    diagnostics
}

/// The file defining module `module` among `files` (handle, path): a package's `__init__.py`
/// wins over a same-named module file, then the smallest path.
pub fn pick_module_file<'a, F: Copy>(
    files: impl IntoIterator<Item = (F, &'a str)>,
    module: &str,
) -> Option<F> {
    files
        .into_iter()
        .filter(|(_, path)| super::module_name_for_path(path).as_deref() == Some(module))
        .min_by_key(|(_, path)| (!path.ends_with("__init__.py"), *path))
        .map(|(file, _)| file)
}

/// The diagnostic for a name that resolves to nothing.
pub fn unresolved_reference(path: &str, scope: FileScopeId, name: &str) -> Diagnostic {
    Diagnostic {
        path: path.to_owned(),
        kind: DiagnosticKind::UnresolvedReference,
        scope: Some(scope),
        offset: 0,
        message: format!("unresolved reference `{name}`"),
    }
}

/// The diagnostic for a call of `name` in `scope` whose inferred type cannot be called.
pub fn not_callable(path: &str, scope: FileScopeId, name: &str) -> Diagnostic {
    Diagnostic {
        path: path.to_owned(),
        kind: DiagnosticKind::NotCallable,
        scope: Some(scope),
        offset: 0,
        message: format!("`{name}` is not callable"),
    }
}

/// The diagnostic for a module-level class `name` that inherits from itself through its bases.
pub fn cyclic_class(path: &str, name: &str) -> Diagnostic {
    Diagnostic {
        path: path.to_owned(),
        kind: DiagnosticKind::CyclicClass,
        scope: Some(FileScopeId(0)),
        offset: 0,
        message: format!("cyclic definition of class `{name}`"),
    }
}

/// The diagnostic for one error the parser recovered from.
pub fn syntax_error(path: &str, error: &ruff_python_parser::ParseError) -> Diagnostic {
    Diagnostic {
        path: path.to_owned(),
        kind: DiagnosticKind::SyntaxError,
        scope: None,
        offset: error.location.start().into(),
        message: error.error.to_string(),
    }
}
