//! Parsing one file's text into an AST, whatever its syntax errors: the one parser call the
//! database's `parsed_module` query and the model share, and the parses themselves, shared by
//! text between the handles of one database and the model of one script ([`Parses`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::Parsed;

use super::FileIndex;

/// A parsed module, shared cheaply between the queries that read it, with the file's index
/// built from it on first request.
#[derive(Clone, Debug)]
pub struct ParsedModule(Arc<Parse>);

#[derive(Debug)]
struct Parse {
    parsed: Parsed<ModModule>,
    /// How many lines the text has (`str::lines`).
    lines: usize,
    index: OnceLock<Arc<FileIndex>>,
}

impl ParsedModule {
    /// The module's AST (recovered from syntax errors if there were any).
    pub fn syntax(&self) -> &ModModule {
        self.0.parsed.syntax()
    }

    /// The syntax errors the parser recovered from.
    pub fn errors(&self) -> &[ruff_python_parser::ParseError] {
        self.0.parsed.errors()
    }

    /// How many lines the parsed text has (`str::lines`).
    pub fn lines(&self) -> usize {
        self.0.lines
    }

    /// What the AST says, scope by scope ([`super::build_file_index`]), built once per parse.
    pub fn index(&self) -> &Arc<FileIndex> {
        self.0
            .index
            .get_or_init(|| Arc::new(super::build_file_index(self.syntax())))
    }
}

/// Parses one file, whatever its syntax errors.
pub fn parse_source(text: &str) -> ParsedModule {
    ParsedModule(Arc::new(Parse {
        parsed: ruff_python_parser::parse_unchecked_source(text, PySourceType::Python),
        lines: text.lines().count(),
        index: OnceLock::new(),
    }))
}

/// Parses by text. Parsing and indexing are pure functions of the text, so handing out an
/// earlier parse of the same text changes nothing but the time it takes: the database's
/// `parsed_module` still reads the text through salsa and runs whenever salsa runs it. One
/// lives for one script (a fresh database, a fresh model); clones share it.
#[derive(Clone, Debug, Default)]
pub struct Parses(Arc<Mutex<BTreeMap<String, ParsedModule>>>);

impl Parses {
    /// The parse of `text`, made now or earlier.
    pub fn get(&self, text: &str) -> ParsedModule {
        if let Some(parsed) = self.lock().get(text) {
            return parsed.clone();
        }
        // Parsed outside the lock: another thread may parse the same text meanwhile, and the
        // first to insert wins; both parses are equal.
        let parsed = parse_source(text);
        self.lock().entry(text.to_owned()).or_insert(parsed).clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ParsedModule>> {
        // A thread unwinding mid-insert leaves a whole map: take it as it is.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The byte offset of each line's start (one per line of `str::lines`).
pub fn line_starts(text: &str) -> Vec<u32> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .map(|line| {
            let start = offset;
            offset += line.len();
            u32::try_from(start).unwrap_or(u32::MAX)
        })
        .collect()
}
