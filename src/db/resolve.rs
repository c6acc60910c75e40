//! Cross-scope and cross-file resolution: interned names, module resolution, star-import
//! exports (with fixpoint iteration over import cycles) and per-scope name resolution.
//!
//! Nothing here accumulates diagnostics: `module_exports` can sit in a fixpoint cycle, and salsa
//! asserts that no query reachable from a cycle accumulates. Diagnostics live in `check`.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::semantic::{self, Binding, ImportRef, ScopeKind, SymbolFlags, SymbolTable};

use super::request::FixpointBody;
use super::{Db, ScopeId, Settings, SourceFile, compat, semantic_index, symbol_table};

/// A dotted module name, interned so that `resolve_module` is keyed by a salsa id.
///
/// Interned values that are not read for a few revisions are garbage-collected and their
/// slots reused (salsa's default `revisions = 3`): the churn of module names across edits is
/// part of what this database asks salsa to get right.
#[cfg_attr(feature = "persistence", salsa::interned(debug, persist))]
#[cfg_attr(not(feature = "persistence"), salsa::interned(debug))]
pub struct ModuleName<'db> {
    /// The dotted name, `pkg.mod`.
    #[returns(ref)]
    pub text: String,
}

/// A module's path (`pkg/m` for `pkg.m`), interned as ty interns paths: looked up by an owned
/// `PathBuf`, a borrowed `&Path` and (from salsa 0.26) a `Cow<Path>`, which must all find the
/// one value ([`super::compat::lookups_agree`]).
#[salsa::interned(debug)]
pub struct InternedPath<'db> {
    /// The path.
    #[returns(ref)]
    pub path: std::path::PathBuf,
}

/// A dotted name's parts (`["pkg", "m"]`), interned: looked up by an owned `Vec<String>`, a
/// borrowed `&[&str]` and (from salsa 0.26) a `Cow<[String]>`.
#[salsa::interned(debug)]
pub struct NameParts<'db> {
    /// The parts.
    #[returns(ref)]
    pub parts: Vec<String>,
}

/// A symbol name, interned as a key of `module_level_binding`.
///
/// `revisions = 1`, the most aggressive setting salsa allows: a name unread in the latest
/// revision may have its slot reused at once, so edits that make names disappear and come back
/// exercise interned-slot reuse (the class of salsa#1160). Before 0.23.0 (`cfg(salsa_interned_gc)`)
/// interned values are never collected and there is no such option.
#[cfg_attr(salsa_interned_gc, salsa::interned(debug, revisions = 1))]
#[cfg_attr(not(salsa_interned_gc), salsa::interned(debug))]
pub struct SymbolName<'db> {
    /// The identifier.
    #[returns(ref)]
    pub text: String,
}

/// The project file that defines module `name`, if any (a package's `__init__.py` wins over a
/// same-named module, then the smallest path).
///
/// Reads only the project's file list and the files' paths, never their texts, so editing a
/// file does not invalidate it.
#[cfg_attr(feature = "persistence", salsa::tracked(returns(copy), persist))]
#[cfg_attr(not(feature = "persistence"), salsa::tracked(returns(copy)))]
pub fn resolve_module<'db>(db: &'db dyn Db, name: ModuleName<'db>) -> Option<SourceFile> {
    let files = db.project().files(db);
    semantic::pick_module_file(
        files.iter().map(|&file| (file, file.path(db).as_str())),
        name.text(db),
    )
}

/// Resolves one import of `file` to the project file it names.
pub fn resolve_import(db: &dyn Db, file: SourceFile, import: &ImportRef) -> Option<SourceFile> {
    let module = semantic::absolute_import(file.path(db), import.level, import.module.as_deref())?;
    resolve_module(db, ModuleName::new(db, module))
}

/// The module scope's symbol table of `file`: a firewall between the (`no_eq`) semantic index
/// and the cross-file queries, which only care about module-level names.
#[salsa::tracked(returns(ref))]
pub fn module_table(db: &dyn Db, file: SourceFile) -> Arc<SymbolTable> {
    let table = match semantic_index(db, file).module_scope() {
        Some(module) => Arc::clone(symbol_table(db, module)),
        None => Arc::default(),
    };
    #[cfg(feature = "canary-stale")]
    let table = stale_canary(db, file, table);
    table
}

/// The planted stale answer (feature `canary-stale`): an untracked cache that hands back the
/// table computed for an earlier text of the same length. Deliberately wrong.
#[cfg(feature = "canary-stale")]
fn stale_canary(db: &dyn Db, file: SourceFile, table: Arc<SymbolTable>) -> Arc<SymbolTable> {
    let len = if file.exists(db) {
        file.text(db).len()
    } else {
        0
    };
    // Read from salsa before taking the lock: no salsa call (a shuttle switch point) with it held.
    let path = file.path(db);
    let mut cache = db
        .stale_cache()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match cache.get(path) {
        Some((cached_len, cached)) if *cached_len == len => Arc::clone(cached),
        _ => {
            cache.insert(path.clone(), (len, Arc::clone(&table)));
            table
        }
    }
}

/// The names `from file import *` provides, sorted: the module's public bindings plus, through
/// its own star imports, everything those modules export.
///
/// Star imports can form cycles (`a` star-imports `b`, `b` star-imports `a`, or a module
/// itself). Salsa resolves them by fixpoint iteration from the empty set (`cycle_initial`);
/// the union only grows, so iteration converges on the least fixpoint, which is what the model
/// computes by plain reachability.
#[cfg_attr(
    feature = "persistence",
    salsa::tracked(
        returns(ref),
        cycle_fn = compat::module_exports_cycle,
        cycle_initial = compat::module_exports_initial,
        persist
    )
)]
#[cfg_attr(
    not(feature = "persistence"),
    salsa::tracked(
        returns(ref),
        cycle_fn = compat::module_exports_cycle,
        cycle_initial = compat::module_exports_initial
    )
)]
pub fn module_exports(db: &dyn Db, file: SourceFile) -> Vec<String> {
    let _fixpoint = FixpointBody::enter();
    let table = module_table(db, file);
    let mut names: BTreeSet<String> = table.own_exports().map(str::to_owned).collect();
    for import in table.star_imports() {
        if let Some(target) = resolve_import(db, file, import) {
            names.extend(module_exports(db, target).iter().cloned());
        }
    }
    names.into_iter().collect()
}

/// Resolves `name` at the module level of `file`: module bindings, then star imports in
/// source order, then builtins: Python's, the settings' (the singleton input), the
/// environment's ([`environment_builtins`]), each read only when the ones before did not
/// decide. Keyed by an interned name, so scopes of the file that read the
/// same global share one memo.
#[salsa::tracked(returns(clone))]
pub fn module_level_binding<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    name: SymbolName<'db>,
) -> Binding {
    let table = module_table(db, file);
    let star_exports = table.star_imports().filter_map(|import| {
        let target = resolve_import(db, file, import)?;
        let module = semantic::module_name_for_path(target.path(db)).unwrap_or_default();
        Some((module, module_exports(db, target).as_slice()))
    });
    semantic::resolve_module_level(name.text(db), table, star_exports, |name| {
        let listed = |names: &[String]| names.iter().any(|extra| extra == name);
        listed(Settings::get(db).builtins(db)) || listed(environment_builtins(db))
    })
}

/// The names the environment adds to the builtins. The environment is state outside salsa
/// ([`Db::environment`]), so this query reports an untracked read: salsa re-executes it in
/// every new revision, and backdates its answer when unchanged, so that its readers are
/// verified rather than re-run. Keyed by nothing but the database.
#[salsa::tracked(returns(deref))]
pub fn environment_builtins(db: &dyn Db) -> Vec<String> {
    db.report_untracked_read();
    db.environment().as_ref().clone()
}

/// Every name read in `scope`, with where it resolves to, sorted by name.
///
/// Reads the scope's own table, its ancestors' tables (through the tracked `parent` and `kind`
/// fields) and, for names that reach module level, `module_level_binding`: an edit that
/// changes none of those leaves it untouched, whichever file the edit was in.
#[salsa::tracked(returns(ref))]
pub fn resolve_names<'db>(db: &'db dyn Db, scope: ScopeId<'db>) -> Arc<Vec<(String, Binding)>> {
    let mut chain = Vec::new();
    let mut current = Some(scope);
    while let Some(link) = current {
        let kind = link.kind(db);
        if kind == ScopeKind::Module {
            break;
        }
        chain.push((
            link.file_scope_id(db),
            kind,
            symbol_table(db, link).as_ref(),
        ));
        current = link.parent(db);
    }
    let file = scope.file(db);
    let resolutions = symbol_table(db, scope)
        .symbols
        .iter()
        .filter(|symbol| symbol.flags.contains(SymbolFlags::USED))
        .map(|symbol| {
            let binding = semantic::resolve_in_chain(&symbol.name, &chain).unwrap_or_else(|| {
                module_level_binding(db, file, SymbolName::new(db, symbol.name.as_str()))
            });
            (symbol.name.clone(), binding)
        })
        .collect();
    Arc::new(resolutions)
}
