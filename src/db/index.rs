//! The semantic index: one walk per file that creates a tracked [`ScopeId`] per scope, and the
//! per-scope `symbol_table` firewall.
//!
//! This is the path of ruff#13071 (`semantic_index → push_scope → ScopeId::new`): scope
//! structs are created by a query, disappear when an edit removes their scope, and come back
//! when an edit restores it, which is where salsa's tracked-struct bugs live.

use std::sync::Arc;

use crate::semantic::{FileIndex, FileScopeId, QualifiedName, ScopeFacts, ScopeKind, SymbolTable};

use super::{Db, SourceFile, compat, parsed_module};

/// A scope, as a salsa handle valid for one revision.
///
/// Its identity is `(file, file_scope_id)`: the n-th scope of a file is "the same" scope across
/// revisions, so a query keyed by it can be reused when the scope's table is unchanged. Its
/// kind, name and parent are `#[tracked]` fields: a query reading only `parent` is not
/// invalidated when an edit turns a function into a class at the same position.
#[salsa::tracked(debug)]
pub struct ScopeId<'db> {
    /// The file the scope belongs to.
    #[returns(copy)]
    pub file: SourceFile,
    /// The scope's index within its file.
    #[returns(copy)]
    pub file_scope_id: FileScopeId,
    /// What opened the scope.
    #[tracked]
    #[returns(copy)]
    pub kind: ScopeKind,
    /// The function, class or alias name, or `<lambda>`, `<listcomp>`, ….
    #[tracked]
    #[returns(ref)]
    pub name: String,
    /// The enclosing scope; `None` for the module scope.
    #[tracked]
    #[returns(copy)]
    pub parent: Option<ScopeId<'db>>,
}

/// The semantic index of one file: the pure [`FileIndex`] plus a salsa handle per scope.
#[derive(Debug, PartialEq, Eq, compat::SalsaValue)]
pub struct SemanticIndex<'db> {
    /// The scopes' handles, indexed by [`FileScopeId`].
    pub scopes: Vec<ScopeId<'db>>,
    /// What the AST walk found.
    pub index: Arc<FileIndex>,
}

impl<'db> SemanticIndex<'db> {
    /// The handle of the module scope.
    pub fn module_scope(&self) -> Option<ScopeId<'db>> {
        self.scopes.first().copied()
    }
}

/// Walks the file's AST once and creates one tracked [`ScopeId`] per scope.
///
/// `no_eq`: the index carries every scope's byte range, which shifts with almost any edit, so
/// comparing old and new indexes would rarely let salsa backdate; the per-scope
/// [`symbol_table`] query is the firewall instead (ty's `semantic_index` is `no_eq` too).
#[salsa::tracked(returns(ref), no_eq)]
pub fn semantic_index(db: &dyn Db, file: SourceFile) -> SemanticIndex<'_> {
    let index = Arc::clone(parsed_module(db, file).index());
    let mut scopes: Vec<ScopeId<'_>> = Vec::with_capacity(index.scopes.len());
    let mut paths: Vec<String> = Vec::with_capacity(index.scopes.len());
    for (position, scope) in index.scopes.iter().enumerate() {
        let parent = scope
            .parent
            .and_then(|parent| scopes.get(parent.index()).copied());
        let file_scope_id = FileScopeId(u32::try_from(position).unwrap_or(u32::MAX));
        let id = ScopeId::new(
            db,
            file,
            file_scope_id,
            scope.kind,
            scope.name.clone(),
            parent,
        );
        if ScopeFacts::is_assigned(scope.kind) {
            scope_facts::specify(db, id, ScopeFacts::of(&scope.table, true));
        }
        let path = QualifiedName::join(
            scope
                .parent
                .and_then(|parent| paths.get(parent.index()))
                .map(String::as_str),
            file.path(db),
            &scope.name,
        );
        if QualifiedName::is_assigned(scope.kind) {
            if QualifiedName::read_before_assigning(&scope.name) {
                // The walk's check against the query: this reads the computed value, which
                // then wins the revision over the assignment below (salsa#1182).
                let _ = qualified_name(db, id);
            }
            let assigned = QualifiedName {
                path: path.clone(),
                assigned: true,
            };
            qualified_name::specify(db, id, assigned);
        }
        paths.push(path);
        scopes.push(id);
    }
    #[cfg(feature = "canary")]
    db.canary().observe(
        file.path(db),
        salsa::plumbing::current_revision(db),
        index
            .scopes
            .iter()
            .skip(1)
            .map(|scope| format!("{:?} {}", scope.kind, scope.name))
            .collect(),
    );
    SemanticIndex { scopes, index }
}

/// The symbols and imports of one scope.
///
/// A firewall, like ty's `place_table`: it re-executes whenever its file's index does, but
/// salsa backdates it when the table is equal, so queries reading only this scope's table are
/// not re-executed by edits elsewhere in the file.
#[salsa::tracked(returns(ref))]
pub fn symbol_table<'db>(db: &'db dyn Db, scope: ScopeId<'db>) -> Arc<SymbolTable> {
    let index = semantic_index(db, scope.file(db));
    index
        .index
        .scope(scope.file_scope_id(db))
        .map(|data| Arc::clone(&data.table))
        .unwrap_or_default()
}

/// The facts of one scope: assigned by [`semantic_index`] for class scopes (salsa's `specify`,
/// as rust-analyzer and salsa's tests use it), computed from the scope's table for the others.
///
/// A scope keeps its identity when an edit turns a function into a class at the same position,
/// so one key moves between assigned and computed across revisions: salsa must drop an
/// assignment the index no longer makes (`diff_outputs`), take a new one over a computed memo,
/// and verify an assigned memo through the query that assigned it. The answer says which of
/// the two gave it ([`ScopeFacts::assigned`]), so each of those decisions, when wrong, is a
/// difference the oracle sees.
#[salsa::tracked(returns(copy), specify)]
pub fn scope_facts<'db>(db: &'db dyn Db, scope: ScopeId<'db>) -> ScopeFacts {
    ScopeFacts::of(symbol_table(db, scope), false)
}

/// The dotted path of a scope: computed from its parent's (the file's path for the module
/// scope), or assigned by [`semantic_index`] for class scopes.
///
/// For a class named `_…` the index reads this query before assigning it, in the same
/// execution, so the computed value was produced first and must win the revision: salsa
/// keeps a value already current when the owner then assigns the key (salsa#1182: 0.27.0
/// overwrote it, so one key had two values in one revision). The computed path reads the
/// `parent` and `name` tracked fields and the parent's own qualified name, which may be an
/// assigned one.
#[salsa::tracked(returns(ref), specify)]
pub fn qualified_name<'db>(db: &'db dyn Db, scope: ScopeId<'db>) -> QualifiedName {
    let parent = scope.parent(db);
    QualifiedName {
        path: QualifiedName::join(
            parent.map(|parent| qualified_name(db, parent).path.as_str()),
            scope.file(db).path(db),
            scope.name(db),
        ),
        assigned: false,
    }
}
