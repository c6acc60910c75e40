//! Type inference as salsa queries: [`infer_return`] (what a function returns) and
//! [`infer_binding`] (what a module-level name holds) call each other across files, so import
//! cycles make fixpoint cycles of two distinct queries that can be entered at any member, on
//! any thread. Both iterate from a divergent initial value built from their salsa id
//! (`cycle_initial`, ty's divergent type) through a `cycle_fn` that records how many
//! iterations salsa needed ([`crate::db::Db::on_cycle_recovery`]) and changes nothing. The
//! rules are [`crate::semantic::infer`]'s, shared with the model.
//!
//! [`class_mro`] is the one query with `cycle_result` (an immediate fallback): inheritance
//! cycles are cycles of it alone.
//!
//! Nothing here accumulates: these queries sit in cycles. [`infer_return`] does create a
//! tracked struct, in every execution and so in every fixpoint iteration ([`InferredReturn`]).

use std::sync::Arc;

use crate::semantic::infer::{self, Atom, InferEnv, Mro, ScopeInference, Ty};
use crate::semantic::{Binding, FileScopeId, ImportRef};

use super::compat;
use super::request::FixpointBody;
use super::{
    Db, ModuleName, ScopeId, SourceFile, SymbolName, module_exports, module_table, resolve_import,
    resolve_module, resolve_names, semantic_index,
};

/// What inference reads of one scope: a firewall between the (`no_eq`) semantic index and the
/// inference queries, like `symbol_table`, so an edit that leaves a function's returns alone
/// does not re-run its inference.
#[salsa::tracked(returns(ref))]
pub fn scope_inference<'db>(db: &'db dyn Db, scope: ScopeId<'db>) -> Arc<ScopeInference> {
    semantic_index(db, scope.file(db))
        .index
        .scope(scope.file_scope_id(db))
        .map(|data| Arc::clone(&data.inference))
        .unwrap_or_default()
}

/// The names `scope` calls: a firewall of its own, so that checking the scope's calls does
/// not re-run when only the values it returns or assigns change.
#[salsa::tracked(returns(ref))]
pub fn scope_calls<'db>(db: &'db dyn Db, scope: ScopeId<'db>) -> Vec<String> {
    scope_inference(db, scope).calls.clone()
}

/// A function's inferred return type, held in a tracked struct that [`infer_return`] creates
/// in every execution, each iteration of a fixpoint included, and reads back at once.
///
/// Its identity is the scope alone, so the struct of one iteration is "the same" as the
/// struct of the iteration before: salsa must give it the same id (its disambiguators
/// seeded once per iteration), and the `ty` read back must be the value this iteration
/// wrote. salsa#1068 (fixed in 0.26.0) did not seed them in later iterations, and a type read
/// through the field was an earlier iteration's (the suite finds it on 0.24.0 to 0.25.2);
/// salsa#1191 (fixed in 0.27.2) seeded them twice, which no answer here has shown yet.
#[salsa::tracked(debug)]
pub struct InferredReturn<'db> {
    /// The function.
    #[returns(copy)]
    pub scope: ScopeId<'db>,
    /// What it returns, as of the iteration that created this struct.
    #[tracked]
    #[returns(ref)]
    pub ty: Ty,
}

/// What the function `scope` returns: inferred, then stored in and read back from an
/// [`InferredReturn`] created by this execution.
#[salsa::tracked(
    returns(ref),
    cycle_fn = compat::infer_return_cycle,
    cycle_initial = compat::infer_return_initial
)]
pub fn infer_return<'db>(db: &'db dyn Db, scope: ScopeId<'db>) -> Ty {
    let _fixpoint = FixpointBody::enter();
    let function = scope_inference(db, scope);
    let mut env = FunctionEnv {
        at: At {
            db,
            file: scope.file(db),
        },
        scope,
    };
    let ty = infer::return_type(function, &mut env);
    InferredReturn::new(db, scope, ty).ty(db).clone()
}

/// What the module-level name `name` of `file` holds.
#[salsa::tracked(
    returns(ref),
    cycle_fn = compat::infer_binding_cycle,
    cycle_initial = compat::infer_binding_initial
)]
pub fn infer_binding<'db>(db: &'db dyn Db, file: SourceFile, name: SymbolName<'db>) -> Ty {
    let _fixpoint = FixpointBody::enter();
    let Some(module) = semantic_index(db, file).module_scope() else {
        return Ty::of(Atom::Unknown);
    };
    let info = scope_inference(db, module);
    let text = name.text(db);
    let binds = module_table(db, file).binds(text);
    let mut env = At { db, file };
    infer::binding_type(file.path(db), info, binds, text, &mut env)
}

/// The method resolution order of the module-level class `name` of `file` (see
/// [`Mro`]): the one query with salsa's `cycle_result`, an immediate fallback instead of
/// fixpoint iteration. An inheritance cycle (`class A(B)` in one file, `class B(A)` in
/// another that imports it) is a cycle of this query alone, entered at whichever class is
/// asked first, on any thread; salsa must give every participant its fallback whatever the
/// entry, and verify the reused orders through the bases' inferred types (`infer_binding`,
/// a fixpoint query of its own, which never calls back here).
#[salsa::tracked(returns(ref), cycle_result = compat::class_mro_cyclic)]
pub fn class_mro<'db>(db: &'db dyn Db, file: SourceFile, name: SymbolName<'db>) -> Mro {
    let _fixpoint = FixpointBody::enter();
    let path = file.path(db);
    let text = name.text(db);
    let at = At { db, file };
    let mut bases = Vec::new();
    for base in class_bases(db, file, name) {
        let ty = at.binding(file, base);
        for (base_path, base_name) in infer::classes_in(&ty) {
            if let Some(base_file) = at.file_at(base_path) {
                bases.push(class_mro(db, base_file, SymbolName::new(db, base_name)).clone());
            }
        }
    }
    Mro::linearize(path, text, &bases)
}

/// The base names of the module-level class `name` of `file` (see
/// [`ScopeInference::bases_of`]): a firewall, so that an edit of the module that leaves them
/// alone re-runs no [`class_mro`] (it is deep-verified through the bases' types instead).
#[salsa::tracked(returns(ref))]
pub fn class_bases<'db>(db: &'db dyn Db, file: SourceFile, name: SymbolName<'db>) -> Vec<String> {
    let Some(module) = semantic_index(db, file).module_scope() else {
        return Vec::new();
    };
    scope_inference(db, module)
        .bases_of(name.text(db))
        .map(str::to_owned)
        .collect()
}

/// The type of `name` where `scope` calls it: what the not-callable diagnostic checks.
pub fn callee_type<'db>(db: &'db dyn Db, scope: ScopeId<'db>, name: &str) -> Ty {
    let mut env = FunctionEnv {
        at: At {
            db,
            file: scope.file(db),
        },
        scope,
    };
    env.lookup(name)
}

/// The rules' questions, asked from `file`'s module level.
struct At<'db> {
    db: &'db dyn Db,
    file: SourceFile,
}

impl At<'_> {
    fn binding(&self, file: SourceFile, name: &str) -> Ty {
        infer_binding(self.db, file, SymbolName::new(self.db, name)).clone()
    }

    /// The live project file at `path`.
    fn file_at(&self, path: &str) -> Option<SourceFile> {
        let db = self.db;
        db.project()
            .files(db)
            .iter()
            .copied()
            .find(|file| file.path(db) == path)
    }

    fn returns_of(&self, path: &str, scope: FileScopeId) -> Ty {
        let db = self.db;
        let file = self.file_at(path);
        let function =
            file.and_then(|file| semantic_index(db, file).scopes.get(scope.index()).copied());
        match function {
            Some(function) => infer_return(db, function).clone(),
            None => Ty::of(Atom::Unknown),
        }
    }

    fn imported(&self, import: &ImportRef, original: &str) -> Ty {
        match resolve_import(self.db, self.file, import) {
            Some(target) => self.binding(target, original),
            None => Ty::of(Atom::Unknown),
        }
    }

    fn star_imported(&self, name: &str) -> Option<Ty> {
        let table = module_table(self.db, self.file);
        for import in table.star_imports() {
            let Some(target) = resolve_import(self.db, self.file, import) else {
                continue;
            };
            let exports = module_exports(self.db, target);
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

impl InferEnv for At<'_> {
    fn lookup(&mut self, name: &str) -> Ty {
        self.binding(self.file, name)
    }

    fn returns_of(&mut self, path: &str, scope: FileScopeId) -> Ty {
        At::returns_of(self, path, scope)
    }

    fn imported(&mut self, import: &ImportRef, original: &str) -> Ty {
        At::imported(self, import, original)
    }

    fn star_imported(&mut self, name: &str) -> Option<Ty> {
        At::star_imported(self, name)
    }
}

/// The rules' questions, asked from inside `scope` (a function's, or any other when a call is
/// checked): names resolve through the scope chain first ([`resolve_names`]).
struct FunctionEnv<'db> {
    at: At<'db>,
    scope: ScopeId<'db>,
}

impl InferEnv for FunctionEnv<'_> {
    fn lookup(&mut self, name: &str) -> Ty {
        let db = self.at.db;
        let resolutions = resolve_names(db, self.scope);
        let binding = resolutions
            .binary_search_by(|(resolved, _)| resolved.as_str().cmp(name))
            .ok()
            .map(|position| &resolutions[position].1);
        match binding {
            Some(Binding::Module) => self.at.binding(self.at.file, name),
            Some(Binding::StarImport(module)) => {
                match resolve_module(db, ModuleName::new(db, module.as_str())) {
                    Some(target) => self.at.binding(target, name),
                    None => Ty::of(Atom::Unknown),
                }
            }
            _ => Ty::of(Atom::Unknown),
        }
    }

    fn returns_of(&mut self, path: &str, scope: FileScopeId) -> Ty {
        self.at.returns_of(path, scope)
    }

    fn imported(&mut self, import: &ImportRef, original: &str) -> Ty {
        self.at.imported(import, original)
    }

    fn star_imported(&mut self, name: &str) -> Option<Ty> {
        self.at.star_imported(name)
    }
}
