//! Runs an [`EditScript`] on the 2024-API database, one step after the other on one handle,
//! and compares every answer it can give with the model's.
//!
//! What the 2024 API cannot express is skipped, never approximated: cross-file queries (they
//! need fixpoint iteration; a script's cross-file query asks the per-file query it reads
//! first), background batches on other threads (their queries run inline, as in the main
//! executor's sequential mode), cancellation, injected faults, persistence, the builtins and
//! `NEVER_CHANGE` (`freeze` writes at HIGH, and nothing changes the file after).
//!
//! A wrong answer is salsa's only when a fresh database, given the same inputs and asked the
//! same query, agrees with the model; otherwise it is ours (`Harness`), as in the main
//! executor.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::db::{self, Database2024, SourceFile};
use crate::answers::ExtraBuiltins;
use crate::exec::Mirror;
use crate::exec::panics::{self, Caught};
use crate::model::{Model, ParseCache};
use crate::oracle::{Culprit, Finding, FindingKind, QueryAnswer, ask_model};
use crate::script::{DurabilityClass, EditScript, FileSlot, Query, Step};

/// What one execution did.
#[derive(Debug, Default)]
pub struct Outcome2024 {
    /// The first finding, if any (the run stops there).
    pub finding: Option<Finding>,
    /// Steps executed (skipped ones not counted).
    pub steps: usize,
    /// Answers compared with the model.
    pub answers: usize,
}

/// The signature of the script's finding, if it has one: what the minimizer keeps.
pub fn signature(script: &EditScript) -> Option<String> {
    execute(script).finding.map(|finding| finding.signature())
}

/// Runs `script` on a fresh database.
pub fn execute(script: &EditScript) -> Outcome2024 {
    panics::install_panic_hook();
    let mut run = Run::default();
    for (slot, text) in &script.initial {
        run.add(*slot, text.render());
    }
    let mut outcome = Outcome2024::default();
    for (position, step) in script.steps.iter().enumerate() {
        match settle(position, panics::catch(|| run.step(step))) {
            Ok(executed) => outcome.steps += usize::from(executed),
            Err(finding) => {
                outcome.finding = Some(*finding);
                break;
            }
        }
    }
    if outcome.finding.is_none() {
        let end = script.steps.len();
        outcome.finding = settle(end, panics::catch(|| run.check_all()))
            .err()
            .map(|finding| *finding);
    }
    outcome.answers = run.answers;
    outcome
}

/// A caught step at `step`: its value, or the finding it ended in.
fn settle<T>(step: usize, caught: Caught<Result<T, Failure>>) -> Result<T, Box<Finding>> {
    let (culprit, kind) = match caught {
        Caught::Done(Ok(value)) => return Ok(value),
        Caught::Done(Err(failure)) => *failure,
        Caught::Panicked(report) => (
            crate::oracle::culprit_of_panic(&report.message, &report.location),
            FindingKind::Panic(report),
        ),
        // Neither happens on one handle without faults: a sign of our own mistake.
        Caught::Cancelled(_) | Caught::Injected => (
            Culprit::Harness,
            FindingKind::Panic(crate::oracle::PanicReport::synthetic(
                "unexpected cancellation or fault on the 2024 database".to_owned(),
                "main".to_owned(),
            )),
        ),
    };
    Err(Box::new(Finding {
        step,
        culprit,
        kind,
    }))
}

/// A finding's culprit and what it was.
type Failure = Box<(Culprit, FindingKind)>;

#[derive(Default)]
struct Run {
    db: Database2024,
    mirror: Mirror,
    files: BTreeMap<&'static str, SourceFile>,
    durability: BTreeMap<&'static str, DurabilityClass>,
    cache: ParseCache,
    model: Option<Model>,
    answers: usize,
    /// An LRU capacity set before any file existed.
    pending_lru: Option<usize>,
}

impl Run {
    /// Executes one step; `Ok(false)` when it is skipped.
    fn step(&mut self, step: &Step) -> Result<bool, Failure> {
        match step {
            Step::Edit(slot, edit) => match self.mirror.edit(*slot, edit) {
                Some(text) => self.write(*slot, &text, true),
                None => return Ok(false),
            },
            Step::AddFile(slot, text) => return Ok(self.add(*slot, text.render())),
            Step::RemoveFile(slot) => {
                if !self.mirror.remove(*slot) {
                    return Ok(false);
                }
                self.write(*slot, "", false);
            }
            Step::SetLibrary(slot, library) => {
                if !self.mirror.set_library(*slot, *library) {
                    return Ok(false);
                }
                let class = if *library {
                    DurabilityClass::High
                } else {
                    DurabilityClass::Low
                };
                return Ok(self.rewrite_at(*slot, class));
            }
            Step::SetDurability(slot, class) => {
                if self.mirror.is_frozen(*slot) {
                    return Ok(false);
                }
                return Ok(self.rewrite_at(*slot, *class));
            }
            Step::Freeze(slot) => {
                if !self.mirror.freeze(*slot) {
                    return Ok(false);
                }
                return Ok(self.rewrite_at(*slot, DurabilityClass::High));
            }
            Step::SyntheticWrite(class) => {
                db::synthetic_write(&mut self.db, db::durability(*class))
            }
            Step::Query(query) => self.ask(*query)?,
            Step::SpawnBatch(queries) => {
                for query in queries {
                    self.ask(*query)?;
                }
            }
            Step::CheckAll => self.check_all()?,
            Step::SetLruCapacity(capacity) => {
                let capacity = usize::from(*capacity);
                if self.files.is_empty() {
                    // 0.18.0 finds a tracked function's ingredient through its input's, which
                    // exists once a file does: the capacity waits for the first file.
                    self.pending_lru = Some(capacity);
                } else {
                    db::set_lru_capacity(&self.db, capacity);
                }
            }
            Step::Join
            | Step::Cancel
            | Step::TriggerLruEviction
            | Step::Persist
            | Step::Fault(_)
            | Step::CancelRequest(..)
            | Step::SetBuiltins(..) => return Ok(false),
        }
        Ok(true)
    }

    /// Creates or re-adds a file; `false` when the mirror skips it (a frozen file).
    fn add(&mut self, slot: FileSlot, text: String) -> bool {
        match self.mirror.write(slot, text) {
            Some(text) => {
                self.write(slot, &text, true);
                true
            }
            None => false,
        }
    }

    /// The durability class a file's inputs are written at (LOW until a step moves it).
    fn class_of(&self, path: &str) -> DurabilityClass {
        self.durability
            .get(path)
            .copied()
            .unwrap_or(DurabilityClass::Low)
    }

    fn write(&mut self, slot: FileSlot, text: &str, exists: bool) {
        let path = slot.path();
        let durability = db::durability(self.class_of(path));
        let file = self.files.get(path).copied();
        let file = db::write(&mut self.db, file, text, exists, durability);
        self.files.insert(path, file);
        if let Some(capacity) = self.pending_lru.take() {
            db::set_lru_capacity(&self.db, capacity);
        }
        self.model = None;
    }

    /// Sets a file's text and existence again, unchanged, at `class`.
    fn rewrite_at(&mut self, slot: FileSlot, class: DurabilityClass) -> bool {
        let path = slot.path();
        let Some(&file) = self.files.get(path) else {
            return false;
        };
        self.durability.insert(path, class);
        let text = file.text(&self.db).clone();
        let exists = file.exists(&self.db);
        db::write(
            &mut self.db,
            Some(file),
            &text,
            exists,
            db::durability(class),
        );
        true
    }

    fn model(&mut self) -> &Model {
        let (mirror, cache) = (&self.mirror, &self.cache);
        self.model
            .get_or_insert_with(|| Model::new(&mirror.inputs(), &ExtraBuiltins::default(), cache))
    }

    /// Asks `query` if the 2024 database has it, and compares the answer with the model's.
    fn ask(&mut self, query: Query) -> Result<(), Failure> {
        let Some((query, slot)) = per_file(query) else {
            return Ok(());
        };
        let created = self.mirror.was_created(slot);
        let got = database_answer(&self.db, &self.files, query);
        let expected = match query {
            // The model counts lines; each line's mark must hold that line's text.
            Query::Lines(_) if created => self.expected_lines(slot),
            _ => project(ask_model(self.model(), query, created)),
        };
        self.answers += 1;
        if got == expected {
            return Ok(());
        }
        // A fresh database with the same inputs: if it is wrong too, the mistake is ours.
        let (fresh, fresh_files) = self.fresh();
        let fresh_answer = database_answer(&fresh, &fresh_files, query);
        let culprit = if fresh_answer == expected {
            Culprit::Salsa
        } else {
            Culprit::Harness
        };
        let kind = FindingKind::Mismatch {
            query,
            answer_of: got.query_behind(&expected, query),
            background: false,
            got: format!("{got:?}"),
            expected: format!("{expected:?}"),
            decision: None,
        };
        Err(Box::new((culprit, kind)))
    }

    /// What the line probes must answer: the line count three times, and the lines' texts.
    fn expected_lines(&self, slot: FileSlot) -> Answer2024 {
        let lines: Vec<String> = self
            .mirror
            .live_text(slot.path())
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        Answer2024::Lines {
            index: lines.len(),
            starts: lines.len(),
            marks: lines,
        }
    }

    /// A database written from scratch with the mirror's files: each created file at its
    /// durability, a removed one as not existing.
    fn fresh(&self) -> (Database2024, BTreeMap<&'static str, SourceFile>) {
        let mut fresh = Database2024::default();
        let mut files = BTreeMap::new();
        for &path in self.files.keys() {
            let text = self.mirror.live_text(path);
            let durability = db::durability(self.class_of(path));
            let file = db::write(
                &mut fresh,
                None,
                text.unwrap_or_default(),
                text.is_some(),
                durability,
            );
            files.insert(path, file);
        }
        (fresh, files)
    }

    /// Every query the database has, about every file ever created, every scope included.
    fn check_all(&mut self) -> Result<(), Failure> {
        let slots: Vec<FileSlot> = (0..crate::script::PATHS.len())
            .map(|slot| FileSlot(slot as u8))
            .filter(|slot| self.files.contains_key(slot.path()))
            .collect();
        for slot in slots {
            self.ask(Query::Parse(slot))?;
            self.ask(Query::Scopes(slot))?;
            let scopes = db::semantic_index(&self.db, self.files[slot.path()])
                .scopes
                .len();
            for position in 0..scopes.min(usize::from(u8::MAX) + 1) {
                self.ask(Query::SymbolTable(slot, position as u8))?;
            }
            self.ask(Query::Lines(slot))?;
        }
        Ok(())
    }
}

/// What the 2024 database `db`, whose files are `files`, answers to `query`.
fn database_answer(
    db: &Database2024,
    files: &BTreeMap<&'static str, SourceFile>,
    query: Query,
) -> Answer2024 {
    let Some(&file) = query.file().and_then(|slot| files.get(slot.path())) else {
        return Answer2024::Missing;
    };
    match query {
        Query::Parse(_) => Answer2024::SyntaxErrors(db::parsed_module(db, file).0.errors().len()),
        Query::Scopes(_) => {
            let index = db::semantic_index(db, file);
            Answer2024::Scopes(
                index
                    .scopes
                    .iter()
                    .zip(&index.index.scopes)
                    .map(|(&scope, data)| {
                        let (kind, name, parent) = db::scope_shape(db, scope).clone();
                        (kind, name, parent, data.range)
                    })
                    .collect(),
            )
        }
        Query::SymbolTable(_, position) => {
            let scopes = &db::semantic_index(db, file).scopes;
            match scopes.get(usize::from(position) % scopes.len().max(1)) {
                Some(&scope) => Answer2024::Symbols(Arc::clone(db::symbol_table(db, scope))),
                None => Answer2024::Missing,
            }
        }
        Query::Lines(_) => Answer2024::Lines {
            index: db::line_index(db, file),
            starts: db::line_starts(db, file).len(),
            marks: db::line_marks(db, file)
                .iter()
                .map(|mark| mark.text(db).clone())
                .collect(),
        },
        _ => Answer2024::Missing,
    }
}

/// The query the 2024 database asks for `query`, and its file: the query itself, or for a
/// cross-file one the per-file query it reads first (the scope's table for `resolve_names`,
/// the file's index for the others), so that a script written for the main database asks
/// salsa the same per-file questions in the same revisions; `None` for `resolve_module`.
fn per_file(query: Query) -> Option<(Query, FileSlot)> {
    let query = match query {
        Query::ResolveNames(slot, position) => Query::SymbolTable(slot, position),
        Query::Exports(slot)
        | Query::Diagnostics(slot)
        | Query::Types(slot)
        | Query::Closure(slot) => Query::Scopes(slot),
        other => other,
    };
    Some((query, query.file()?))
}

/// A scope's kind, name, parent position and range.
type ScopeShape2024 = (crate::semantic::ScopeKind, String, Option<u32>, (u32, u32));

/// An answer of the 2024 database, in the shape both sides can give.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer2024 {
    Missing,
    SyntaxErrors(usize),
    /// Each scope's kind, name, parent position and range.
    Scopes(Vec<ScopeShape2024>),
    Symbols(Arc<crate::semantic::SymbolTable>),
    /// `line_index`, how many line starts `line_starts` has, and each `LineMark`'s text.
    Lines {
        index: usize,
        starts: usize,
        marks: Vec<String>,
    },
}

impl Answer2024 {
    /// The database query whose answer differs: the line probe that differs, or `query`'s.
    fn query_behind(&self, other: &Answer2024, query: Query) -> &'static str {
        match (self, other) {
            (
                Answer2024::Lines {
                    index,
                    starts,
                    marks,
                },
                Answer2024::Lines {
                    index: other_index,
                    starts: other_starts,
                    marks: other_marks,
                },
            ) => {
                if marks != other_marks {
                    "line_marks"
                } else if index != other_index {
                    "line_index"
                } else if starts != other_starts {
                    "line_starts"
                } else {
                    query.name()
                }
            }
            _ => query.name(),
        }
    }
}

/// The model's answer, cut to what the 2024 database answers.
fn project(answer: QueryAnswer) -> Answer2024 {
    match answer {
        QueryAnswer::SyntaxErrors(errors) => Answer2024::SyntaxErrors(errors),
        QueryAnswer::Scopes(scopes, _) => Answer2024::Scopes(
            scopes
                .into_iter()
                .map(|(kind, name, parent, range, ..)| {
                    (kind, name, parent.map(|parent| parent.0), range)
                })
                .collect(),
        ),
        QueryAnswer::Symbols(table) => Answer2024::Symbols(table),
        _ => Answer2024::Missing,
    }
}
