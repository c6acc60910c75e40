//! The line probes: queries that nothing else reads, so that backdating and LRU eviction are
//! each the only thing salsa decides between an edit and whether a function runs.
//!
//! A pure query's *value* never shows backdating or eviction: a memo that re-ran for nothing, or
//! that was kept past its LRU capacity, still answers right. What shows them is whether the
//! function ran, which salsa's rules fix exactly for these three queries (ty's `line_index`
//! over `source_text` has the same shape), and which the executor checks against its own
//! account of them (`exec::lines`):
//!
//! - [`line_index`] reads [`text_lines`] and nothing else, and `text_lines` reads the file's
//!   text and existence and nothing else. When the file's inputs were set since `line_index`
//!   was last asked, `text_lines` runs again; if its count is equal and its inputs are no less
//!   durable than before, salsa backdates it, and `line_index` must be reused without running.
//!   If the count changed, or the inputs became less durable (salsa's `durable_to_less_durable`
//!   rule forbids the backdating), `line_index` must run.
//! - [`line_starts`] reads the file's text and existence, with an LRU capacity of
//!   [`LINE_STARTS_LRU_CAPACITY`] (the `lru-capacity N` step sets it, as it sets
//!   `parsed_module`'s; 0 turns eviction off): salsa records each fetch, and when a revision
//!   starts (or on `trigger_lru_eviction`) drops the values of all but the most recently
//!   fetched files. A fetch must run it exactly when its value was dropped or its inputs were
//!   set since.
//!
//! - [`line_marks`] creates one [`LineMark`] tracked struct per line, identified by the line's
//!   text (two equal lines told apart by their order). When it runs again, salsa must give
//!   each line it creates again the struct (the id) it had, and discard the structs of lines it
//!   no longer creates, in that same execution (its stale outputs, a `DidDiscard` event each).
//!
//! Only the main thread asks them (a background batch leaves `lines` queries out), so every
//! execution in the log is one the executor asked for.

use super::{Db, FuzzDatabase, SourceFile};

/// How many files' [`line_starts`] salsa keeps (the attribute takes a literal: keep them equal).
/// Small, so that a few files overflow it.
pub const LINE_STARTS_LRU_CAPACITY: usize = 2;

/// The file's text, or nothing once it is removed.
fn current_text(db: &dyn Db, file: SourceFile) -> &str {
    if file.exists(db) { file.text(db) } else { "" }
}

/// How many lines the file has (`str::lines`): the one query that reads the inputs for
/// [`line_index`], and read by nothing else.
#[salsa::tracked(returns(copy))]
pub fn text_lines(db: &dyn Db, file: SourceFile) -> usize {
    current_text(db, file).lines().count()
}

/// The file's line count as [`text_lines`] gives it, and nothing else read: an edit that keeps
/// the count must leave this memo to backdating.
#[salsa::tracked(returns(copy))]
pub fn line_index(db: &dyn Db, file: SourceFile) -> usize {
    text_lines(db, file)
}

/// The byte offset of each line's start (one per line of `str::lines`), kept for the
/// [`LINE_STARTS_LRU_CAPACITY`] most recently fetched files.
#[salsa::tracked(returns(ref), lru = 2)]
pub fn line_starts(db: &dyn Db, file: SourceFile) -> Vec<u32> {
    crate::semantic::line_starts(current_text(db, file))
}

/// One line of a file, as [`line_marks`] created it: identified by its text alone (equal lines
/// by their order of creation).
#[salsa::tracked(debug)]
pub struct LineMark<'db> {
    /// The line's text (identity).
    #[returns(ref)]
    pub text: String,
}

/// Sets the LRU capacity of [`line_starts`] (salsa generates the setter privately).
pub(super) fn set_line_starts_lru_capacity(db: &mut FuzzDatabase, capacity: usize) {
    line_starts::set_lru_capacity(db, capacity);
}

/// One [`LineMark`] per line of the file, in order.
#[salsa::tracked(returns(ref))]
pub fn line_marks(db: &dyn Db, file: SourceFile) -> Vec<LineMark<'_>> {
    current_text(db, file)
        .lines()
        .map(|line| LineMark::new(db, line.to_owned()))
        .collect()
}
