//! Diagnostics, reported through a salsa accumulator and collected by `check_file`.
//!
//! The accumulating queries (`check_syntax`, `check_scope`) are called only by `check_file`,
//! never from `module_exports` or anything else a fixpoint cycle can reach: salsa asserts that
//! queries inside a cycle do not accumulate. They do read cycle results, which is allowed.

use salsa::Accumulator;

use crate::semantic::{self, Binding, Diagnostic, ImportEnv};

use super::request::DeferredPanic;

use super::{
    Db, ModuleName, ScopeId, SourceFile, SymbolName, callee_type, class_mro, module_exports,
    module_table, parsed_module, resolve_module, resolve_names, scope_calls, scope_inference,
    semantic_index, symbol_table,
};

/// The accumulator diagnostics flow through.
#[salsa::accumulator]
#[derive(Clone, Debug)]
pub struct Diagnostics(pub Diagnostic);

/// Reports the parser's syntax errors.
#[salsa::tracked]
pub fn check_syntax(db: &dyn Db, file: SourceFile) {
    for error in parsed_module(db, file).errors() {
        Diagnostics(semantic::syntax_error(file.path(db), error)).accumulate(db);
    }
}

/// Reports the unresolved imports and references of one scope.
#[salsa::tracked]
pub fn check_scope<'db>(db: &'db dyn Db, scope: ScopeId<'db>) {
    let file = scope.file(db);
    let path = file.path(db);
    let file_scope_id = scope.file_scope_id(db);
    let table = symbol_table(db, scope);
    let mut env = DbImportEnv { db };
    for diagnostic in semantic::check_imports(path, file_scope_id, &table.imports, &mut env) {
        Diagnostics(diagnostic).accumulate(db);
    }
    for (name, binding) in resolve_names(db, scope).iter() {
        if *binding == Binding::Unresolved {
            Diagnostics(semantic::unresolved_reference(path, file_scope_id, name)).accumulate(db);
        }
    }
    // Type inference, which can sit in a cycle; reading its results from here is allowed, and
    // nothing it calls accumulates.
    for name in scope_calls(db, scope) {
        if callee_type(db, scope, name).is_not_callable() {
            Diagnostics(semantic::not_callable(path, file_scope_id, name)).accumulate(db);
        }
    }
    // The module scope reports its classes that inherit from themselves (`class_mro`, a
    // `cycle_result` query, read from outside its cycles).
    if file_scope_id.index() == 0 {
        for name in scope_inference(db, scope).class_names() {
            if class_mro(db, file, SymbolName::new(db, name)).cyclic {
                Diagnostics(semantic::cyclic_class(path, name)).accumulate(db);
            }
        }
    }
}

/// Checks one file: syntax, then every scope. Its accumulated [`Diagnostics`] are the file's
/// diagnostics (see [`file_diagnostics`]).
///
/// Each scope's check runs behind a firewall, as ty's file check does: an injected panic out
/// of it (which may come from inside a fixpoint query the check reads) is caught here, inside
/// this query, the other scopes are checked, and then the panic goes on
/// ([`DeferredPanic`]). Salsa must carry on as if the panicking call had never been made,
/// including re-enabling the local cancellation it disabled for the fixpoint (salsa#1156).
#[salsa::tracked]
pub fn check_file(db: &dyn Db, file: SourceFile) {
    check_syntax(db, file);
    let mut firewall = DeferredPanic::default();
    for &scope in &semantic_index(db, file).scopes {
        firewall.run(|| check_scope(db, scope));
    }
    firewall.resume();
}

/// The diagnostics of `file`, sorted; reads them through the accumulator of `check_file`.
pub fn file_diagnostics(db: &dyn Db, file: SourceFile) -> Vec<Diagnostic> {
    check_file(db, file);
    let mut diagnostics: Vec<Diagnostic> = check_file::accumulated::<Diagnostics>(db, file)
        .into_iter()
        .map(|diagnostic| diagnostic.0.clone())
        .collect();
    diagnostics.sort();
    diagnostics
}

/// Answers import checking's questions with queries.
struct DbImportEnv<'db> {
    db: &'db dyn Db,
}

impl ImportEnv for DbImportEnv<'_> {
    type File = SourceFile;

    fn resolve(&mut self, module: &str) -> Option<SourceFile> {
        resolve_module(self.db, ModuleName::new(self.db, module))
    }

    fn module_binds(&mut self, file: SourceFile, name: &str) -> bool {
        module_table(self.db, file).binds(name)
    }

    fn exports(&mut self, file: SourceFile, name: &str) -> bool {
        module_exports(self.db, file)
            .binary_search_by(|export| export.as_str().cmp(name))
            .is_ok()
    }
}
