//! Reads every answer of the database into the comparable [`Answers`] value the model computes.

use std::sync::Arc;

use crate::answers::{Answers, Closure, FileAnswers, FileTypes, ScopeAnswers};

use crate::semantic::ScopeKind;
use crate::semantic::infer::{Mro, ScopeInference, Ty};

use super::{
    Db, Node, SourceFile, SymbolName, class_mro, file_definitions, file_diagnostics, infer_binding,
    infer_return, module_exports, node_name, qualified_name, resolve_names, scope_facts,
    scope_inference, semantic_index, star_closure, symbol_table,
};

/// Every answer the queries give for the live files, in path order. Must run on a handle
/// outside any query; may unwind with `salsa::Cancelled` when run on a background clone.
pub fn answers(db: &dyn Db) -> Answers {
    answers_with(db, true)
}

/// [`answers`], with the star-import closures asked only if `closures` (else left empty).
pub fn answers_with(db: &dyn Db, closures: bool) -> Answers {
    let files = db.project().files(db).clone();
    let files = files
        .into_iter()
        .map(|file| {
            let index = semantic_index(db, file);
            let scopes = index
                .scopes
                .iter()
                .zip(&index.index.scopes)
                .map(|(&scope, data)| ScopeAnswers {
                    kind: scope.kind(db),
                    name: node_name(db, Node::Scope(scope)).clone(),
                    parent: scope.parent(db).map(|parent| parent.file_scope_id(db)),
                    range: data.range,
                    symbols: Arc::clone(symbol_table(db, scope)),
                    facts: scope_facts(db, scope),
                    qualname: qualified_name(db, scope).clone(),
                    resolutions: Arc::clone(resolve_names(db, scope)),
                    returns: (data.kind == ScopeKind::Function)
                        .then(|| infer_return(db, scope).clone()),
                })
                .collect();
            // The functions' returns are in `scopes`; only the module's names are left.
            let types = binding_types(db, file);
            FileAnswers {
                path: file.path(db).clone(),
                is_library: file.is_library(db),
                scopes,
                definitions: file_definitions(db, file),
                exports: module_exports(db, file).clone(),
                closure: if closures {
                    file_closure(db, file)
                } else {
                    Closure::default()
                },
                types,
                classes: class_orders(db, file),
                diagnostics: file_diagnostics(db, file),
            }
        })
        .collect();
    Answers { files }
}

/// The star-import closure of `file` ([`star_closure`]), as the oracle compares it.
pub fn file_closure(db: &dyn Db, file: SourceFile) -> Closure {
    let closure = star_closure(db, file);
    Closure {
        files: closure.files.clone(),
        size: closure.size,
        reached: closure.reached.clone(),
    }
}

/// The inferred types of `file`: every name its module binds for inference, sorted, and what
/// each of its function scopes returns (by position).
pub fn file_types(db: &dyn Db, file: SourceFile) -> FileTypes {
    let index = semantic_index(db, file);
    let returns = index
        .scopes
        .iter()
        .zip(&index.index.scopes)
        .enumerate()
        .filter(|(_, (_, data))| data.kind == ScopeKind::Function)
        .map(|(position, (&scope, _))| (position as u32, infer_return(db, scope).clone()))
        .collect();
    FileTypes {
        names: binding_types(db, file),
        returns,
        classes: class_orders(db, file),
    }
}

/// Every module-level class of `file`, sorted by name, with its method resolution order.
fn class_orders(db: &dyn Db, file: SourceFile) -> Vec<(String, Mro)> {
    per_module_name(db, file, ScopeInference::class_names, |name| {
        class_mro(db, file, name).clone()
    })
}

/// Every name the module of `file` binds for inference, sorted, with its type.
fn binding_types(db: &dyn Db, file: SourceFile) -> Vec<(String, Ty)> {
    per_module_name(db, file, ScopeInference::bound_names, |name| {
        infer_binding(db, file, name).clone()
    })
}

/// Each name `names` lists of `file`'s module scope, with what `ask` answers for it.
fn per_module_name<'db, T>(
    db: &'db dyn Db,
    file: SourceFile,
    names: fn(&ScopeInference) -> Vec<&str>,
    ask: impl Fn(SymbolName<'db>) -> T,
) -> Vec<(String, T)> {
    let Some(module) = semantic_index(db, file).module_scope() else {
        return Vec::new();
    };
    names(scope_inference(db, module))
        .into_iter()
        .map(|name| (name.to_owned(), ask(SymbolName::new(db, name))))
        .collect()
}
