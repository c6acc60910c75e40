//! Type inference, small and shaped like ty's: what a function returns and what a module-level
//! name holds, from literals, calls resolved through name resolution (across files through
//! `from m import f` and star imports), `+ k` on ints, `min(e, k)`, `a if c else b` (only the
//! branches the test's type allows, so a dependency can appear in a later fixpoint iteration),
//! classes and their instances.
//!
//! Mutual recursion makes cycles of two distinct queries (a function's return type, a module
//! name's type) that span files and can be entered at any of their members, and `f() + 1` in a
//! cycle makes a literal set grow by one per iteration until it widens to `int` ([`LITERAL_CAP`]),
//! so some fixpoints need more than ten iterations.
//!
//! What it promises: the rules are monotone over a finite lattice ([`Ty`], ordered by
//! inclusion after [`Ty::normalized`]), so the equations have one least fixpoint, whatever the
//! order in which they are solved. The database solves them with salsa's fixpoint iteration
//! from a divergent initial value ([`Ty::divergent`], which is bottom); the model by plain
//! Kleene iteration over every equation at once. Both call the rules here through
//! [`InferEnv`], so they can only differ in how they solve.

use std::collections::BTreeSet;

use ruff_python_ast::{self as ast, Expr, Number, Operator, UnaryOp};

use super::{FileScopeId, ImportRef};

/// More distinct int literals than this widen to `int`, as ty widens large unions.
pub const LITERAL_CAP: usize = 12;

/// An expression, as far as inference looks at it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InferExpr {
    /// An int literal (out-of-range literals are [`InferExpr::IntAny`]).
    Int(i64),
    /// An int too large for a literal.
    IntAny,
    /// A string (or f-string, or bytes).
    Str,
    /// `None`.
    NoneLit,
    /// `True` or `False`.
    Bool,
    /// A name read.
    Name(String),
    /// `name(...)`.
    Call(String),
    /// `e + k` or `k + e` with an int literal `k` (negative for `e - k`).
    Add(Box<InferExpr>, i64),
    /// `a if c else b`: the test, then the two branches.
    If(Box<InferExpr>, Box<InferExpr>, Box<InferExpr>),
    /// `min(e, k)` or `min(k, e)` with an int literal `k`: the ints of `e` clamped to `k`.
    Min(Box<InferExpr>, i64),
    /// Anything else.
    Unknown,
}

impl InferExpr {
    /// What inference sees of `expr`.
    pub fn of(expr: &Expr) -> InferExpr {
        match expr {
            Expr::NumberLiteral(number) => match &number.value {
                Number::Int(int) => int.as_i64().map_or(InferExpr::IntAny, InferExpr::Int),
                _ => InferExpr::Unknown,
            },
            Expr::UnaryOp(unary) if unary.op == UnaryOp::USub => match int_literal(expr) {
                Some(k) => InferExpr::Int(k),
                None if matches!(unary.operand.as_ref(), Expr::NumberLiteral(_)) => {
                    InferExpr::IntAny
                }
                None => InferExpr::Unknown,
            },
            Expr::StringLiteral(_) | Expr::FString(_) | Expr::BytesLiteral(_) => InferExpr::Str,
            Expr::NoneLiteral(_) => InferExpr::NoneLit,
            Expr::BooleanLiteral(_) => InferExpr::Bool,
            Expr::Name(name) => InferExpr::Name(name.id.to_string()),
            Expr::Call(call) => match call.func.as_ref() {
                Expr::Name(name) if name.id.as_str() == "min" => min_of(call),
                Expr::Name(name) => InferExpr::Call(name.id.to_string()),
                _ => InferExpr::Unknown,
            },
            Expr::BinOp(binary) if binary.op == Operator::Add => {
                with_literal(&binary.left, &binary.right, InferExpr::Add)
            }
            // `e - k` is `e + (-k)`: with it, a conditional's test can become falsy (contain
            // 0) only once a literal set reaches `k`, or widens to `int`, so a branch (and a
            // cycle through it) can open exactly as a fixpoint saturates.
            Expr::BinOp(binary) if binary.op == Operator::Sub => {
                match int_literal(&binary.right).and_then(i64::checked_neg) {
                    Some(k) => InferExpr::Add(Box::new(InferExpr::of(&binary.left)), k),
                    None => InferExpr::Unknown,
                }
            }
            Expr::If(conditional) => InferExpr::If(
                Box::new(InferExpr::of(&conditional.test)),
                Box::new(InferExpr::of(&conditional.body)),
                Box::new(InferExpr::of(&conditional.orelse)),
            ),
            _ => InferExpr::Unknown,
        }
    }
}

/// `min(e, k)` or `min(k, e)` with an int literal `k`, two positional arguments and nothing
/// else: [`InferExpr::Min`]. With it a value in a cycle grows by one per iteration and stops
/// at `k` (`min(f() + 1, 3)` from `0`: four iterations, then one that changes nothing), so a
/// fixpoint saturates without widening,
/// as salsa#1263's regression test makes its heads do through `cycle_fn`; a threshold on it
/// (`0 if f() - 3 else g()`) then opens a late dependency exactly as the heads converge. The
/// name is read syntactically, like every other form here (a module that binds its own `min`
/// still gets the clamp): the database and the model share this rule, so they agree either way.
fn min_of(call: &ast::ExprCall) -> InferExpr {
    let arguments = &call.arguments;
    if !arguments.keywords.is_empty() {
        return InferExpr::Unknown;
    }
    match &*arguments.args {
        [left, right] => with_literal(left, right, InferExpr::Min),
        _ => InferExpr::Unknown,
    }
}

/// `make(e, k)` for two operands of which one is an int literal `k` (the right one if both
/// are), in either order; `Unknown` if neither is.
fn with_literal(
    left: &Expr,
    right: &Expr,
    make: fn(Box<InferExpr>, i64) -> InferExpr,
) -> InferExpr {
    match (int_literal(left), int_literal(right)) {
        (_, Some(k)) => make(Box::new(InferExpr::of(left)), k),
        (Some(k), None) => make(Box::new(InferExpr::of(right)), k),
        (None, None) => InferExpr::Unknown,
    }
}

/// The value of an int literal, or of a negated one (`-3`).
fn int_literal(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::NumberLiteral(ast::ExprNumberLiteral {
            value: Number::Int(int),
            ..
        }) => int.as_i64(),
        Expr::UnaryOp(unary) if unary.op == UnaryOp::USub => {
            int_literal(&unary.operand).and_then(i64::checked_neg)
        }
        _ => None,
    }
}

/// How a module-level name is bound, as inference sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ModuleBinding {
    /// `def name` at module level: the function's scope.
    Def(FileScopeId),
    /// `class name` at module level.
    Class,
    /// `name = expr` (a single name target).
    Value(InferExpr),
    /// `from module import original [as name]`.
    Import(ImportRef, String),
}

/// What kind of module-level binding a definition is: [`ModuleBinding`] without its data.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefinitionKind {
    /// `def name`.
    Function,
    /// `class name`.
    Class,
    /// `name = expr`.
    Value,
    /// `from module import original [as name]`.
    Import,
}

impl DefinitionKind {
    /// The kind of `binding`.
    pub fn of(binding: &ModuleBinding) -> DefinitionKind {
        match binding {
            ModuleBinding::Def(_) => DefinitionKind::Function,
            ModuleBinding::Class => DefinitionKind::Class,
            ModuleBinding::Value(_) => DefinitionKind::Value,
            ModuleBinding::Import(..) => DefinitionKind::Import,
        }
    }
}

/// What the answers say of one module-level definition: its name, its kind and its position
/// among the module's bindings (in source order, from 0).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefinitionAnswer {
    /// The bound name.
    pub name: String,
    /// How it is bound.
    pub kind: DefinitionKind,
    /// Its position among the module's bindings.
    pub ordinal: u32,
}

impl DefinitionAnswer {
    /// The definitions of a module with `bindings` (its [`ScopeInference::bindings`]).
    pub fn all(bindings: &[(String, ModuleBinding)]) -> Vec<DefinitionAnswer> {
        bindings
            .iter()
            .enumerate()
            .map(|(ordinal, (name, binding))| DefinitionAnswer {
                name: name.clone(),
                kind: DefinitionKind::of(binding),
                ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
            })
            .collect()
    }
}

/// What inference needs of one scope: a function's `return`s, a module's bindings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeInference {
    /// The values of the function's `return` statements in source order (`return` alone is
    /// `None`); empty for other scopes.
    pub returns: Vec<InferExpr>,
    /// The module scope's bindings of names, in source order; empty for other scopes.
    pub bindings: Vec<(String, ModuleBinding)>,
    /// The names the scope calls (`name(...)` evaluated in this scope), sorted, once each.
    pub calls: Vec<String>,
    /// The module scope's `class` statements in source order: each class's name and the
    /// names of its bases that are plain names (`class C(B, m.D)` gives `B`); empty for
    /// other scopes.
    pub class_bases: Vec<(String, Vec<String>)>,
}

impl ScopeInference {
    /// The names the module binds in a way inference reads, sorted, without duplicates.
    pub fn bound_names(&self) -> Vec<&str> {
        sorted_names(&self.bindings)
    }

    /// The names of the module's classes, sorted, once each.
    pub fn class_names(&self) -> Vec<&str> {
        sorted_names(&self.class_bases)
    }

    /// The bases of every `class name` statement of the module, in source order.
    pub fn bases_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.class_bases
            .iter()
            .filter(move |(class, _)| class == name)
            .flat_map(|(_, bases)| bases.iter().map(String::as_str))
    }
}

/// The names of `entries`, sorted, once each.
fn sorted_names<T>(entries: &[(String, T)]) -> Vec<&str> {
    let names: BTreeSet<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    names.into_iter().collect()
}

/// A module-level class: the path of its file and its name.
pub type ClassRef = (String, String);

/// The method resolution order of a module-level class, as [`crate::db::class_mro`] answers
/// it: the class, then the classes of its bases' orders, left to right, each once. A class
/// that inherits from itself through its bases (an inheritance cycle, across files or not)
/// gets the fallback order, itself alone and `cyclic`: every member of the cycle does, and
/// a class that inherits from a member (but is not one) puts that fallback in its own
/// order. The bases of a class are the classes its base names' inferred types hold
/// ([`classes_in`], in atom order), for every `class` statement of that name in the module.
///
/// It is what salsa's `cycle_result` (an immediate fallback, no iteration) computes when
/// every query of a cycle has one: each participant of the cycle takes its fallback, however
/// the cycle was entered, so the answer does not depend on the order of the questions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mro {
    /// The classes in order, the class itself first.
    pub classes: Vec<ClassRef>,
    /// Whether the class sits in an inheritance cycle (the fallback).
    pub cyclic: bool,
}

impl Mro {
    /// The fallback order of the class `name` of the file at `path`, a member of a cycle.
    pub fn cyclic(path: &str, name: &str) -> Mro {
        Mro {
            classes: vec![(path.to_owned(), name.to_owned())],
            cyclic: true,
        }
    }

    /// The order of the class `name` of the file at `path` whose bases have the orders
    /// `bases`, in order.
    pub fn linearize<'a>(path: &str, name: &str, bases: impl IntoIterator<Item = &'a Mro>) -> Mro {
        let mut classes = vec![(path.to_owned(), name.to_owned())];
        for base in bases {
            for class in &base.classes {
                if !classes.contains(class) {
                    classes.push(class.clone());
                }
            }
        }
        Mro {
            classes,
            cyclic: false,
        }
    }
}

/// The classes a base of type `ty` stands for: its class atoms, in atom order.
pub fn classes_in(ty: &Ty) -> impl Iterator<Item = (&str, &str)> {
    ty.atoms().filter_map(|atom| match atom {
        Atom::Class(path, name) => Some((path.as_str(), name.as_str())),
        _ => None,
    })
}

/// One possibility of a type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Atom {
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// An int literal.
    IntLit(i64),
    /// `None`.
    NoneTy,
    /// `str`.
    Str,
    /// The function at (file path, scope).
    Function(String, u32),
    /// The class `name` defined at module level in the file at the path.
    Class(String, String),
    /// An instance of that class.
    Instance(String, String),
    /// What inference does not follow.
    Unknown,
    /// The initial value of a fixpoint query, made from its salsa id (ty's divergent type):
    /// bottom, dropped by [`Ty::normalized`]. Never part of a final answer.
    Divergent(u64),
}

/// A type: a union of atoms, normalized. The empty union is bottom (`Never`). The atoms are
/// kept sorted and distinct in a vector (a union has a handful), which is what a set would
/// hold, without a tree node per type.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Ty(Vec<Atom>);

impl std::fmt::Debug for Ty {
    /// As a set: `Ty({NoneTy, Unknown})`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Ty").field(&DebugSet(&self.0)).finish()
    }
}

struct DebugSet<'a>(&'a [Atom]);

impl std::fmt::Debug for DebugSet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0).finish()
    }
}

impl Ty {
    /// Bottom.
    pub fn never() -> Ty {
        Ty::default()
    }

    /// One atom.
    pub fn of(atom: Atom) -> Ty {
        Ty(vec![atom]).normalized()
    }

    /// The initial value of the fixpoint query with salsa id `id`: bottom, but distinct from
    /// [`Ty::never`], so a salsa that returned it as a final answer is seen.
    pub fn divergent(id: u64) -> Ty {
        Ty(vec![Atom::Divergent(id)])
    }

    /// Whether a call of a value of this type can only fail: it has atoms, and none of them
    /// is a function, a class or something inference does not follow.
    pub fn is_not_callable(&self) -> bool {
        !self.0.is_empty()
            && self.0.iter().all(|atom| {
                matches!(
                    atom,
                    Atom::Bool
                        | Atom::Int
                        | Atom::IntLit(_)
                        | Atom::NoneTy
                        | Atom::Str
                        | Atom::Instance(..)
                )
            })
    }

    /// Whether a value of this type can be truthy, and whether it can be falsy: int literals
    /// and `None` by their value, functions and classes always truthy, anything else either
    /// way; bottom neither (no branch of a conditional on it runs). Monotone: a larger type
    /// never allows fewer branches, so the rules keep one least fixpoint.
    pub fn truthiness(&self) -> (bool, bool) {
        let mut truthy = false;
        let mut falsy = false;
        for atom in &self.0 {
            let (can_be_truthy, can_be_falsy) = match atom {
                Atom::IntLit(0) | Atom::NoneTy => (false, true),
                Atom::IntLit(_) | Atom::Function(..) | Atom::Class(..) => (true, false),
                Atom::Divergent(_) => (false, false),
                Atom::Bool | Atom::Int | Atom::Str | Atom::Instance(..) | Atom::Unknown => {
                    (true, true)
                }
            };
            truthy |= can_be_truthy;
            falsy |= can_be_falsy;
        }
        (truthy, falsy)
    }

    /// Its atoms, sorted.
    pub fn atoms(&self) -> impl Iterator<Item = &Atom> {
        self.0.iter()
    }

    /// The union of `self` and `other`.
    pub fn join(mut self, other: &Ty) -> Ty {
        if other
            .0
            .iter()
            .any(|atom| self.0.binary_search(atom).is_err())
        {
            self.0.extend(other.0.iter().cloned());
            self.0.sort_unstable();
            self.0.dedup();
        }
        self.normalized()
    }

    /// Divergent atoms dropped; int literals dropped next to `int`, and more than
    /// [`LITERAL_CAP`] of them widened to `int`. Monotone, idempotent.
    pub fn normalized(mut self) -> Ty {
        self.0.retain(|atom| !matches!(atom, Atom::Divergent(_)));
        let literals = self
            .0
            .iter()
            .filter(|atom| matches!(atom, Atom::IntLit(_)))
            .count();
        if literals > LITERAL_CAP
            && let Err(at) = self.0.binary_search(&Atom::Int)
        {
            self.0.insert(at, Atom::Int);
        }
        if self.0.binary_search(&Atom::Int).is_ok() {
            self.0.retain(|atom| !matches!(atom, Atom::IntLit(_)));
        }
        self
    }

    /// `self + k`: int literals shift, `int` and `bool` give `int`, anything else `Unknown`.
    fn plus(&self, k: i64) -> Ty {
        self.int_operation(|n| n.checked_add(k).map_or(Atom::Int, Atom::IntLit))
    }

    /// `min(self, k)`: int literals above `k` become `k`, `int` and `bool` give `int`,
    /// anything else `Unknown`. Monotone: atom by atom, and `int` (what too many literals
    /// widen to) contains every clamped literal.
    fn clamped(&self, k: i64) -> Ty {
        self.int_operation(|n| Atom::IntLit(n.min(k)))
    }

    /// An int operation atom by atom: `literal` for each int literal, `int` for `int` and
    /// `bool`, `Unknown` for anything else.
    fn int_operation(&self, literal: impl Fn(i64) -> Atom) -> Ty {
        let atoms = self.0.iter().map(|atom| match atom {
            Atom::IntLit(n) => literal(*n),
            Atom::Int | Atom::Bool => Atom::Int,
            _ => Atom::Unknown,
        });
        let mut atoms: Vec<Atom> = atoms.collect();
        atoms.sort_unstable();
        atoms.dedup();
        Ty(atoms).normalized()
    }
}

/// What the rules ask of whoever solves them: the database (queries) or the model (the
/// current iteration's values).
pub trait InferEnv {
    /// The type of `name` as read by an expression of the scope being inferred.
    fn lookup(&mut self, name: &str) -> Ty;
    /// What calling the function `(path, scope)` returns.
    fn returns_of(&mut self, path: &str, scope: FileScopeId) -> Ty;
    /// The type of `original` in the module `import` names (`Unknown` if it does not resolve).
    fn imported(&mut self, import: &ImportRef, original: &str) -> Ty;
    /// The type of `name` through the first star import whose module exports it, if any.
    fn star_imported(&mut self, name: &str) -> Option<Ty>;
}

/// The type of `expr`.
pub fn eval(expr: &InferExpr, env: &mut impl InferEnv) -> Ty {
    match expr {
        InferExpr::Int(n) => Ty::of(Atom::IntLit(*n)),
        InferExpr::IntAny => Ty::of(Atom::Int),
        InferExpr::Str => Ty::of(Atom::Str),
        InferExpr::NoneLit => Ty::of(Atom::NoneTy),
        InferExpr::Bool => Ty::of(Atom::Bool),
        InferExpr::Unknown => Ty::of(Atom::Unknown),
        InferExpr::Name(name) => env.lookup(name).normalized(),
        InferExpr::Call(name) => {
            let callee = env.lookup(name).normalized();
            call(&callee, env)
        }
        InferExpr::Add(operand, k) => eval(operand, env).plus(*k),
        InferExpr::Min(operand, k) => eval(operand, env).clamped(*k),
        InferExpr::If(test, body, orelse) => {
            // Only the branches the test's type allows run, as ty skips a branch a test
            // decides statically: a test that becomes ambiguous in a later fixpoint
            // iteration makes a dependency (and maybe a cycle) appear only then.
            let (truthy, falsy) = eval(test, env).normalized().truthiness();
            let mut ty = Ty::never();
            if truthy {
                ty = ty.join(&eval(body, env));
            }
            if falsy {
                ty = ty.join(&eval(orelse, env));
            }
            ty
        }
    }
}

/// What calling a value of type `callee` returns.
pub fn call(callee: &Ty, env: &mut impl InferEnv) -> Ty {
    let mut result = Ty::never();
    for atom in callee.atoms() {
        let returned = match atom {
            Atom::Function(path, scope) => env.returns_of(path, FileScopeId(*scope)),
            Atom::Class(path, name) => Ty::of(Atom::Instance(path.clone(), name.clone())),
            Atom::Divergent(_) => continue,
            _ => Ty::of(Atom::Unknown),
        };
        result = result.join(&returned);
    }
    result
}

/// What a function returns: the union of its `return`s, `None` without any.
pub fn return_type(function: &ScopeInference, env: &mut impl InferEnv) -> Ty {
    if function.returns.is_empty() {
        return Ty::of(Atom::NoneTy);
    }
    let mut ty = Ty::never();
    for expr in &function.returns {
        ty = ty.join(&eval(expr, env));
    }
    ty
}

/// The type of module-level `name` in the file at `path` whose module scope is `module`:
/// the union of its bindings; `Unknown` if the module binds it in a way inference does not
/// read (`binds`: its table says it is bound); else through star imports; else `Unknown`.
pub fn binding_type(
    path: &str,
    module: &ScopeInference,
    binds: bool,
    name: &str,
    env: &mut impl InferEnv,
) -> Ty {
    let mut ty = Ty::never();
    let mut found = false;
    for (bound, binding) in &module.bindings {
        if bound != name {
            continue;
        }
        found = true;
        let one = match binding {
            ModuleBinding::Def(scope) => Ty::of(Atom::Function(path.to_owned(), scope.0)),
            ModuleBinding::Class => Ty::of(Atom::Class(path.to_owned(), name.to_owned())),
            ModuleBinding::Value(expr) => eval(expr, env),
            ModuleBinding::Import(import, original) => env.imported(import, original).normalized(),
        };
        ty = ty.join(&one);
    }
    if found {
        return ty;
    }
    if binds {
        return Ty::of(Atom::Unknown);
    }
    env.star_imported(name)
        .map_or_else(|| Ty::of(Atom::Unknown), Ty::normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_widen_past_the_cap_and_next_to_int() {
        let mut ty = Ty::never();
        for n in 0..LITERAL_CAP as i64 {
            ty = ty.join(&Ty::of(Atom::IntLit(n)));
        }
        assert_eq!(ty.atoms().count(), LITERAL_CAP);
        let widened = ty.clone().join(&Ty::of(Atom::IntLit(99)));
        assert_eq!(widened, Ty::of(Atom::Int));
        assert_eq!(ty.join(&Ty::of(Atom::Int)), Ty::of(Atom::Int));
    }

    #[test]
    fn divergent_is_bottom_once_normalized() {
        assert_ne!(Ty::divergent(7), Ty::never());
        assert_eq!(Ty::divergent(7).normalized(), Ty::never());
        assert_eq!(Ty::divergent(7).join(&Ty::of(Atom::Str)), Ty::of(Atom::Str));
    }

    fn expression(text: &str) -> InferExpr {
        let parsed = ruff_python_parser::parse_expression(text).expect("an expression");
        InferExpr::of(parsed.expr())
    }

    #[test]
    fn min_with_an_int_literal_clamps_and_anything_else_is_unknown() {
        let clamp = |expr: &str| match expression(expr) {
            InferExpr::Min(_, k) => Some(k),
            _ => None,
        };
        assert_eq!(clamp("min(f() + 1, 3)"), Some(3));
        assert_eq!(clamp("min(3, f())"), Some(3));
        assert_eq!(clamp("min(-2, x)"), Some(-2));
        assert_eq!(expression("min(f(), g())"), InferExpr::Unknown);
        assert_eq!(expression("min(f(), 3, 4)"), InferExpr::Unknown);
        assert_eq!(expression("min(f(), default=3)"), InferExpr::Unknown);
        let literals = |values: &[i64]| {
            values
                .iter()
                .fold(Ty::never(), |ty, n| ty.join(&Ty::of(Atom::IntLit(*n))))
        };
        assert_eq!(literals(&[0, 2, 5, 9]).clamped(3), literals(&[0, 2, 3]));
        assert_eq!(Ty::of(Atom::Int).clamped(3), Ty::of(Atom::Int));
        assert_eq!(Ty::of(Atom::Str).clamped(3), Ty::of(Atom::Unknown));
        assert_eq!(Ty::never().clamped(3), Ty::never());
    }

    #[test]
    fn a_clamped_successor_saturates_at_its_bound() {
        // `def f(): return 0; return min(f() + 1, 3)`, solved from bottom: one more literal
        // per iteration, then nothing changes once 3 is in.
        let mut ty = Ty::never();
        let mut iterations = 0;
        loop {
            let next = Ty::of(Atom::IntLit(0)).join(&ty.plus(1).clamped(3));
            if next == ty {
                break;
            }
            ty = next;
            iterations += 1;
        }
        assert_eq!(ty.atoms().count(), 4);
        assert_eq!(iterations, 4);
    }
}
