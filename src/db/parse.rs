//! The parse query: text to AST, bounded by an LRU so a fuzzer can force eviction.

use std::sync::Arc;

use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::Parsed;

use super::{Db, FuzzDatabase, SourceFile};

/// The default number of parsed modules kept in memory (`lru = 128` on [`parsed_module`]; the
/// attribute takes a literal, so keep the two equal). A guess, like ty's `lru = 200`: large
/// enough that the stdlib test rarely re-parses, small enough that a fuzzer can lower it with
/// [`crate::db::FuzzDatabase::set_parse_lru_capacity`] to force eviction.
pub const DEFAULT_PARSE_LRU_CAPACITY: usize = 128;

/// A parsed module, shared cheaply between the queries that read it.
#[derive(Clone, Debug)]
pub struct ParsedModule(Arc<Parsed<ModModule>>);

impl ParsedModule {
    /// The module's AST (recovered from syntax errors if there were any).
    pub fn syntax(&self) -> &ModModule {
        self.0.syntax()
    }

    /// The syntax errors the parser recovered from.
    pub fn errors(&self) -> &[ruff_python_parser::ParseError] {
        self.0.errors()
    }
}

/// Parses one file, whatever its syntax errors.
pub fn parse_source(text: &str) -> ParsedModule {
    ParsedModule(Arc::new(ruff_python_parser::parse_unchecked_source(
        text,
        PySourceType::Python,
    )))
}

/// The file's AST.
///
/// `no_eq`: an AST carries byte offsets, so almost any edit changes it, and comparing two
/// trees costs about as much as re-running the queries that read it. ty's `parsed_module` is
/// `no_eq` for the same reason; the semantic index and the per-scope tables behind it are
/// where backdating happens.
#[salsa::tracked(returns(ref), no_eq, lru = 128)]
pub fn parsed_module(db: &dyn Db, file: SourceFile) -> ParsedModule {
    if file.exists(db) {
        parse_source(file.text(db))
    } else {
        parse_source("")
    }
}

/// Sets the LRU capacity of [`parsed_module`] (salsa generates the setter privately).
pub(super) fn set_parsed_module_lru_capacity(db: &mut FuzzDatabase, capacity: usize) {
    parsed_module::set_lru_capacity(db, capacity);
}
