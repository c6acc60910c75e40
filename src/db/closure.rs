//! Star-import closures: a fixpoint query that creates a tracked struct and `specify`s a query
//! on it inside the cycle, and a reader of that assigned value inside the same cycle.
//!
//! [`star_closure`] of a module is the set of files reachable from it through star imports,
//! itself included. Star imports can form cycles, so it iterates from the empty closure like
//! [`super::module_exports`]. After it has read its targets' closures it creates a
//! [`StarSummary`] for its module in the first iteration (and, in later ones, takes that one
//! from its own provisional value), assigns [`closure_size`] on it (salsa's `specify`) and
//! reads it back through [`read_closure_size`], a separate memo. Importers list the sizes their
//! targets read back.
//!
//! Inside a cycle every one of those values is provisional. salsa must (a) keep the summary
//! alive and assignable in every iteration; (b) mark a value assigned during an iteration as
//! provisional, with the assigning query's cycle heads, so that its readers iterate with the
//! cycle; (c) let the next iteration assign it again. In salsa 0.27.1 and earlier it did not
//! (b): an assigned value was final at once, so `read_closure_size` kept the first iteration's
//! size after the cycle converged (salsa#1190, fixed in 0.27.2). The answer has the size read
//! back, and the sizes each star import's target read back, so any of these decisions, when
//! wrong, is a difference the oracle sees. Two salsa bugs this shape met are open:
//! `open-0004` (the assigned value lost after a same-revision cancellation) and `open-0005`
//! (see `tests/salsa_known_open_specified_struct_read_locked.rs`).
//!
//! [`closure_size`]'s own body never runs in a correct salsa (every summary is assigned by
//! the query that creates it before that query reads it, and nobody else reads it) and
//! answers `u32::MAX`, a size the model never gives, so a value salsa computes where it should
//! have kept the assigned one is visible too.

use std::collections::BTreeSet;

use super::request::FixpointBody;
use super::{Db, SourceFile, compat, module_table, resolve_import};

/// One module's star-import closure, as a salsa handle created inside [`star_closure`]'s
/// fixpoint iteration. Its identity is the module's file alone: the same struct in every
/// iteration and, while the module exists, in every revision.
#[salsa::tracked(debug)]
pub struct StarSummary<'db> {
    /// The module whose closure it summarizes.
    #[returns(copy)]
    pub file: SourceFile,
}

/// What [`star_closure`] answers.
#[derive(Clone, Debug, PartialEq, Eq, compat::SalsaValue)]
pub struct StarClosure<'db> {
    /// The paths of every file reachable through star imports, this one included, sorted.
    pub files: Vec<String>,
    /// The closure's size as [`read_closure_size`] reads it back after it was assigned
    /// (`None` only in the cycle's initial value).
    pub size: Option<u32>,
    /// For each star import that resolves, in source order: the target's path and the size
    /// its closure read back (`None` for a target whose closure was still the cycle's initial
    /// value).
    pub reached: Vec<(String, Option<u32>)>,
    /// The summary this module's closure was assigned on (`None` only in the initial value).
    pub summary: Option<StarSummary<'db>>,
}

/// The files reachable from `file` through star imports; see the module documentation.
///
/// A module with star imports asks for its own closure too: a cycle of its own, which salsa
/// answers with the initial value in the first iteration and the previous iteration's value
/// after that. That is how the summary made in the first iteration is used again in the later
/// ones, as in salsa's own `tests/cycle_specify.rs`: salsa keeps a struct of the previous
/// iteration alive and counts it as created by this execution, but a struct created anew in a
/// later iteration is a new one (salsa reserves the earlier identities), and a value holding
/// it would never converge. Whether it reads itself depends on its text alone, never on an
/// iteration's provisional values, so every execution creates the same one struct in its
/// first iteration. A module reads back only the size it assigned itself, after assigning
/// it, as salsa's contract for `specify` has it (a read before the owner assigned the value in
/// that revision computes the body instead).
#[salsa::tracked(
    returns(ref),
    cycle_fn = compat::star_closure_cycle,
    cycle_initial = compat::star_closure_initial
)]
pub fn star_closure<'db>(db: &'db dyn Db, file: SourceFile) -> StarClosure<'db> {
    let _fixpoint = FixpointBody::enter();
    let table = module_table(db, file);
    let path = file.path(db);
    let mut files = BTreeSet::new();
    let mut reached = Vec::new();
    for import in table.star_imports() {
        if let Some(target) = resolve_import(db, file, import) {
            let closure = star_closure(db, target);
            files.extend(closure.files.iter().cloned());
            reached.push((target.path(db).clone(), closure.size));
        }
    }
    let previous = if reached.is_empty() {
        None
    } else {
        star_closure(db, file).summary
    };
    files.insert(path.clone());
    let summary = previous.unwrap_or_else(|| StarSummary::new(db, file));
    // Assigned after the reads, so that inside a cycle the value depends on provisional ones.
    closure_size::specify(db, summary, u32::try_from(files.len()).unwrap_or(u32::MAX));
    StarClosure {
        files: files.into_iter().collect(),
        size: Some(read_closure_size(db, summary)),
        reached,
        summary: Some(summary),
    }
}

impl StarClosure<'_> {
    /// The value a fixpoint starts from: nothing reached, no size.
    pub(super) fn initial() -> Self {
        StarClosure {
            files: Vec::new(),
            size: None,
            reached: Vec::new(),
            summary: None,
        }
    }
}

/// The size of a module's star-import closure: assigned by [`star_closure`] for every summary
/// it creates. The body answers `u32::MAX`, which no model answer has (see the module
/// documentation).
#[salsa::tracked(returns(copy), specify)]
pub fn closure_size<'db>(_db: &'db dyn Db, _summary: StarSummary<'db>) -> u32 {
    u32::MAX
}

/// Reads [`closure_size`]: a memo of its own between the assigned value and its readers, the
/// one that must iterate with the cycle the value was assigned in.
#[salsa::tracked(returns(copy))]
pub fn read_closure_size<'db>(db: &'db dyn Db, summary: StarSummary<'db>) -> u32 {
    closure_size(db, summary)
}
