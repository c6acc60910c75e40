//! The reference model: every answer of the database, computed from the current texts in one
//! plain pass, without salsa. The fuzzing loop's differential oracle compares the two.
//!
//! It shares the AST walk and the resolution rules with the database (`crate::semantic`), so
//! the two can only disagree when salsa returns something other than what re-running every
//! query from scratch would: a stale memo, a lost accumulated value, a wrong fixpoint. Where
//! the database iterates import cycles to a fixpoint, the model computes the same least
//! fixpoint as plain graph reachability, an independent algorithm.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use crate::db::{ParsedModule, parse_source};
use crate::semantic::{
    self, Binding, Diagnostic, FileIndex, FileScopeId, ImportEnv, ScopeKind, SymbolFlags,
    SymbolTable,
};

/// One file as the model takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInput {
    /// Project-relative path with `/` separators.
    pub path: String,
    /// The file's text.
    pub text: String,
    /// Whether it is library code; changes durability, never answers.
    pub is_library: bool,
}

/// Everything the database answers about a project, in one comparable value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answers {
    /// One entry per live file, sorted by path.
    pub files: Vec<FileAnswers>,
}

/// The answers about one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAnswers {
    /// The file's path.
    pub path: String,
    /// Whether the file is marked as library code.
    pub is_library: bool,
    /// Its scopes, indexed by [`FileScopeId`].
    pub scopes: Vec<ScopeAnswers>,
    /// What `from <this module> import *` provides, sorted.
    pub exports: Vec<String>,
    /// Its diagnostics, sorted.
    pub diagnostics: Vec<Diagnostic>,
}

/// The answers about one scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeAnswers {
    /// What opened it.
    pub kind: ScopeKind,
    /// Its name.
    pub name: String,
    /// Its enclosing scope.
    pub parent: Option<FileScopeId>,
    /// The byte range of the node that opened it.
    pub range: (u32, u32),
    /// Its symbol table.
    pub symbols: Arc<SymbolTable>,
    /// Every name it reads, with where that resolves to.
    pub resolutions: Arc<Vec<(String, Binding)>>,
}

/// The kinds of answer, from the most basic to the most derived: the order in which a
/// difference is reported ([`Answers::first_difference`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnswerPart {
    /// Which files exist, and which are library code.
    Files,
    /// The scopes: kind, name, parent, range.
    Scopes,
    /// A scope's symbol table.
    Symbols,
    /// Where a scope's names resolve.
    Resolutions,
    /// What `from <module> import *` provides.
    Exports,
    /// Diagnostics.
    Diagnostics,
}

impl AnswerPart {
    /// Its name in finding signatures.
    pub fn name(self) -> &'static str {
        match self {
            AnswerPart::Files => "files",
            AnswerPart::Scopes => "scopes",
            AnswerPart::Symbols => "symbols",
            AnswerPart::Resolutions => "resolutions",
            AnswerPart::Exports => "exports",
            AnswerPart::Diagnostics => "diagnostics",
        }
    }
}

impl Answers {
    /// Counts of (files, scopes, symbols), for reports.
    pub fn totals(&self) -> (usize, usize, usize) {
        let scopes = self.files.iter().map(|file| file.scopes.len()).sum();
        let symbols = self
            .files
            .iter()
            .flat_map(|file| &file.scopes)
            .map(|scope| scope.symbols.symbols.len())
            .sum();
        (self.files.len(), scopes, symbols)
    }
}

struct ModelFile {
    path: String,
    is_library: bool,
    parsed: ParsedModule,
    index: Arc<FileIndex>,
}

/// Parsed texts and their indexes, by text: a pure function of the text, so reusing them
/// between versions of a project changes nothing but the time the model takes. Lives for one
/// script; the fuzzing loop passes one to [`Model::new`].
#[derive(Default)]
pub struct ParseCache {
    by_text: BTreeMap<String, (ParsedModule, Arc<FileIndex>)>,
}

impl ParseCache {
    fn get(&mut self, text: &str) -> (ParsedModule, Arc<FileIndex>) {
        if let Some(entry) = self.by_text.get(text) {
            return entry.clone();
        }
        let parsed = parse_source(text);
        let index = Arc::new(semantic::build_file_index(parsed.syntax()));
        self.by_text
            .insert(text.to_owned(), (parsed.clone(), Arc::clone(&index)));
        (parsed, index)
    }
}

/// The model of one version of a project: every file parsed and indexed, modules resolved and
/// star-import exports computed up front; each file's scopes, resolutions and diagnostics
/// computed on first request, so a check of one file does not pay for the others.
pub struct Model {
    files: Vec<ModelFile>,
    modules: BTreeMap<String, usize>,
    exports: Vec<Vec<String>>,
    answers: Vec<OnceLock<FileAnswers>>,
}

impl Model {
    /// The model of `inputs`. Paths are expected to be unique; on duplicates the last input
    /// wins, as it would for successive writes to the database.
    pub fn new(inputs: &[SourceInput], cache: &mut ParseCache) -> Model {
        let by_path: BTreeMap<&str, &SourceInput> = inputs
            .iter()
            .map(|input| (input.path.as_str(), input))
            .collect();
        let files: Vec<ModelFile> = by_path
            .into_values()
            .map(|input| {
                let (parsed, index) = cache.get(&input.text);
                ModelFile {
                    path: input.path.clone(),
                    is_library: input.is_library,
                    parsed,
                    index,
                }
            })
            .collect();
        let modules = module_map(&files);
        let exports = star_exports_by_reachability(&files, &modules);
        let answers = files.iter().map(|_| OnceLock::new()).collect();
        Model {
            files,
            modules,
            exports,
            answers,
        }
    }

    /// The answers about the live file at `path`, if there is one.
    pub fn file(&self, path: &str) -> Option<&FileAnswers> {
        let position = self
            .files
            .binary_search_by(|file| file.path.as_str().cmp(path))
            .ok()?;
        Some(self.file_at(position))
    }

    fn file_at(&self, position: usize) -> &FileAnswers {
        self.answers[position]
            .get_or_init(|| file_answers(position, &self.files, &self.modules, &self.exports))
    }

    /// The live files' paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|file| file.path.as_str())
    }

    /// Every answer about every file.
    pub fn answers(&self) -> Answers {
        Answers {
            files: (0..self.files.len())
                .map(|position| self.file_at(position).clone())
                .collect(),
        }
    }
}

/// Computes every answer for `inputs` from scratch.
pub fn compute(inputs: &[SourceInput]) -> Answers {
    Model::new(inputs, &mut ParseCache::default()).answers()
}

/// Module name to file position, chosen by the same rule `resolve_module` uses.
fn module_map(files: &[ModelFile]) -> BTreeMap<String, usize> {
    let mut candidates: BTreeMap<String, Vec<(usize, &str)>> = BTreeMap::new();
    for (position, file) in files.iter().enumerate() {
        if let Some(module) = semantic::module_name_for_path(&file.path) {
            candidates
                .entry(module)
                .or_default()
                .push((position, file.path.as_str()));
        }
    }
    candidates
        .into_iter()
        .filter_map(|(module, paths)| {
            semantic::pick_module_file(paths, &module).map(|position| (module, position))
        })
        .collect()
}

fn star_targets(file: &ModelFile, modules: &BTreeMap<String, usize>) -> Vec<usize> {
    let table = file.index.module_table();
    table
        .star_imports()
        .filter_map(|import| {
            let module =
                semantic::absolute_import(&file.path, import.level, import.module.as_deref())?;
            modules.get(&module).copied()
        })
        .collect()
}

/// The exports of every file: the public module-level names of every file reachable through
/// star imports, the file itself included. Equal to the least fixpoint salsa iterates to.
fn star_exports_by_reachability(
    files: &[ModelFile],
    modules: &BTreeMap<String, usize>,
) -> Vec<Vec<String>> {
    let edges: Vec<Vec<usize>> = files
        .iter()
        .map(|file| star_targets(file, modules))
        .collect();
    (0..files.len())
        .map(|start| {
            let mut seen = BTreeSet::from([start]);
            let mut stack = vec![start];
            let mut names = BTreeSet::new();
            while let Some(position) = stack.pop() {
                let table = files[position].index.module_table();
                names.extend(table.own_exports().map(str::to_owned));
                for &next in &edges[position] {
                    if seen.insert(next) {
                        stack.push(next);
                    }
                }
            }
            names.into_iter().collect()
        })
        .collect()
}

fn file_answers(
    position: usize,
    files: &[ModelFile],
    modules: &BTreeMap<String, usize>,
    exports: &[Vec<String>],
) -> FileAnswers {
    let file = &files[position];
    let path = file.path.as_str();
    let module_table = file.index.module_table();
    let star_exports: Vec<(String, &[String])> = star_targets(file, modules)
        .into_iter()
        .map(|target| {
            let module = semantic::module_name_for_path(&files[target].path);
            (module.unwrap_or_default(), exports[target].as_slice())
        })
        .collect();
    let mut env = ModelImportEnv {
        files,
        modules,
        exports,
    };
    let mut diagnostics: Vec<Diagnostic> = file
        .parsed
        .errors()
        .iter()
        .map(|error| semantic::syntax_error(path, error))
        .collect();
    let mut scopes = Vec::with_capacity(file.index.scopes.len());
    for (position, scope) in file.index.scopes.iter().enumerate() {
        let id = FileScopeId(u32::try_from(position).unwrap_or(u32::MAX));
        let chain = scope_chain(&file.index, id);
        let resolutions: Vec<(String, Binding)> = scope
            .table
            .symbols
            .iter()
            .filter(|symbol| symbol.flags.contains(SymbolFlags::USED))
            .map(|symbol| {
                let binding =
                    semantic::resolve_in_chain(&symbol.name, &chain).unwrap_or_else(|| {
                        semantic::resolve_module_level(
                            &symbol.name,
                            &module_table,
                            star_exports
                                .iter()
                                .map(|(module, names)| (module.clone(), *names)),
                        )
                    });
                (symbol.name.clone(), binding)
            })
            .collect();
        diagnostics.extend(semantic::check_imports(
            path,
            id,
            &scope.table.imports,
            &mut env,
        ));
        diagnostics.extend(
            resolutions
                .iter()
                .filter(|(_, binding)| *binding == Binding::Unresolved)
                .map(|(name, _)| semantic::unresolved_reference(path, id, name)),
        );
        scopes.push(ScopeAnswers {
            kind: scope.kind,
            name: scope.name.clone(),
            parent: scope.parent,
            range: scope.range,
            symbols: Arc::clone(&scope.table),
            resolutions: Arc::new(resolutions),
        });
    }
    diagnostics.sort();
    FileAnswers {
        path: path.to_owned(),
        is_library: file.is_library,
        scopes,
        exports: exports[position].clone(),
        diagnostics,
    }
}

/// The scopes from `id` outwards, stopping before the module scope.
fn scope_chain(index: &FileIndex, id: FileScopeId) -> Vec<(FileScopeId, ScopeKind, &SymbolTable)> {
    let mut chain = Vec::new();
    let mut current = Some(id);
    while let Some(scope_id) = current {
        let Some(scope) = index.scope(scope_id) else {
            break;
        };
        if scope.kind == ScopeKind::Module {
            break;
        }
        chain.push((scope_id, scope.kind, scope.table.as_ref()));
        current = scope.parent;
    }
    chain
}

struct ModelImportEnv<'m> {
    files: &'m [ModelFile],
    modules: &'m BTreeMap<String, usize>,
    exports: &'m [Vec<String>],
}

impl ImportEnv for ModelImportEnv<'_> {
    type File = usize;

    fn resolve(&mut self, module: &str) -> Option<usize> {
        self.modules.get(module).copied()
    }

    fn module_binds(&mut self, file: usize, name: &str) -> bool {
        self.files[file].index.module_table().binds(name)
    }

    fn exports(&mut self, file: usize, name: &str) -> bool {
        self.exports[file]
            .binary_search_by(|export| export.as_str().cmp(name))
            .is_ok()
    }
}

impl Answers {
    /// The first difference between two sets of answers (`None` when equal): which kind of
    /// answer (`files`, `scopes`, `symbols`, `resolutions`, `exports`, `diagnostics`), and a
    /// description in one or two lines, which is what an oracle report and a failing test should
    /// show instead of two full dumps.
    pub fn first_difference(&self, other: &Answers) -> Option<(AnswerPart, String)> {
        let paths = |answers: &Answers| -> Vec<String> {
            answers.files.iter().map(|file| file.path.clone()).collect()
        };
        if paths(self) != paths(other) {
            return Some((
                AnswerPart::Files,
                format!("files differ: {:?} vs {:?}", paths(self), paths(other)),
            ));
        }
        // The most basic kind of difference anywhere in the project comes first: diagnostics
        // are computed from exports and resolutions, so a stale export in one file that shows
        // as a wrong diagnostic in an earlier file is reported as the export it is.
        self.files
            .iter()
            .zip(&other.files)
            .filter_map(|(left, right)| left.first_difference(right))
            .min_by_key(|(part, _)| *part)
    }
}

impl FileAnswers {
    fn first_difference(&self, other: &FileAnswers) -> Option<(AnswerPart, String)> {
        let path = &self.path;
        if self.is_library != other.is_library {
            return Some((
                AnswerPart::Files,
                format!(
                    "{path}: is_library {} vs {}",
                    self.is_library, other.is_library
                ),
            ));
        }
        if self.scopes.len() != other.scopes.len() {
            return Some((
                AnswerPart::Scopes,
                format!(
                    "{path}: {} scopes vs {}",
                    self.scopes.len(),
                    other.scopes.len()
                ),
            ));
        }
        for (position, (left, right)) in self.scopes.iter().zip(&other.scopes).enumerate() {
            if left != right {
                let part = if (left.kind, &left.name, left.parent, left.range)
                    != (right.kind, &right.name, right.parent, right.range)
                {
                    AnswerPart::Scopes
                } else if left.symbols != right.symbols {
                    AnswerPart::Symbols
                } else {
                    AnswerPart::Resolutions
                };
                return Some((
                    part,
                    format!(
                        "{path}: scope {position} ({:?} {}) differs:\n  {}\n  {}",
                        left.kind,
                        left.name,
                        left.describe_difference(right).0,
                        left.describe_difference(right).1
                    ),
                ));
            }
        }
        if self.exports != other.exports {
            return Some((
                AnswerPart::Exports,
                format!("{path}: exports {:?} vs {:?}", self.exports, other.exports),
            ));
        }
        if self.diagnostics != other.diagnostics {
            let only = |a: &[Diagnostic], b: &[Diagnostic]| -> Vec<String> {
                a.iter()
                    .filter(|diagnostic| !b.contains(diagnostic))
                    .map(|diagnostic| format!("{:?}: {}", diagnostic.kind, diagnostic.message))
                    .collect()
            };
            return Some((
                AnswerPart::Diagnostics,
                format!(
                    "{path}: diagnostics differ; only left: {:?}; only right: {:?}",
                    only(&self.diagnostics, &other.diagnostics),
                    only(&other.diagnostics, &self.diagnostics)
                ),
            ));
        }
        None
    }
}

impl ScopeAnswers {
    /// The differing fields of two scopes, as (left, right) descriptions.
    fn describe_difference(&self, other: &ScopeAnswers) -> (String, String) {
        let mut left = Vec::new();
        let mut right = Vec::new();
        if (self.kind, &self.name, self.parent, self.range)
            != (other.kind, &other.name, other.parent, other.range)
        {
            left.push(format!(
                "{:?} {} parent {:?} range {:?}",
                self.kind, self.name, self.parent, self.range
            ));
            right.push(format!(
                "{:?} {} parent {:?} range {:?}",
                other.kind, other.name, other.parent, other.range
            ));
        }
        if self.symbols != other.symbols {
            left.push(format!("symbols {:?}", self.symbols));
            right.push(format!("symbols {:?}", other.symbols));
        }
        if self.resolutions != other.resolutions {
            let only = |a: &[(String, Binding)], b: &[(String, Binding)]| -> Vec<String> {
                a.iter()
                    .filter(|entry| !b.contains(entry))
                    .map(|(name, binding)| format!("{name} -> {binding:?}"))
                    .collect()
            };
            left.push(format!(
                "resolutions {:?}",
                only(&self.resolutions, &other.resolutions)
            ));
            right.push(format!(
                "resolutions {:?}",
                only(&other.resolutions, &self.resolutions)
            ));
        }
        (left.join("; "), right.join("; "))
    }
}
