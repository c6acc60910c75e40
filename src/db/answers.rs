//! Reads every answer of the database into the comparable [`Answers`] value the model computes.

use std::sync::Arc;

use crate::answers::{Answers, FileAnswers, ScopeAnswers};

use super::{
    Db, file_diagnostics, module_exports, resolve_names, scope_facts, semantic_index, symbol_table,
};

/// Every answer the queries give for the live files, in path order. Must run on a handle
/// outside any query; may unwind with `salsa::Cancelled` when run on a background clone.
pub fn answers(db: &dyn Db) -> Answers {
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
                    name: scope.name(db).clone(),
                    parent: scope.parent(db).map(|parent| parent.file_scope_id(db)),
                    range: data.range,
                    symbols: Arc::clone(symbol_table(db, scope)),
                    facts: scope_facts(db, scope),
                    resolutions: Arc::clone(resolve_names(db, scope)),
                })
                .collect();
            FileAnswers {
                path: file.path(db).clone(),
                is_library: file.is_library(db),
                scopes,
                exports: module_exports(db, file).clone(),
                diagnostics: file_diagnostics(db, file),
            }
        })
        .collect();
    Answers { files }
}
