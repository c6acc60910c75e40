//! The pure, salsa-free half of the semantic model: what one file's AST says about scopes,
//! symbols and imports, and the rules that resolve a name.
//!
//! Both the salsa database (`crate::db`) and the from-scratch model (`crate::model`) call into
//! this module, so that the two differ only in *how* they compute (incrementally, with memo
//! reuse, backdating, LRU and fixpoint iteration, versus plainly from the current texts) and
//! never in *what* they compute. A disagreement between them is therefore a salsa bug, not a
//! difference of rules. This module promises determinism: the same AST always gives the same
//! index, with symbols sorted by name and scopes numbered in visiting order.

mod builder;
mod builtins;
pub mod infer;
mod module_name;
mod parse;
mod resolve;

pub use builder::build_file_index;
pub use builtins::is_builtin;
pub use module_name::{absolute_import, module_name_for_path};
pub use parse::{ParsedModule, Parses, line_starts, parse_source};
pub use resolve::{
    Binding, ImportEnv, check_imports, cyclic_class, not_callable, pick_module_file,
    resolve_in_chain, resolve_module_level, syntax_error, unresolved_reference,
};

use std::sync::Arc;

/// The index of a scope inside its file, in visiting order; the module scope is always 0.
///
/// ty calls this `FileScopeId`: an index local to a file, as opposed to the salsa handle
/// `ScopeId<'db>` that names a scope across the whole database.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileScopeId(pub u32);

impl FileScopeId {
    /// The module scope of every file.
    pub const MODULE: FileScopeId = FileScopeId(0);

    /// The position of this scope in [`FileIndex::scopes`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What kind of construct opened a scope.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeKind {
    /// The file itself.
    Module,
    /// A `def` body.
    Function,
    /// A `class` body; invisible to the scopes nested in it.
    Class,
    /// A `lambda` body.
    Lambda,
    /// One list, set or dict comprehension or generator expression.
    Comprehension,
    /// The PEP 695 annotation scope holding `T` in `def f[T]`, `class C[T]` or `type X[T] = …`.
    TypeParams,
    /// The lazily evaluated value of a `type X = …` statement.
    TypeAlias,
}

impl ScopeKind {
    /// Whether the names bound in such a scope are visible to the scopes nested inside it.
    pub fn is_visible_to_nested(self) -> bool {
        !matches!(self, ScopeKind::Class)
    }
}

/// How a symbol is used in one scope; a bit set.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolFlags(pub u8);

impl SymbolFlags {
    /// Assigned, imported, defined, deleted, or a parameter in this scope.
    pub const BOUND: SymbolFlags = SymbolFlags(1);
    /// Read in this scope.
    pub const USED: SymbolFlags = SymbolFlags(1 << 1);
    /// Declared `global` in this scope.
    pub const GLOBAL: SymbolFlags = SymbolFlags(1 << 2);
    /// Declared `nonlocal` in this scope.
    pub const NONLOCAL: SymbolFlags = SymbolFlags(1 << 3);
    /// A parameter of the function or lambda, or a PEP 695 type parameter.
    pub const PARAMETER: SymbolFlags = SymbolFlags(1 << 4);
    /// Bound by an `import` or `from … import` statement.
    pub const IMPORTED: SymbolFlags = SymbolFlags(1 << 5);

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: SymbolFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for SymbolFlags {
    type Output = SymbolFlags;
    fn bitor(self, rhs: SymbolFlags) -> SymbolFlags {
        SymbolFlags(self.0 | rhs.0)
    }
}

/// One name of a scope's symbol table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol {
    /// The identifier.
    pub name: String,
    /// How the scope uses it.
    pub flags: SymbolFlags,
}

impl Symbol {
    /// Bound in this scope and not redirected elsewhere by `global`/`nonlocal`.
    pub fn is_local_binding(&self) -> bool {
        self.flags.contains(SymbolFlags::BOUND)
            && !self.flags.contains(SymbolFlags::GLOBAL)
            && !self.flags.contains(SymbolFlags::NONLOCAL)
    }
}

/// What an import statement asks for; one entry per imported alias.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ImportKind {
    /// `import a.b.c` (binds `a`) or `import a.b as c` (binds `c`).
    Module,
    /// `from m import name`.
    Member(String),
    /// `from m import *`.
    Star,
}

/// One import as written in a scope: relative level, dotted module, and what is imported.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImportRef {
    /// Number of leading dots (`from ..m import x` has level 2); 0 for absolute imports.
    pub level: u32,
    /// The dotted module after the dots, if any (`from . import x` has none).
    pub module: Option<String>,
    /// What the statement imports from it.
    pub kind: ImportKind,
}

impl ImportRef {
    /// The import as a human reads it, for diagnostics: `..pkg.mod`.
    pub fn display_module(&self) -> String {
        let dots = ".".repeat(self.level as usize);
        format!("{dots}{}", self.module.as_deref().unwrap_or(""))
    }
}

/// What `scope_facts` answers about one scope: the size of its symbol table, and who gave the
/// answer. The semantic index assigns it for class scopes (salsa's `specify`); for the others
/// the query computes it. Which of the two gave an answer is part of the answer, so salsa using
/// a stale assignment, or executing the query where an assignment stands, is a visible
/// difference rather than the same number reached another way.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScopeFacts {
    /// How many symbols the scope's table has.
    pub symbols: u32,
    /// Whether the semantic index assigned it (`specify`) rather than the query computing it.
    pub assigned: bool,
}

impl ScopeFacts {
    /// Whether the semantic index assigns the facts of a scope of `kind`.
    pub fn is_assigned(kind: ScopeKind) -> bool {
        kind == ScopeKind::Class
    }

    /// The facts of a scope with `table`, given by the index (`assigned`) or the query.
    pub fn of(table: &SymbolTable, assigned: bool) -> ScopeFacts {
        ScopeFacts {
            symbols: u32::try_from(table.symbols.len()).unwrap_or(u32::MAX),
            assigned,
        }
    }
}

/// What `qualified_name` answers about one scope: its dotted path (the file's path for the
/// module scope, then each enclosing scope's name), and who gave the answer.
///
/// The semantic index assigns the qualified name of every class scope (salsa's `specify`),
/// but for a class whose name starts with `_` it first reads the computed one, as a check of
/// its walk, and only then assigns it. Salsa's rule is that the first value produced in a
/// revision wins, so that class keeps the computed answer (`assigned: false`): an assignment
/// that overwrote a value already read in the revision (salsa#1182, fixed in 0.27.1) is a
/// visible difference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    /// `path/to/file.py.Outer.inner`.
    pub path: String,
    /// Whether the semantic index's assignment gave it rather than the query.
    pub assigned: bool,
}

impl QualifiedName {
    /// Whether the index assigns the qualified name of a scope of `kind`.
    pub fn is_assigned(kind: ScopeKind) -> bool {
        kind == ScopeKind::Class
    }

    /// Whether the index reads the computed qualified name of a scope named `name` (of a kind
    /// it assigns) before it assigns it.
    pub fn read_before_assigning(name: &str) -> bool {
        name.starts_with('_')
    }

    /// The qualified name a scope of `kind` named `name` under `parent_path` ends up with: the
    /// assigned one unless the index read the computed one first.
    pub fn of(
        parent_path: Option<&str>,
        file_path: &str,
        kind: ScopeKind,
        name: &str,
    ) -> QualifiedName {
        QualifiedName {
            path: QualifiedName::join(parent_path, file_path, name),
            assigned: QualifiedName::is_assigned(kind)
                && !QualifiedName::read_before_assigning(name),
        }
    }

    /// The dotted path of a scope named `name` under `parent_path`, or `file_path` for the
    /// module scope (no parent).
    pub fn join(parent_path: Option<&str>, file_path: &str, name: &str) -> String {
        match parent_path {
            Some(parent) => {
                let mut path = String::with_capacity(parent.len() + 1 + name.len());
                path.push_str(parent);
                path.push('.');
                path.push_str(name);
                path
            }
            None => file_path.to_owned(),
        }
    }
}

/// The symbols and imports of one scope: the value behind ty's `place_table` firewall.
///
/// Symbols are sorted by name, so two builds of the same scope compare equal and salsa can
/// backdate the per-scope query when an edit elsewhere in the file leaves this scope alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SymbolTable {
    /// Every name the scope binds, reads or declares, sorted by name.
    pub symbols: Vec<Symbol>,
    /// The imports written in this scope, in source order.
    pub imports: Vec<ImportRef>,
}

impl SymbolTable {
    /// The symbol called `name`, if the scope mentions it.
    pub fn get(&self, name: &str) -> Option<&Symbol> {
        self.symbols
            .binary_search_by(|symbol| symbol.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.symbols[index])
    }

    /// Whether the scope binds `name` itself (see [`Symbol::is_local_binding`]).
    pub fn binds(&self, name: &str) -> bool {
        self.get(name).is_some_and(Symbol::is_local_binding)
    }

    /// The names a `from m import *` of this (module) scope exports by itself: every bound
    /// name that does not start with an underscore. (`__all__` is not interpreted.)
    pub fn own_exports(&self) -> impl Iterator<Item = &str> {
        self.symbols
            .iter()
            .filter(|symbol| symbol.is_local_binding() && !symbol.name.starts_with('_'))
            .map(|symbol| symbol.name.as_str())
    }

    /// The star imports of the scope, in source order.
    pub fn star_imports(&self) -> impl Iterator<Item = &ImportRef> {
        self.imports
            .iter()
            .filter(|import| import.kind == ImportKind::Star)
    }
}

/// One scope as the AST walk found it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScopeData {
    /// What opened the scope.
    pub kind: ScopeKind,
    /// The function, class or alias name; `<lambda>`, `<listcomp>`, … otherwise.
    pub name: String,
    /// The enclosing scope; `None` only for the module scope.
    pub parent: Option<FileScopeId>,
    /// Byte range of the node that opened the scope (the whole file for the module).
    pub range: (u32, u32),
    /// The scope's symbols and imports, shared so per-scope queries can hand it out cheaply.
    pub table: Arc<SymbolTable>,
    /// What type inference reads of the scope.
    pub inference: Arc<infer::ScopeInference>,
}

/// Everything one file's AST says, scope by scope; `scopes[0]` is the module scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileIndex {
    /// All scopes in visiting order (a parent always precedes its children).
    pub scopes: Vec<ScopeData>,
}

impl FileIndex {
    /// The scope with this id, if it exists.
    pub fn scope(&self, id: FileScopeId) -> Option<&ScopeData> {
        self.scopes.get(id.index())
    }

    /// The module scope's table (empty if the index is somehow empty).
    pub fn module_table(&self) -> Arc<SymbolTable> {
        self.scopes
            .first()
            .map(|scope| Arc::clone(&scope.table))
            .unwrap_or_default()
    }
}

/// What a diagnostic is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticKind {
    /// The parser reported an error.
    SyntaxError,
    /// An imported module does not resolve to a project file.
    UnresolvedImport,
    /// `from m import x`: `m` resolves but has no `x`.
    UnresolvedImportName,
    /// A name read in a scope resolves to nothing.
    UnresolvedReference,
    /// A name called in a scope has an inferred type nothing of which can be called.
    NotCallable,
    /// A module-level class inherits from itself through its bases.
    CyclicClass,
}

/// One diagnostic of a file; compared as a whole by the oracle.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// The file's path.
    pub path: String,
    /// What kind of problem.
    pub kind: DiagnosticKind,
    /// The scope it was found in (`None` for syntax errors, which belong to the file).
    pub scope: Option<FileScopeId>,
    /// Byte offset, for syntax errors; 0 otherwise.
    pub offset: u32,
    /// The human-readable message.
    pub message: String,
}
