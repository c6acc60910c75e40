//! The model's type inference: every function's return type and every module-level name's
//! type at once, by chaotic (worklist) iteration of [`crate::semantic::infer`]'s rules from bottom until
//! nothing changes. Equations are discovered as they are read (a variable never read is
//! bottom), and one is evaluated again whenever a variable it read grows: an independent way
//! to the least fixpoint the database reaches by salsa's per-query fixpoint iteration.

use std::collections::{BTreeMap, BTreeSet};

use crate::answers::FileAnswers;
use crate::semantic::infer::{self, Atom, InferEnv, Mro, Ty};
use crate::semantic::{self, Binding, FileScopeId, ImportRef, ScopeKind};

use super::Model;

/// Evaluations per variable after which the iteration is a bug of ours: the lattice is
/// finite, so it converges.
const MAX_ROUNDS: usize = 100_000;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Var {
    /// What the function at (file position, scope) returns.
    Return(usize, u32),
    /// The type of a module-level name of the file at the position.
    Binding(usize, String),
    /// The type of a name where the scope (file position, scope) calls it.
    Callee(usize, u32, String),
}

/// The least fixpoint: every function's return type and every module-level binding's type.
pub(super) struct Inference {
    values: BTreeMap<Var, Ty>,
    /// Every module-level class's method resolution order, by (file position, name).
    classes: BTreeMap<(usize, String), Mro>,
}

impl Inference {
    /// Fills the `returns` of the function scopes, the `types` and the not-callable
    /// diagnostics of the file at `position`.
    pub(super) fn fill(&self, position: usize, answers: &mut FileAnswers) {
        for (var, ty) in &self.values {
            if let Var::Callee(file, scope, name) = var
                && *file == position
                && ty.is_not_callable()
            {
                let diagnostic = semantic::not_callable(&answers.path, FileScopeId(*scope), name);
                answers.diagnostics.push(diagnostic);
            }
        }
        answers.classes = self
            .classes
            .range((position, String::new())..(position + 1, String::new()))
            .map(|((_, name), mro)| (name.clone(), mro.clone()))
            .collect();
        for (name, mro) in &answers.classes {
            if mro.cyclic {
                let diagnostic = semantic::cyclic_class(&answers.path, name);
                answers.diagnostics.push(diagnostic);
            }
        }
        answers.diagnostics.sort();
        for (scope, data) in answers.scopes.iter_mut().enumerate() {
            if data.kind == ScopeKind::Function {
                let var = Var::Return(position, scope as u32);
                data.returns = Some(self.values.get(&var).cloned().unwrap_or_default());
            }
        }
        // The file's module-level names are roots, so all of them are here, sorted by name.
        answers.types = self
            .values
            .iter()
            .filter_map(|(var, ty)| match var {
                Var::Binding(file, name) if *file == position => Some((name.clone(), ty.clone())),
                _ => None,
            })
            .collect();
    }
}

/// The equations' variables and current values, with who read whom: variable `i` is
/// `vars[i]`, its value `values[i]`, and `readers[i]` the variables whose last evaluations
/// read it (re-evaluated when it grows).
#[derive(Default)]
struct Solver {
    ids: BTreeMap<Var, usize>,
    vars: Vec<Var>,
    values: Vec<Ty>,
    readers: Vec<BTreeSet<usize>>,
}

impl Solver {
    /// The id of `var`, added at bottom if new (the bool says whether it was).
    fn add(&mut self, var: Var) -> (usize, bool) {
        if let Some(&id) = self.ids.get(&var) {
            return (id, false);
        }
        let id = self.vars.len();
        self.ids.insert(var.clone(), id);
        self.vars.push(var);
        self.values.push(Ty::never());
        self.readers.push(BTreeSet::new());
        (id, true)
    }
}

/// Solves every equation reachable from the roots: each function scope, each module-level
/// name a module binds for inference. Chaotic iteration from bottom with a worklist: a
/// variable is evaluated again only when one it read has grown, and the rules are monotone
/// over a finite lattice, so this reaches the least fixpoint whatever the order (the order
/// here is the variables' ids, deterministic).
pub(super) fn infer_all(model: &Model) -> Inference {
    let mut solver = Solver::default();
    for (position, file) in model.files.iter().enumerate() {
        for (scope, data) in file.index().scopes.iter().enumerate() {
            if data.kind == ScopeKind::Function {
                solver.add(Var::Return(position, scope as u32));
            }
        }
        if let Some(module) = file.index().scopes.first() {
            for name in module.inference.bound_names() {
                solver.add(Var::Binding(position, name.to_owned()));
            }
        }
        for (scope, data) in file.index().scopes.iter().enumerate() {
            for name in &data.inference.calls {
                solver.add(Var::Callee(position, scope as u32, name.clone()));
            }
        }
    }
    let roots = solver.vars.len();
    // The classes' base names, read at module level: solved with the rest, not answers.
    for (position, file) in model.files.iter().enumerate() {
        if let Some(module) = file.index().scopes.first() {
            for (_, bases) in &module.inference.class_bases {
                for base in bases {
                    solver.add(Var::Binding(position, base.clone()));
                }
            }
        }
    }
    let mut worklist: BTreeSet<usize> = (0..solver.vars.len()).collect();
    let mut evaluations = 0usize;
    while let Some(id) = worklist.pop_first() {
        evaluations += 1;
        assert!(
            evaluations <= MAX_ROUNDS.saturating_mul(solver.vars.len().max(1)),
            "the model's type inference did not converge in {MAX_ROUNDS} rounds"
        );
        let var = solver.vars[id].clone();
        let mut env = Env {
            model,
            ids: &solver.ids,
            values: &solver.values,
            at: match &var {
                Var::Return(file, scope) => (*file, Some(FileScopeId(*scope))),
                Var::Binding(file, _) => (*file, None),
                Var::Callee(file, scope, _) => (*file, Some(FileScopeId(*scope))),
            },
            read: Vec::new(),
            wanted: Vec::new(),
        };
        let value = evaluate(model, &var, &mut env);
        let (read, wanted) = (env.read, env.wanted);
        for read in read {
            solver.readers[read].insert(id);
        }
        for wanted in wanted {
            // Read as bottom: evaluated next, and this one again if it grows.
            let (new, added) = solver.add(wanted);
            solver.readers[new].insert(id);
            if added {
                worklist.insert(new);
            }
        }
        if solver.values[id] != value {
            solver.values[id] = value;
            worklist.extend(solver.readers[id].iter().copied());
        }
    }
    let values: BTreeMap<Var, Ty> = solver.vars.into_iter().zip(solver.values).collect();
    let classes = class_orders(model, &values);
    // Only the roots are answers; the rest were means.
    let values = values
        .into_iter()
        .filter(|(var, _)| solver.ids.get(var).is_some_and(|&id| id < roots))
        .collect();
    Inference { values, classes }
}

/// A module-level class: (file position, name).
type ClassNode = (usize, String);

/// Every module-level class's method resolution order, from the solved types of its bases'
/// names: a class that reaches itself through its bases gets the fallback; any other is
/// linearized over its bases' orders (see [`Mro`]).
fn class_orders(model: &Model, values: &BTreeMap<Var, Ty>) -> BTreeMap<ClassNode, Mro> {
    let mut bases: BTreeMap<ClassNode, Vec<ClassNode>> = BTreeMap::new();
    for (position, file) in model.files.iter().enumerate() {
        let Some(module) = file.index().scopes.first() else {
            continue;
        };
        for name in module.inference.class_names() {
            let mut edges = Vec::new();
            for base in module.inference.bases_of(name) {
                let Some(ty) = values.get(&Var::Binding(position, base.to_owned())) else {
                    continue;
                };
                for (path, class) in infer::classes_in(ty) {
                    if let Some(target) = model.position(path) {
                        edges.push((target, class.to_owned()));
                    }
                }
            }
            bases.insert((position, name.to_owned()), edges);
        }
    }
    let cyclic: BTreeSet<ClassNode> = bases
        .keys()
        .filter(|&node| reaches(&bases, node, node))
        .cloned()
        .collect();
    let mut orders = BTreeMap::new();
    for node in bases.keys() {
        order_of(model, &bases, &cyclic, node, &mut orders);
    }
    orders
}

/// Whether `to` can be reached from `from` through one base edge or more.
fn reaches(bases: &BTreeMap<ClassNode, Vec<ClassNode>>, from: &ClassNode, to: &ClassNode) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&ClassNode> = bases.get(from).into_iter().flatten().collect();
    while let Some(node) = stack.pop() {
        if node == to {
            return true;
        }
        if seen.insert(node) {
            stack.extend(bases.get(node).into_iter().flatten());
        }
    }
    false
}

fn order_of(
    model: &Model,
    bases: &BTreeMap<ClassNode, Vec<ClassNode>>,
    cyclic: &BTreeSet<ClassNode>,
    node: &ClassNode,
    orders: &mut BTreeMap<ClassNode, Mro>,
) -> Mro {
    if let Some(mro) = orders.get(node) {
        return mro.clone();
    }
    let path = &model.files[node.0].path;
    let mro = if cyclic.contains(node) {
        Mro::cyclic(path, &node.1)
    } else {
        // Not in a cycle, so the recursion only walks down to cycles' fallbacks.
        let base_orders: Vec<Mro> = bases
            .get(node)
            .into_iter()
            .flatten()
            .map(|base| order_of(model, bases, cyclic, base, orders))
            .collect();
        Mro::linearize(path, &node.1, &base_orders)
    };
    orders.insert(node.clone(), mro.clone());
    mro
}

fn evaluate(model: &Model, var: &Var, env: &mut Env<'_>) -> Ty {
    match var {
        Var::Return(file, scope) => {
            let data = &model.files[*file].index().scopes[*scope as usize];
            infer::return_type(&data.inference, env)
        }
        Var::Binding(file, name) => {
            let file = &model.files[*file];
            let Some(module) = file.index().scopes.first() else {
                return Ty::of(Atom::Unknown);
            };
            let binds = module.table.binds(name);
            infer::binding_type(&file.path, &module.inference, binds, name, env)
        }
        Var::Callee(_, _, name) => env.lookup(name),
    }
}

/// The rules' questions, answered from the current values, at (file, function scope or
/// module level); every variable read is noted (`read`), and one not seen yet (`wanted`)
/// joins the equations.
struct Env<'m> {
    model: &'m Model,
    ids: &'m BTreeMap<Var, usize>,
    values: &'m [Ty],
    at: (usize, Option<FileScopeId>),
    read: Vec<usize>,
    wanted: Vec<Var>,
}

impl Env<'_> {
    fn read(&mut self, var: Var) -> Ty {
        match self.ids.get(&var) {
            Some(&id) => {
                self.read.push(id);
                self.values[id].clone()
            }
            None => {
                self.wanted.push(var);
                Ty::never()
            }
        }
    }

    fn binding(&mut self, file: usize, name: &str) -> Ty {
        self.read(Var::Binding(file, name.to_owned()))
    }

    fn target(&self, import: &ImportRef) -> Option<usize> {
        let path = &self.model.files[self.at.0].path;
        let module = semantic::absolute_import(path, import.level, import.module.as_deref())?;
        self.model.modules.get(&module).copied()
    }
}

impl InferEnv for Env<'_> {
    fn lookup(&mut self, name: &str) -> Ty {
        let (file, scope) = self.at;
        let Some(scope) = scope else {
            return self.binding(file, name);
        };
        let answers = self.model.base_at(file);
        let resolutions = &answers.scopes[scope.index()].resolutions;
        let binding = resolutions
            .binary_search_by(|(resolved, _)| resolved.as_str().cmp(name))
            .ok()
            .map(|position| resolutions[position].1.clone());
        match binding {
            Some(Binding::Module) => self.binding(file, name),
            Some(Binding::StarImport(module)) => match self.model.modules.get(&module).copied() {
                Some(target) => self.binding(target, name),
                None => Ty::of(Atom::Unknown),
            },
            _ => Ty::of(Atom::Unknown),
        }
    }

    fn returns_of(&mut self, path: &str, scope: FileScopeId) -> Ty {
        let Some(file) = self.model.position(path) else {
            return Ty::of(Atom::Unknown);
        };
        if scope.index() >= self.model.files[file].index().scopes.len() {
            return Ty::of(Atom::Unknown);
        }
        self.read(Var::Return(file, scope.0))
    }

    fn imported(&mut self, import: &ImportRef, original: &str) -> Ty {
        match self.target(import) {
            Some(target) => self.binding(target, original),
            None => Ty::of(Atom::Unknown),
        }
    }

    fn star_imported(&mut self, name: &str) -> Option<Ty> {
        let table = self.model.files[self.at.0].index().module_table();
        for import in table.star_imports() {
            let Some(target) = self.target(import) else {
                continue;
            };
            let exports = &self.model.exports[target];
            if exports
                .binary_search_by(|export| export.as_str().cmp(name))
                .is_ok()
            {
                return Some(self.binding(target, name));
            }
        }
        None
    }
}
