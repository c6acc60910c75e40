//! The answers the database and the model both produce, in one comparable shape: what the
//! differential oracle compares. Neither side owns them, so neither depends on the other.

use std::sync::Arc;

use crate::semantic::infer::{DefinitionAnswer, Mro, Ty};
use crate::semantic::{
    Binding, Diagnostic, FileScopeId, QualifiedName, ScopeFacts, ScopeKind, SymbolTable,
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

/// The names a project adds to Python's builtins, from two places the database reads
/// differently: its settings (a singleton salsa input) and its environment (outside salsa,
/// read by a query that reports an untracked read). Part of the model's input.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtraBuiltins {
    /// From the settings input.
    pub settings: Vec<String>,
    /// From the environment.
    pub environment: Vec<String>,
}

impl ExtraBuiltins {
    /// Names as both sides store them: sorted, each once.
    pub fn sorted(names: &[&str]) -> Vec<String> {
        let names: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        names.into_iter().map(str::to_owned).collect()
    }

    /// Whether `name` is one of them.
    pub fn contains(&self, name: &str) -> bool {
        self.settings
            .iter()
            .chain(&self.environment)
            .any(|extra| extra == name)
    }
}

/// The inferred types of one file: what `Query::Types` answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileTypes {
    /// Every name the module binds for inference, sorted, with its type (`infer_binding`).
    pub names: Vec<(String, Ty)>,
    /// What each function scope returns (`infer_return`), by scope position.
    pub returns: Vec<(u32, Ty)>,
    /// Every module-level class, sorted by name, with its method resolution order
    /// (`class_mro`).
    pub classes: Vec<(String, Mro)>,
}

/// A module's star-import closure: what `Query::Closure` answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Closure {
    /// The paths of every file reachable through star imports, the module's own included,
    /// sorted.
    pub files: Vec<String>,
    /// Its size, as the module read it back after assigning it.
    pub size: Option<u32>,
    /// For each star import that resolves, in source order: the target's path and the size
    /// the target read back.
    pub reached: Vec<(String, Option<u32>)>,
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
    /// Its module-level definitions, in source order.
    pub definitions: Vec<DefinitionAnswer>,
    /// What `from <this module> import *` provides, sorted.
    pub exports: Vec<String>,
    /// Its star-import closure.
    pub closure: Closure,
    /// The inferred type of each name the module binds in a way inference reads
    /// (`infer_binding`), sorted by name.
    pub types: Vec<(String, Ty)>,
    /// Each module-level class, sorted by name, with its method resolution order
    /// (`class_mro`).
    pub classes: Vec<(String, Mro)>,
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
    /// What `scope_facts` answers: assigned by the index (`specify`) or computed.
    pub facts: ScopeFacts,
    /// What `qualified_name` answers: assigned by the index or computed, whichever came first
    /// in the revision.
    pub qualname: QualifiedName,
    /// What a function scope returns (`infer_return`); `None` for other scopes.
    pub returns: Option<Ty>,
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
    /// A scope's facts: assigned by the semantic index (`specify`) or computed.
    Facts,
    /// A scope's qualified name: assigned by the index, or computed when the index read it
    /// before assigning it.
    Qualnames,
    /// A module's definitions: names, kinds, positions.
    Definitions,
    /// Where a scope's names resolve.
    Resolutions,
    /// What `from <module> import *` provides.
    Exports,
    /// A star-import closure and the sizes its importers read (assigned inside a cycle).
    Closure,
    /// Inferred types: what functions return, what module-level names hold.
    Types,
    /// Classes' method resolution orders (a `cycle_result` query).
    Classes,
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
            AnswerPart::Facts => "facts",
            AnswerPart::Qualnames => "qualnames",
            AnswerPart::Definitions => "definitions",
            AnswerPart::Resolutions => "resolutions",
            AnswerPart::Exports => "exports",
            AnswerPart::Closure => "closure",
            AnswerPart::Types => "types",
            AnswerPart::Classes => "classes",
            AnswerPart::Diagnostics => "diagnostics",
        }
    }
}

impl Answers {
    /// The same answers with every file's star-import closure left out: what is compared
    /// where a known salsa bug makes closures wrong.
    pub fn without_closures(mut self) -> Answers {
        for file in &mut self.files {
            file.closure = Closure::default();
        }
        self
    }

    /// The same answers with every scope's qualified name marked computed: what is compared
    /// where a known salsa bug (salsa#1182) lets an assignment overwrite a computed value.
    pub fn without_qualname_origins(mut self) -> Answers {
        for scope in self.files.iter_mut().flat_map(|file| &mut file.scopes) {
            scope.qualname.assigned = false;
        }
        self
    }

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

impl Answers {
    /// The first difference between two sets of answers (`None` when equal): which kind of
    /// answer (`files`, `scopes`, `symbols`, `resolutions`, `exports`, `diagnostics`), and a
    /// description in one or two lines, which is what an oracle report and a failing test should
    /// show instead of two full dumps.
    pub fn first_difference(&self, other: &Answers) -> Option<(AnswerPart, String)> {
        let other: Vec<&FileAnswers> = other.files.iter().collect();
        first_difference_of(&self.files, &other, true)
    }
}

/// [`Answers::first_difference`] of `got` and `expected`, borrowed (the model keeps its
/// answers; nothing is cloned unless they differ); with `closures` false, star-import
/// closures are not compared.
pub fn first_difference_of(
    got: &[FileAnswers],
    expected: &[&FileAnswers],
    closures: bool,
) -> Option<(AnswerPart, String)> {
    let same_paths = got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|(left, right)| left.path == right.path);
    if !same_paths {
        let left: Vec<&str> = got.iter().map(|file| file.path.as_str()).collect();
        let right: Vec<&str> = expected.iter().map(|file| file.path.as_str()).collect();
        return Some((
            AnswerPart::Files,
            format!("files differ: {left:?} vs {right:?}"),
        ));
    }
    // The most basic kind of difference anywhere in the project comes first: diagnostics
    // are computed from exports and resolutions, so a stale export in one file that shows
    // as a wrong diagnostic in an earlier file is reported as the export it is.
    got.iter()
        .zip(expected)
        .filter_map(|(left, right)| left.first_difference(right, closures))
        .min_by_key(|(part, _)| *part)
}

impl FileAnswers {
    fn first_difference(
        &self,
        other: &FileAnswers,
        closures: bool,
    ) -> Option<(AnswerPart, String)> {
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
                } else if left.facts != right.facts {
                    AnswerPart::Facts
                } else if left.qualname != right.qualname {
                    AnswerPart::Qualnames
                } else if left.resolutions != right.resolutions {
                    AnswerPart::Resolutions
                } else {
                    AnswerPart::Types
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
        if self.definitions != other.definitions {
            return Some((
                AnswerPart::Definitions,
                list_difference(
                    path,
                    "definitions",
                    &self.definitions,
                    &other.definitions,
                    |entry| format!("{} {:?} #{}", entry.name, entry.kind, entry.ordinal),
                ),
            ));
        }
        if self.exports != other.exports {
            return Some((
                AnswerPart::Exports,
                format!("{path}: exports {:?} vs {:?}", self.exports, other.exports),
            ));
        }
        if closures && self.closure != other.closure {
            return Some((
                AnswerPart::Closure,
                format!("{path}: closure {:?} vs {:?}", self.closure, other.closure),
            ));
        }
        if self.types != other.types {
            return Some((
                AnswerPart::Types,
                list_difference(path, "types", &self.types, &other.types, |(name, ty)| {
                    format!("{name}: {ty:?}")
                }),
            ));
        }
        if self.classes != other.classes {
            return Some((
                AnswerPart::Classes,
                list_difference(
                    path,
                    "classes",
                    &self.classes,
                    &other.classes,
                    |(name, mro)| format!("{name}: {mro:?}"),
                ),
            ));
        }
        if self.diagnostics != other.diagnostics {
            return Some((
                AnswerPart::Diagnostics,
                list_difference(
                    path,
                    "diagnostics",
                    &self.diagnostics,
                    &other.diagnostics,
                    |diagnostic| format!("{:?}: {}", diagnostic.kind, diagnostic.message),
                ),
            ));
        }
        None
    }
}

/// "`path`: `what` differ; only left: [..]; only right: [..]", each entry shown by `show`.
fn list_difference<T: PartialEq>(
    path: &str,
    what: &str,
    left: &[T],
    right: &[T],
    show: impl Fn(&T) -> String,
) -> String {
    let only = |a: &[T], b: &[T]| -> Vec<String> {
        a.iter()
            .filter(|entry| !b.contains(entry))
            .map(&show)
            .collect()
    };
    format!(
        "{path}: {what} differ; only left: {:?}; only right: {:?}",
        only(left, right),
        only(right, left)
    )
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
        if self.returns != other.returns {
            left.push(format!("returns {:?}", self.returns));
            right.push(format!("returns {:?}", other.returns));
        }
        if self.facts != other.facts {
            left.push(format!("facts {:?}", self.facts));
            right.push(format!("facts {:?}", other.facts));
        }
        if self.qualname != other.qualname {
            left.push(format!("qualname {:?}", self.qualname));
            right.push(format!("qualname {:?}", other.qualname));
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
