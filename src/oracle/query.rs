//! One query of a script, asked of the database or of the model, as a comparable answer.

use std::sync::Arc;

use crate::answers::{Closure, FileAnswers, FileTypes, SourceInput};
use crate::db::{
    FuzzDatabase, ModuleName, check_file, compat, file_closure, file_definitions, file_diagnostics,
    file_types, line_index, line_marks, line_starts, module_exports, parsed_module, qualified_name,
    resolve_module, resolve_names, scope_facts, semantic_index, symbol_table,
};
use crate::model::Model;
use crate::script::Query;
use crate::semantic::infer::DefinitionAnswer;
use crate::semantic::{
    self, Binding, Diagnostic, DiagnosticKind, FileScopeId, QualifiedName, ScopeFacts, ScopeKind,
    SymbolTable,
};

/// One scope as `semantic_index`, the scope's tracked fields, `scope_facts` and
/// `qualified_name` describe it: kind, name, parent, byte range, facts, qualified name.
pub type ScopeShape = (
    ScopeKind,
    String,
    Option<FileScopeId>,
    (u32, u32),
    ScopeFacts,
    QualifiedName,
);

/// A query's answer, comparable between the database and the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryAnswer {
    /// The file was never created: nothing to ask.
    Missing,
    /// Number of syntax errors of `parsed_module`.
    SyntaxErrors(usize),
    /// Every scope's kind, name, parent and range (with facts and qualified name), and the
    /// module's definitions.
    Scopes(Vec<ScopeShape>, Vec<DefinitionAnswer>),
    /// One scope's table.
    Symbols(Arc<SymbolTable>),
    /// One scope's resolutions.
    Resolutions(Arc<Vec<(String, Binding)>>),
    /// A module's exports.
    Exports(Vec<String>),
    /// A file's diagnostics.
    Diagnostics(Vec<Diagnostic>),
    /// The path a module resolves to.
    Module(Option<String>),
    /// Interning the module name twice in one revision gave two ids (never the model's).
    InternedTwice(String),
    /// The types of the module's names, and what each function scope returns.
    Types(FileTypes),
    /// A module's star-import closure.
    Closure(Closure),
    /// The line count as each line probe gives it.
    Lines {
        /// `line_index`.
        index: usize,
        /// How many line starts `line_starts` has.
        starts: usize,
        /// How many `LineMark`s `line_marks` created.
        marks: usize,
    },
}

impl QueryAnswer {
    /// The database query whose answer differs between `self` and `other`, answers to `query`:
    /// `scope_facts` or `qualified_name` when two scope lists differ only in what those
    /// answer, `class_mro` when two diagnostic lists differ only in cyclic classes,
    /// `line_index`, `line_starts` or `line_marks` for the line probe that differs, else the
    /// query `query` names.
    pub fn query_behind(&self, other: &QueryAnswer, query: Query) -> &'static str {
        if let (
            QueryAnswer::Scopes(left, left_definitions),
            QueryAnswer::Scopes(right, right_definitions),
        ) = (self, other)
        {
            if left == right && left_definitions != right_definitions {
                return "module_definitions";
            }
            let shape = |scopes: &[ScopeShape]| -> Vec<_> {
                scopes
                    .iter()
                    .map(|(kind, name, parent, range, _, _)| (*kind, name.clone(), *parent, *range))
                    .collect()
            };
            if shape(left) == shape(right) {
                let facts = |scopes: &[ScopeShape]| -> Vec<ScopeFacts> {
                    scopes.iter().map(|scope| scope.4).collect()
                };
                return if facts(left) == facts(right) {
                    "qualified_name"
                } else {
                    "scope_facts"
                };
            }
        }
        if let (QueryAnswer::Diagnostics(left), QueryAnswer::Diagnostics(right)) = (self, other) {
            // A cyclic-class diagnostic is `class_mro`'s answer, reported by `check_file`.
            let others = |diagnostics: &[Diagnostic]| -> Vec<Diagnostic> {
                diagnostics
                    .iter()
                    .filter(|diagnostic| diagnostic.kind != DiagnosticKind::CyclicClass)
                    .cloned()
                    .collect()
            };
            if others(left) == others(right) {
                return "class_mro";
            }
        }
        if let (QueryAnswer::Types(left), QueryAnswer::Types(right)) = (self, other) {
            return if left.names != right.names {
                "infer_binding"
            } else if left.returns != right.returns {
                "infer_return"
            } else {
                "class_mro"
            };
        }
        if let (
            QueryAnswer::Lines {
                index,
                starts,
                marks: _,
            },
            QueryAnswer::Lines {
                index: other_index,
                starts: other_starts,
                marks: _,
            },
        ) = (self, other)
        {
            return if index != other_index {
                "line_index"
            } else if starts != other_starts {
                "line_starts"
            } else {
                "line_marks"
            };
        }
        query.name()
    }
}

/// The absolute module a [`Query::ResolveModule`] asks for: relative names are taken from
/// inside the package `pkg`.
fn queried_module(module: &str) -> Option<String> {
    let level = module.len() - module.trim_start_matches('.').len();
    let rest = Some(module.trim_start_matches('.')).filter(|rest| !rest.is_empty());
    semantic::absolute_import("pkg/__init__.py", level as u32, rest)
}

/// Asks `query` of the database. May unwind with `salsa::Cancelled` on a background handle.
pub fn ask_database(db: &FuzzDatabase, query: Query) -> QueryAnswer {
    let file_of = |slot: crate::script::FileSlot| db.file(slot.path());
    match query {
        Query::ResolveModule(module) => {
            let Some(name) = queried_module(module.as_str()) else {
                return QueryAnswer::Module(None);
            };
            // salsa's contract for interning, which ty relies on when it compares interned
            // types by id: equal data gives one id, looked up by `&str` or by `String` (and
            // the name's path and parts by every form salsa takes, `compat::lookups_agree`).
            let key = ModuleName::new(db, name.as_str());
            if ModuleName::new(db, name.clone()) != key || !compat::lookups_agree(db, &name) {
                return QueryAnswer::InternedTwice(name);
            }
            let file = resolve_module(db, key);
            QueryAnswer::Module(file.map(|file| file.path(db).clone()))
        }
        Query::Parse(slot) => match file_of(slot) {
            None => QueryAnswer::Missing,
            Some(file) => QueryAnswer::SyntaxErrors(parsed_module(db, file).errors().len()),
        },
        Query::Scopes(slot) => match file_of(slot) {
            None => QueryAnswer::Missing,
            Some(file) => {
                let index = semantic_index(db, file);
                let scopes = index
                    .scopes
                    .iter()
                    .zip(&index.index.scopes)
                    .map(|(&scope, data)| {
                        let parent = scope.parent(db).map(|parent| parent.file_scope_id(db));
                        let facts = scope_facts(db, scope);
                        (
                            scope.kind(db),
                            scope.name(db).clone(),
                            parent,
                            data.range,
                            facts,
                            qualified_name(db, scope).clone(),
                        )
                    })
                    .collect();
                QueryAnswer::Scopes(scopes, file_definitions(db, file))
            }
        },
        Query::SymbolTable(slot, position) | Query::ResolveNames(slot, position) => {
            let Some(file) = file_of(slot) else {
                return QueryAnswer::Missing;
            };
            let scopes = &semantic_index(db, file).scopes;
            let Some(&scope) = scopes.get(usize::from(position) % scopes.len().max(1)) else {
                return QueryAnswer::Missing;
            };
            if matches!(query, Query::SymbolTable(..)) {
                QueryAnswer::Symbols(Arc::clone(symbol_table(db, scope)))
            } else {
                QueryAnswer::Resolutions(Arc::clone(resolve_names(db, scope)))
            }
        }
        Query::Exports(slot) => match file_of(slot) {
            None => QueryAnswer::Missing,
            Some(file) => QueryAnswer::Exports(module_exports(db, file).clone()),
        },
        Query::Diagnostics(slot) => match file_of(slot) {
            None => QueryAnswer::Missing,
            Some(file) => {
                check_file(db, file);
                QueryAnswer::Diagnostics(file_diagnostics(db, file))
            }
        },
        Query::Types(slot) => match file_of(slot) {
            None => QueryAnswer::Missing,
            Some(file) => QueryAnswer::Types(file_types(db, file)),
        },
        Query::Closure(slot) => match file_of(slot) {
            None => QueryAnswer::Missing,
            Some(file) => QueryAnswer::Closure(file_closure(db, file)),
        },
        Query::Lines(slot) => match file_of(slot) {
            None => QueryAnswer::Missing,
            Some(file) => QueryAnswer::Lines {
                index: line_index(db, file),
                starts: line_starts(db, file).len(),
                marks: line_marks(db, file).len(),
            },
        },
    }
}

/// What the model says a query answers. `created` tells whether the file was ever created: a
/// removed file's handle still answers, as an empty module.
pub fn ask_model(model: &Model, query: Query, created: bool) -> QueryAnswer {
    if let Query::ResolveModule(module) = query {
        let Some(name) = queried_module(module.as_str()) else {
            return QueryAnswer::Module(None);
        };
        let paths = model.paths().map(|path| (path, path));
        return QueryAnswer::Module(semantic::pick_module_file(paths, &name).map(str::to_owned));
    }
    let slot = match query {
        Query::Parse(slot)
        | Query::Scopes(slot)
        | Query::SymbolTable(slot, _)
        | Query::ResolveNames(slot, _)
        | Query::Exports(slot)
        | Query::Diagnostics(slot)
        | Query::Types(slot)
        | Query::Closure(slot)
        | Query::Lines(slot) => slot,
        Query::ResolveModule(_) => return QueryAnswer::Missing,
    };
    if !created {
        return QueryAnswer::Missing;
    }
    if let Query::Lines(_) = query {
        // A removed file's handle reads as empty.
        let lines = model.text_lines(slot.path()).unwrap_or(0);
        return QueryAnswer::Lines {
            index: lines,
            starts: lines,
            marks: lines,
        };
    }
    let path = slot.path();
    let removed;
    // Inferred types, and the diagnostics that read them, need the whole project inferred.
    let answers = if matches!(query, Query::Types(_) | Query::Diagnostics(_)) {
        model.file(path)
    } else {
        model.file_without_types(path)
    };
    let file = match answers {
        Some(file) => file,
        None => {
            removed = removed_file_answers(path);
            &removed
        }
    };
    extract(file, query)
}

fn removed_file_answers(path: &str) -> FileAnswers {
    let empty = SourceInput {
        path: path.to_owned(),
        text: String::new(),
        is_library: false,
    };
    let mut answers = crate::model::compute(&[empty]);
    // A removed module is not importable, so the empty module's own view is all that is left;
    // it cannot see itself through imports either (it has none).
    answers.files.pop().unwrap_or_else(|| FileAnswers {
        path: path.to_owned(),
        is_library: false,
        scopes: Vec::new(),
        definitions: Vec::new(),
        exports: Vec::new(),
        closure: Closure::default(),
        types: Vec::new(),
        classes: Vec::new(),
        diagnostics: Vec::new(),
    })
}

fn extract(file: &FileAnswers, query: Query) -> QueryAnswer {
    match query {
        Query::Parse(_) => QueryAnswer::SyntaxErrors(
            file.diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.kind == DiagnosticKind::SyntaxError)
                .count(),
        ),
        Query::Scopes(_) => QueryAnswer::Scopes(
            file.scopes
                .iter()
                .map(|scope| {
                    let (kind, name) = (scope.kind, scope.name.clone());
                    let facts = scope.facts;
                    (
                        kind,
                        name,
                        scope.parent,
                        scope.range,
                        facts,
                        scope.qualname.clone(),
                    )
                })
                .collect(),
            file.definitions.clone(),
        ),
        Query::SymbolTable(_, position) | Query::ResolveNames(_, position) => {
            let Some(scope) = file
                .scopes
                .get(usize::from(position) % file.scopes.len().max(1))
            else {
                return QueryAnswer::Missing;
            };
            if matches!(query, Query::SymbolTable(..)) {
                QueryAnswer::Symbols(Arc::clone(&scope.symbols))
            } else {
                QueryAnswer::Resolutions(Arc::clone(&scope.resolutions))
            }
        }
        Query::Exports(_) => QueryAnswer::Exports(file.exports.clone()),
        Query::Closure(_) => QueryAnswer::Closure(file.closure.clone()),
        Query::Diagnostics(_) => QueryAnswer::Diagnostics(file.diagnostics.clone()),
        Query::Types(_) => QueryAnswer::Types(FileTypes {
            names: file.types.clone(),
            returns: file
                .scopes
                .iter()
                .enumerate()
                .filter_map(|(position, scope)| Some((position as u32, scope.returns.clone()?)))
                .collect(),
            classes: file.classes.clone(),
        }),
        Query::ResolveModule(_) | Query::Lines(_) => QueryAnswer::Missing,
    }
}
