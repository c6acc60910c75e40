//! The database on salsa's 2024 API: the per-file part of [`crate::db`], written for the
//! salsa of ruff#13071 (inputs, tracked functions, tracked structs with `#[id]` fields,
//! `return_ref`, `no_eq`, `lru`; no fixpoint iteration, so nothing cross-file).
//!
//! Each query is its counterpart in [`crate::db`], so that each can only answer wrong by a
//! wrong salsa decision:
//!
//! | salsa decision | query | the step that changes that alone |
//! | --- | --- | --- |
//! | tracked structs created, deleted and recreated (ruff#13071) | [`semantic_index`] creates a [`ScopeId`] per scope (identity: file and position), [`line_marks`] a [`LineMark`] per line (identity: the line's text, whose field the executor reads back) | `edit … clear`, `edit … restore N`, `remove`/`add` |
//! | a tracked field read alone | [`scope_shape`] reads a scope's `kind`, `name` and `parent` fields | an edit turning `def` into `class` at one position |
//! | deep verification of an input-field edge | [`parsed_module`], [`text_lines`], [`line_starts`] | any edit, `remove`/`add` |
//! | of an edge to another memo | [`symbol_table`] (equal tables after an edit elsewhere in the file are backdated), [`line_index`] (reads only `text_lines`) | an edit in a sibling scope, an edit within a line |
//! | shallow verification by durability | everything about a library (HIGH) or MEDIUM file | `durability FILE CLASS`, `library FILE on`, `synthetic-write CLASS` |
//! | LRU eviction and re-execution | [`parsed_module`] and [`line_starts`] (`lru-capacity N` sets both) | queries of several files, a write, the first again |
//!
//! A backdating or an eviction that salsa gets wrong by doing *more* work changes no value; the
//! main executor sees those through salsa's events (`exec::lines`), this one does not.

//! The answers are compared with [`crate::model`]'s, as the main database's are.
//!
//! salsa's macros name their crate by a relative path (`salsa::plumbing::…`), and this crate's
//! `salsa` is the pinned one: without the implicit preludes (the extern prelude among them),
//! `salsa` here can only be the alias below, the 2024 checkout.
#![no_implicit_prelude]

use ::salsa_2024 as salsa;
// salsa's macros name `std` and `core` by relative paths too.
#[allow(
    unused_imports,
    reason = "which of the two a release's macros name varies"
)]
use ::{core, std};
use ::std::prelude::rust_2024::*;
use ::std::sync::Arc;

// `Setter` brings the input setters' `to`.
use salsa::Setter as _;

use crate::semantic::{FileIndex, FileScopeId, ParsedModule, ScopeKind, SymbolTable, parse_source};

/// One Python file: its text and whether it exists. A removed file keeps its handle (as ty's
/// `File` does) and reads as empty.
#[salsa::input]
pub struct SourceFile {
    /// The file's text.
    #[return_ref]
    pub text: String,
    /// Whether the file exists.
    pub exists: bool,
}

fn current_text(db: &dyn salsa::Database, file: SourceFile) -> &str {
    if file.exists(db) { file.text(db) } else { "" }
}

/// The file's AST (`no_eq`: byte offsets make almost every new tree different).
#[salsa::tracked(return_ref, no_eq, lru = 32)]
pub fn parsed_module(db: &dyn salsa::Database, file: SourceFile) -> ParsedAst {
    ParsedAst(parse_source(current_text(db, file)))
}

/// [`ParsedModule`], as salsa stores it (`no_eq`: never compared).
#[derive(Clone, Debug)]
pub struct ParsedAst(pub ParsedModule);

// The 0.18.0 release asks `Update` of a tracked function's value; its derive names `::salsa`,
// the pinned salsa in this crate, so these two are written by hand.
// SAFETY (both): the new value replaces the old one whole and a change is reported; nothing
// in either value borrows from the database (scope ids are `Copy` handles, the rest is
// owned), so dropping the old value in place is sound.
unsafe impl salsa::Update for ParsedAst {
    unsafe fn maybe_update(old_pointer: *mut Self, new_value: Self) -> bool {
        // SAFETY: salsa passes a valid pointer to the old value, exclusively.
        unsafe { *old_pointer = new_value };
        true
    }
}

unsafe impl salsa::Update for SemanticIndex<'_> {
    unsafe fn maybe_update(old_pointer: *mut Self, new_value: Self) -> bool {
        // SAFETY: salsa passes a valid pointer to the old value, exclusively.
        unsafe { *old_pointer = new_value };
        true
    }
}

/// A scope, identified by its file and its position in the file: the same position is "the
/// same" scope across revisions; its kind, name and parent are value fields.
#[salsa::tracked]
pub struct ScopeId<'db> {
    /// The file the scope belongs to.
    #[id]
    pub file: SourceFile,
    /// The scope's position within its file.
    #[id]
    pub position: u32,
    /// What opened the scope.
    pub kind: ScopeKind,
    /// The function, class or alias name, or `<lambda>`, ….
    #[return_ref]
    pub name: String,
    /// The enclosing scope; `None` for the module scope.
    pub parent: Option<ScopeId<'db>>,
}

/// The semantic index of one file: the pure [`FileIndex`] and a salsa handle per scope.
#[derive(Clone, Debug)]
pub struct SemanticIndex<'db> {
    /// The scopes' handles, in the index's order.
    pub scopes: Vec<ScopeId<'db>>,
    /// What the AST walk found.
    pub index: Arc<FileIndex>,
}

/// Walks the file's AST once and creates one tracked [`ScopeId`] per scope: the path of
/// ruff#13071 (`semantic_index → push_scope → ScopeId::new`).
#[salsa::tracked(return_ref, no_eq)]
pub fn semantic_index(db: &dyn salsa::Database, file: SourceFile) -> SemanticIndex<'_> {
    let index = Arc::clone(parsed_module(db, file).0.index());
    let mut scopes: Vec<ScopeId<'_>> = Vec::with_capacity(index.scopes.len());
    for (position, scope) in index.scopes.iter().enumerate() {
        let parent = scope
            .parent
            .and_then(|parent| scopes.get(parent.index()).copied());
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        scopes.push(ScopeId::new(
            db,
            file,
            position,
            scope.kind,
            scope.name.clone(),
            parent,
        ));
    }
    SemanticIndex { scopes, index }
}

/// A scope's kind, name and parent position, read from its tracked fields alone.
#[salsa::tracked(return_ref)]
pub fn scope_shape<'db>(
    db: &'db dyn salsa::Database,
    scope: ScopeId<'db>,
) -> (ScopeKind, String, Option<u32>) {
    (
        scope.kind(db),
        scope.name(db).clone(),
        scope.parent(db).map(|parent| parent.position(db)),
    )
}

/// The symbols of one scope: a firewall that salsa backdates when the table is equal.
#[salsa::tracked(return_ref)]
pub fn symbol_table<'db>(db: &'db dyn salsa::Database, scope: ScopeId<'db>) -> Arc<SymbolTable> {
    let index = semantic_index(db, scope.file(db));
    index
        .index
        .scope(FileScopeId(scope.position(db)))
        .map(|data| Arc::clone(&data.table))
        .unwrap_or_default()
}

/// How many lines the file has.
#[salsa::tracked]
pub fn text_lines(db: &dyn salsa::Database, file: SourceFile) -> usize {
    current_text(db, file).lines().count()
}

/// [`text_lines`], through a memo that is reused when `text_lines` is backdated.
#[salsa::tracked]
pub fn line_index(db: &dyn salsa::Database, file: SourceFile) -> usize {
    text_lines(db, file)
}

/// The byte offset of each line, with an LRU capacity of 2.
#[salsa::tracked(return_ref, lru = 2)]
pub fn line_starts(db: &dyn salsa::Database, file: SourceFile) -> Vec<u32> {
    crate::semantic::line_starts(current_text(db, file))
}

/// One line of a file, identified by its text (equal lines told apart by creation order).
#[salsa::tracked]
pub struct LineMark<'db> {
    /// The line's text.
    #[id]
    #[return_ref]
    pub text: String,
}

/// One [`LineMark`] per line: structs created, deleted and recreated as lines come and go.
#[salsa::tracked(return_ref)]
pub fn line_marks(db: &dyn salsa::Database, file: SourceFile) -> Vec<LineMark<'_>> {
    current_text(db, file)
        .lines()
        .map(|line| LineMark::new(db, line.to_owned()))
        .collect()
}

/// The database: salsa's storage and nothing else (every query reads tracked inputs only).
#[salsa::db]
#[derive(Default, Clone)]
pub struct Database2024 {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for Database2024 {
    fn salsa_event(&self, _event: &dyn Fn() -> salsa::Event) {}
}

/// salsa's durability for a durability class.
pub fn durability(class: crate::script::DurabilityClass) -> salsa::Durability {
    match class {
        crate::script::DurabilityClass::Low => salsa::Durability::LOW,
        crate::script::DurabilityClass::Medium => salsa::Durability::MEDIUM,
        crate::script::DurabilityClass::High => salsa::Durability::HIGH,
    }
}

/// Sets a file's text and existence at `durability` (creating its input the first time).
pub fn write(
    db: &mut Database2024,
    file: Option<SourceFile>,
    text: &str,
    exists: bool,
    durability: salsa::Durability,
) -> SourceFile {
    match file {
        None => {
            let file = SourceFile::new(db, text.to_owned(), exists);
            if durability != salsa::Durability::LOW {
                set(db, file, text, exists, durability);
            }
            file
        }
        Some(file) => {
            set(db, file, text, exists, durability);
            file
        }
    }
}

fn set(
    db: &mut Database2024,
    file: SourceFile,
    text: &str,
    exists: bool,
    durability: salsa::Durability,
) {
    file.set_text(db)
        .with_durability(durability)
        .to(text.to_owned());
    file.set_exists(db).with_durability(durability).to(exists);
}

/// Sets the LRU capacity of [`parsed_module`] and [`line_starts`] (0: no eviction), as the
/// main database's `lru-capacity N` does. (salsa generates the setters private to this module.)
pub fn set_lru_capacity(db: &Database2024, capacity: usize) {
    parsed_module::set_lru_capacity(db, capacity);
    line_starts::set_lru_capacity(db, capacity);
}

/// A new revision with no input changed.
pub fn synthetic_write(db: &mut Database2024, durability: salsa::Durability) {
    salsa::Database::synthetic_write(db, durability);
}
