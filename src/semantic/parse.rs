//! Parsing one file's text into an AST, whatever its syntax errors: the one parser call the
//! database's `parsed_module` query and the model share.

use std::sync::Arc;

use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::Parsed;

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
