//! The parse query: text to AST, bounded by an LRU so a fuzzer can force eviction.

pub use crate::semantic::{ParsedModule, parse_source};

use super::{Db, FuzzDatabase, SourceFile};

/// The default number of parsed modules kept in memory (`lru = 128` on [`parsed_module`]; the
/// attribute takes a literal, so keep the two equal). A guess, like ty's `lru = 200`: large
/// enough that the stdlib test rarely re-parses, small enough that a fuzzer can lower it with
/// [`crate::db::FuzzDatabase::set_parse_lru_capacity`] to force eviction.
pub const DEFAULT_PARSE_LRU_CAPACITY: usize = 128;

/// The file's AST.
///
/// `no_eq`: an AST carries byte offsets, so almost any edit changes it, and comparing two
/// trees costs about as much as re-running the queries that read it. ty's `parsed_module` is
/// `no_eq` for the same reason; the semantic index and the per-scope tables behind it are
/// where backdating happens.
#[salsa::tracked(returns(ref), no_eq, lru = 128)]
pub fn parsed_module(db: &dyn Db, file: SourceFile) -> ParsedModule {
    if file.exists(db) {
        db.parse(file.text(db))
    } else {
        db.parse("")
    }
}

/// Sets the LRU capacity of [`parsed_module`] (salsa generates the setter privately).
pub(super) fn set_parsed_module_lru_capacity(db: &mut FuzzDatabase, capacity: usize) {
    parsed_module::set_lru_capacity(db, capacity);
}
