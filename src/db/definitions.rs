//! Module-level definitions as tracked structs, the way ty has a `Definition` per binding:
//! created by a query, identified by their untracked fields (file and name), with tracked
//! fields that different queries read, and looked up through a supertype enum key.
//!
//! Two bindings of one name in a module (`x = 1` then `x = 2`) are two definitions with the
//! same identity fields in one revision: salsa tells them apart by the order of creation, and
//! must match each to its own struct of the previous revision when an edit adds, removes or
//! reorders bindings, updating the tracked fields it changed so that exactly their readers
//! run again. Every answer here is in the model ([`DefinitionAnswer::all`]).

use crate::semantic::infer::{DefinitionAnswer, DefinitionKind};

use super::{Db, ScopeId, SourceFile, scope_inference, semantic_index};

/// One module-level binding of a name.
#[salsa::tracked(debug)]
pub struct Definition<'db> {
    /// The module it is in (identity).
    #[returns(copy)]
    pub file: SourceFile,
    /// The bound name (identity: two bindings of one name share it).
    #[returns(ref)]
    pub name: String,
    /// How it is bound: read only by [`Definition::kind_of`].
    #[tracked]
    #[returns(copy)]
    pub kind: DefinitionKind,
    /// Its position among the module's bindings: read only by [`definition_ordinal`].
    #[tracked]
    #[returns(copy)]
    pub ordinal: u32,
}

#[salsa::tracked]
impl<'db> Definition<'db> {
    /// The definition's kind, through a tracked method that reads only the `kind` field: an
    /// edit that only moves the binding does not run it again.
    #[salsa::tracked(returns(copy))]
    pub fn kind_of(self, db: &'db dyn Db) -> DefinitionKind {
        self.kind(db)
    }
}

/// The definition's position, read through a query that reads only the `ordinal` field.
#[salsa::tracked(returns(copy))]
pub fn definition_ordinal<'db>(db: &'db dyn Db, definition: Definition<'db>) -> u32 {
    definition.ordinal(db)
}

/// A scope or a definition: a supertype enum, which a query can take as its key (ty keys
/// several queries by such enums).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, salsa::Supertype)]
pub enum Node<'db> {
    /// A scope.
    Scope(ScopeId<'db>),
    /// A definition.
    Definition(Definition<'db>),
}

/// A node's name: a scope's `name` (a tracked field), a definition's `name` (an identity
/// field).
#[salsa::tracked(returns(ref))]
pub fn node_name<'db>(db: &'db dyn Db, node: Node<'db>) -> String {
    match node {
        Node::Scope(scope) => scope.name(db).clone(),
        Node::Definition(definition) => definition.name(db).clone(),
    }
}

/// Creates one [`Definition`] per module-level binding of `file`, in source order.
#[salsa::tracked(returns(ref))]
pub fn module_definitions(db: &dyn Db, file: SourceFile) -> Vec<Definition<'_>> {
    let Some(module) = semantic_index(db, file).module_scope() else {
        return Vec::new();
    };
    DefinitionAnswer::all(&scope_inference(db, module).bindings)
        .into_iter()
        .map(|answer| Definition::new(db, file, answer.name, answer.kind, answer.ordinal))
        .collect()
}

/// The answers about `file`'s definitions, each field read through its own query.
pub fn file_definitions(db: &dyn Db, file: SourceFile) -> Vec<DefinitionAnswer> {
    module_definitions(db, file)
        .iter()
        .map(|&definition| DefinitionAnswer {
            name: node_name(db, Node::Definition(definition)).clone(),
            kind: definition.kind_of(db),
            ordinal: definition_ordinal(db, definition),
        })
        .collect()
}
