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

use crate::answers::{Answers, Closure, ExtraBuiltins, FileAnswers, ScopeAnswers, SourceInput};
use crate::semantic::infer::DefinitionAnswer;
use crate::semantic::{
    self, Binding, Diagnostic, FileIndex, FileScopeId, ImportEnv, QualifiedName, ScopeFacts,
    ScopeKind, SymbolFlags, SymbolTable,
};
use crate::semantic::{ParsedModule, Parses};

mod infer;

struct ModelFile {
    path: String,
    is_library: bool,
    parsed: ParsedModule,
}

impl ModelFile {
    fn index(&self) -> &FileIndex {
        self.parsed.index()
    }
}

/// Parsed texts and their indexes, by text: a pure function of the text, so reusing them
/// between versions of a project changes nothing but the time the model takes. Lives for one
/// script; the fuzzing loop passes one to [`Model::new`] and shares it with the script's
/// database ([`crate::db::FuzzDatabase::share_parses`]), so a text is parsed and indexed once.
pub type ParseCache = Parses;

/// The model of one version of a project: every file parsed and indexed, modules resolved and
/// star-import exports computed up front; each file's scopes, resolutions and diagnostics
/// computed on first request, so a check of one file does not pay for the others.
pub struct Model {
    files: Vec<ModelFile>,
    modules: BTreeMap<String, usize>,
    exports: Vec<Vec<String>>,
    /// The paths of the files each file reaches through star imports, itself included.
    closures: Vec<Vec<String>>,
    builtins: ExtraBuiltins,
    /// Each file's answers without the inferred types, which need every file.
    base: Vec<OnceLock<FileAnswers>>,
    inference: OnceLock<infer::Inference>,
    answers: Vec<OnceLock<FileAnswers>>,
}

impl Model {
    /// The model of `inputs`, with `builtins` added to Python's. Paths are expected to be
    /// unique; on duplicates the last input wins, as it would for successive writes to the
    /// database.
    pub fn new(inputs: &[SourceInput], builtins: &ExtraBuiltins, cache: &ParseCache) -> Model {
        let by_path: BTreeMap<&str, &SourceInput> = inputs
            .iter()
            .map(|input| (input.path.as_str(), input))
            .collect();
        let files: Vec<ModelFile> = by_path
            .into_values()
            .map(|input| ModelFile {
                path: input.path.clone(),
                is_library: input.is_library,
                parsed: cache.get(&input.text),
            })
            .collect();
        let modules = module_map(&files);
        let (exports, closures) = star_exports_by_reachability(&files, &modules);
        let base = files.iter().map(|_| OnceLock::new()).collect();
        let answers = files.iter().map(|_| OnceLock::new()).collect();
        Model {
            files,
            modules,
            exports,
            closures,
            builtins: builtins.clone(),
            base,
            inference: OnceLock::new(),
            answers,
        }
    }

    /// The answers about the live file at `path`, if there is one.
    pub fn file(&self, path: &str) -> Option<&FileAnswers> {
        Some(self.file_at(self.position(path)?))
    }

    /// [`Model::file`] without the inferred types (`types` empty, every scope's `returns`
    /// `None`), which are inferred for the whole project at once: cheaper for a question
    /// about something else.
    pub fn file_without_types(&self, path: &str) -> Option<&FileAnswers> {
        Some(self.base_at(self.position(path)?))
    }

    /// How many lines the live file at `path` has, if there is one.
    pub fn text_lines(&self, path: &str) -> Option<usize> {
        Some(self.files[self.position(path)?].parsed.lines())
    }

    fn position(&self, path: &str) -> Option<usize> {
        self.files
            .binary_search_by(|file| file.path.as_str().cmp(path))
            .ok()
    }

    fn base_at(&self, position: usize) -> &FileAnswers {
        self.base[position].get_or_init(|| file_answers(position, self))
    }

    fn file_at(&self, position: usize) -> &FileAnswers {
        self.answers[position].get_or_init(|| {
            let inference = self.inference.get_or_init(|| infer::infer_all(self));
            let mut answers = self.base_at(position).clone();
            inference.fill(position, &mut answers);
            answers
        })
    }

    /// The live files' paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|file| file.path.as_str())
    }

    /// Every answer about every file, borrowed, in path order.
    pub fn file_answers(&self) -> Vec<&FileAnswers> {
        (0..self.files.len())
            .map(|position| self.file_at(position))
            .collect()
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

/// Computes every answer for `inputs` from scratch, with Python's builtins alone.
pub fn compute(inputs: &[SourceInput]) -> Answers {
    compute_with(inputs, &ExtraBuiltins::default())
}

/// Computes every answer for `inputs` from scratch, with `builtins` added to Python's.
pub fn compute_with(inputs: &[SourceInput], builtins: &ExtraBuiltins) -> Answers {
    Model::new(inputs, builtins, &ParseCache::default()).answers()
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
    let table = file.index().module_table();
    table
        .star_imports()
        .filter_map(|import| {
            let module =
                semantic::absolute_import(&file.path, import.level, import.module.as_deref())?;
            modules.get(&module).copied()
        })
        .collect()
}

/// The exports of every file (the public module-level names of every file reachable through
/// star imports, the file itself included) and its closure (the paths of those files). Equal
/// to the least fixpoints salsa iterates to.
fn star_exports_by_reachability(
    files: &[ModelFile],
    modules: &BTreeMap<String, usize>,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
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
                let table = files[position].index().module_table();
                names.extend(table.own_exports().map(str::to_owned));
                for &next in &edges[position] {
                    if seen.insert(next) {
                        stack.push(next);
                    }
                }
            }
            let closure: BTreeSet<&str> = seen
                .iter()
                .map(|&position| files[position].path.as_str())
                .collect();
            (
                names.into_iter().collect(),
                closure.into_iter().map(str::to_owned).collect(),
            )
        })
        .unzip()
}

fn file_answers(position: usize, model: &Model) -> FileAnswers {
    let (files, modules, exports) = (&model.files, &model.modules, &model.exports);
    let file = &files[position];
    let path = file.path.as_str();
    let module_table = file.index().module_table();
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
    let mut scopes = Vec::with_capacity(file.index().scopes.len());
    for (position, scope) in file.index().scopes.iter().enumerate() {
        let id = FileScopeId(u32::try_from(position).unwrap_or(u32::MAX));
        let chain = scope_chain(file.index(), id);
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
                            |name| model.builtins.contains(name),
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
            facts: ScopeFacts::of(&scope.table, ScopeFacts::is_assigned(scope.kind)),
            qualname: QualifiedName::of(
                scope
                    .parent
                    .and_then(|parent| scopes.get(parent.index()))
                    .map(|parent: &ScopeAnswers| parent.qualname.path.as_str()),
                path,
                scope.kind,
                &scope.name,
            ),
            returns: None,
            resolutions: Arc::new(resolutions),
        });
    }
    diagnostics.sort();
    FileAnswers {
        path: path.to_owned(),
        is_library: file.is_library,
        definitions: file
            .index()
            .scopes
            .first()
            .map(|module| DefinitionAnswer::all(&module.inference.bindings))
            .unwrap_or_default(),
        scopes,
        exports: exports[position].clone(),
        closure: Closure {
            files: model.closures[position].clone(),
            size: Some(u32::try_from(model.closures[position].len()).unwrap_or(u32::MAX)),
            reached: star_targets(file, modules)
                .into_iter()
                .map(|target| {
                    let size = u32::try_from(model.closures[target].len()).unwrap_or(u32::MAX);
                    (files[target].path.clone(), Some(size))
                })
                .collect(),
        },
        types: Vec::new(),
        classes: Vec::new(),
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
        self.files[file].index().module_table().binds(name)
    }

    fn exports(&mut self, file: usize, name: &str) -> bool {
        self.exports[file]
            .binary_search_by(|export| export.as_str().cmp(name))
            .is_ok()
    }
}
