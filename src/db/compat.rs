//! Every difference between the salsa APIs this suite runs against (0.22.0 to 0.28.5 and local
//! checkouts) lives here, selected by `cfg(salsa_api = …)` and the other cfgs of `build.rs`. The rest of the
//! crate names salsa's items through this module where they differ, so a new salsa version is
//! one edit away.
//!
//! | item | 0.26, 0.27 | 0.28 |
//! | --- | --- | --- |
//! | derive for values holding `'db` handles | `salsa::Update` | `salsa::SalsaValue` |
//! | a `'static` value without `PartialEq` returned by a query | needs `salsa::Update` | accepted |
//! | `Durability::NEVER_CHANGE` (a file's path) | from 0.27.1 (`cfg(salsa_never_change)`); HIGH before | yes |
//! | interned lookups by `Cow<Path>` and `Cow<[T]>` ([`lookups_agree`]) | yes (`cfg(salsa_cow_lookup)`, 0.26.0 and later); owned and `&` forms only before | yes |
//!
//! Before 0.26 (0.25.2 tested, 0.24.0 built): no local cancellation (`CancellationToken`,
//! `Cancelled::Local`), and `Cancelled::PendingWrite` cannot be built outside salsa, so
//! request cancellation and injected cancellations are switched off
//! (`cfg(salsa_local_cancellation)`). Before 0.25 (0.24.0): the older cycle API
//! (`cfg(salsa_cycle_fn_each_iteration)` off), bridged by the fixpoint functions at the end of
//! this module. Before 0.24 (0.23.0): no `Database::trigger_cancellation`
//! (`cfg(salsa_trigger_cancellation)`: [`trigger_cancellation`] does what it does) and no
//! `persistence` feature. Before 0.23 (0.22.0): interned values are never collected, so
//! `SymbolName` has no `revisions` option and there is no `DidReuseInternedValue` event (the
//! `reuse-interned` fault point never fires), ids have no generation, and tracked functions
//! expand to undocumented public structs (`cfg(salsa_interned_gc)`,
//! `cfg(salsa_hidden_fn_structs)`). Before 0.22 the tracked-function options are spelled
//! differently (`return_ref` for `returns(ref)`, salsa#772), at every query: not bridged.

#[cfg(not(salsa_api = "0.28"))]
use super::ParsedModule;
use super::{Db, FaultPoint, ScopeId, SourceFile, StarClosure, SymbolName};
use crate::semantic::infer::{Mro, Ty};

/// The salsa this crate was built against, as `build.rs` found it: `0.28.5`, or
/// `0.28.5 (path /src/salsa, git 1a2b3c4d5e6f)` for a local checkout.
pub const SALSA: &str = env!("SALSA_FUZZ_SALSA");

/// The root of the salsa checkout the suite is built against (empty for a release from a
/// registry): panic locations under it are salsa's.
pub const SALSA_ROOT: &str = env!("SALSA_FUZZ_SALSA_ROOT");

/// The derive that lets a query return a value holding `'db` handles.
#[cfg(salsa_api = "0.28")]
pub use salsa::SalsaValue;
/// The derive that lets a query return a value holding `'db` handles.
#[cfg(not(salsa_api = "0.28"))]
pub use salsa::Update as SalsaValue;

// SAFETY: a `ParsedModule` holds no database handles, so it can outlive any revision; and
// `maybe_update` reports every replacement as a change, which is what `no_eq` asks for anyway.
#[cfg(not(salsa_api = "0.28"))]
unsafe impl salsa::Update for ParsedModule {
    unsafe fn maybe_update(old_pointer: *mut Self, new_value: Self) -> bool {
        // SAFETY: salsa passes a valid, exclusively borrowed pointer to the old value.
        unsafe { *old_pointer = new_value };
        true
    }
}

/// The durability of a file's path, which never changes after the file is created:
/// `NEVER_CHANGE` where salsa has it (edges to such inputs are not even recorded), else HIGH.
#[cfg(salsa_never_change)]
pub const PATH_DURABILITY: salsa::Durability = salsa::Durability::NEVER_CHANGE;
/// The durability of a file's path, which never changes after the file is created:
/// `NEVER_CHANGE` where salsa has it (edges to such inputs are not even recorded), else HIGH.
#[cfg(not(salsa_never_change))]
pub const PATH_DURABILITY: salsa::Durability = salsa::Durability::HIGH;

/// Whether interning `name`'s path and parts gives one id however salsa is asked: owned first
/// (which creates the value), then borrowed (`&Path`, `&[&str]`), then, where salsa has the
/// lookups (0.26.0 and later, `cfg(salsa_cow_lookup)`), as `Cow`s. ty compares interned
/// values by id, so a lookup that misses the existing value is a wrong answer.
pub fn lookups_agree(db: &dyn Db, name: &str) -> bool {
    use super::resolve::{InternedPath, NameParts};
    let path = std::path::PathBuf::from(name.replace('.', "/"));
    let parts: Vec<String> = name.split('.').map(str::to_owned).collect();
    let owned_path = InternedPath::new(db, path.clone());
    let owned_parts = NameParts::new(db, parts.clone());
    let borrowed: Vec<&str> = parts.iter().map(String::as_str).collect();
    let same = InternedPath::new(db, path.as_path()) == owned_path
        && NameParts::new(db, borrowed.as_slice()) == owned_parts;
    #[cfg(salsa_cow_lookup)]
    let same = same
        && InternedPath::new(db, std::borrow::Cow::Borrowed(path.as_path())) == owned_path
        && NameParts::new(db, std::borrow::Cow::Borrowed(parts.as_slice())) == owned_parts;
    same
}

/// The database's current revision (salsa's plumbing, the same in every release of the range):
/// salsa drops the values past a query's LRU capacity whenever it moves.
pub fn current_revision(db: &super::FuzzDatabase) -> salsa::Revision {
    use salsa::plumbing::ZalsaDatabase;
    db.zalsa().current_revision()
}

/// The durability of a frozen file's text and existence (a builtin stub): the same as a path's.
pub const FROZEN_DURABILITY: salsa::Durability = PATH_DURABILITY;

/// Whether this salsa has local cancellation (0.26.0 and later): requests cancelled through
/// their handle's token, and injected cancellations (`Cancelled::PendingWrite` unwound from
/// the event callback). Without it, those steps are skipped.
pub const LOCAL_CANCELLATION: bool = cfg!(salsa_local_cancellation);

/// A handle's cancellation token.
#[cfg(salsa_local_cancellation)]
pub use salsa::CancellationToken;

/// A handle's cancellation token: none before salsa 0.26, so one that is never cancelled.
#[cfg(not(salsa_local_cancellation))]
#[derive(Clone, Debug, Default)]
pub struct CancellationToken;

#[cfg(not(salsa_local_cancellation))]
impl CancellationToken {
    /// Does nothing: this salsa has no local cancellation.
    pub fn cancel(&self) {}

    /// Never.
    pub fn is_cancelled(&self) -> bool {
        false
    }
}

/// The cancellation token of the handle `db`.
#[cfg(salsa_local_cancellation)]
pub fn cancellation_token(db: &dyn salsa::Database) -> CancellationToken {
    db.cancellation_token()
}

/// The cancellation token of the handle `db`: none before salsa 0.26.
#[cfg(not(salsa_local_cancellation))]
pub fn cancellation_token(_db: &dyn salsa::Database) -> CancellationToken {
    CancellationToken
}

/// Cancels every other handle and waits until they are dropped, without a new revision:
/// salsa's `Database::trigger_cancellation` (0.24.0 and later, `cfg(salsa_trigger_cancellation)`),
/// or, before it, what that method does, `zalsa_mut`.
pub fn trigger_cancellation<D: salsa::Database>(db: &mut D) {
    #[cfg(salsa_trigger_cancellation)]
    db.trigger_cancellation();
    #[cfg(not(salsa_trigger_cancellation))]
    let _ = salsa::plumbing::ZalsaDatabase::zalsa_mut(db);
}

/// Whether `cancelled` is a request's own cancellation (`Cancelled::Local`).
pub fn is_local(cancelled: &salsa::Cancelled) -> bool {
    #[cfg(salsa_local_cancellation)]
    {
        matches!(cancelled, salsa::Cancelled::Local)
    }
    #[cfg(not(salsa_local_cancellation))]
    {
        let _ = cancelled;
        false
    }
}

/// Unwinds as salsa does for a pending write: the injected cancellation.
pub fn unwind_pending_write() -> ! {
    #[cfg(salsa_local_cancellation)]
    {
        std::panic::resume_unwind(Box::new(salsa::Cancelled::PendingWrite))
    }
    #[cfg(not(salsa_local_cancellation))]
    {
        unreachable!("cancellation faults are not armed on a salsa without local cancellation")
    }
}

/// The fixpoint queries' cycle functions, in this salsa's signatures. From 0.25, salsa calls
/// `cycle_fn` after every iteration of a head (`&Cycle`, the last provisional value and the new
/// one, returning the value to keep) and passes the query's id to `cycle_initial`; before, it
/// called `cycle_fn` only after an iteration that changed the value (the value and the
/// iteration count, returning `CycleRecoveryAction`), and `cycle_initial` got the inputs alone,
/// so the inputs' ids stand in for the query's. `initial(key)` builds the initial value and
/// `recover(db, iteration)` runs at each call; every recovery keeps the value (salsa's
/// `Iterate`).
macro_rules! fixpoint_functions {
    (
        $initial:ident, $cycle:ident,
        <$lt:lifetime> ($($input:ident: $ty:ty),+) -> $out:ty,
        initial: $init:expr,
        recover: $recover:expr $(,)?
    ) => {
        #[cfg(salsa_cycle_fn_each_iteration)]
        pub(super) fn $initial<$lt>(_db: &$lt dyn Db, id: salsa::Id, $($input: $ty),+) -> $out {
            $(let _ = $input;)+
            let initial: fn(u64) -> $out = $init;
            initial(id.as_bits())
        }

        #[cfg(not(salsa_cycle_fn_each_iteration))]
        pub(super) fn $initial<$lt>(_db: &$lt dyn Db, $($input: $ty),+) -> $out {
            let initial: fn(u64) -> $out = $init;
            initial(key_bits(&[$(salsa::plumbing::AsId::as_id(&$input)),+]))
        }

        #[cfg(salsa_cycle_fn_each_iteration)]
        pub(super) fn $cycle<$lt>(
            db: &$lt dyn Db,
            cycle: &salsa::Cycle,
            _last_provisional: &$out,
            value: $out,
            $($input: $ty),+
        ) -> $out {
            $(let _ = $input;)+
            let recover: fn(&dyn Db, u32) = $recover;
            recover(db, cycle.iteration());
            value
        }

        #[cfg(not(salsa_cycle_fn_each_iteration))]
        pub(super) fn $cycle<$lt>(
            db: &$lt dyn Db,
            _value: &$out,
            count: u32,
            $($input: $ty),+
        ) -> salsa::CycleRecoveryAction<$out> {
            $(let _ = $input;)+
            let recover: fn(&dyn Db, u32) = $recover;
            recover(db, count);
            salsa::CycleRecoveryAction::Iterate
        }
    };
}

/// The query's key from its inputs' ids, where salsa does not pass the query's own id: a hash
/// of the ids, through `Hash`, which every salsa's `Id` has (its accessors differ: `as_u32`
/// before generational ids, `as_bits` after, and checkouts between releases do not say which
/// by their version). `DefaultHasher::new` hashes alike in every run of one build.
#[cfg(not(salsa_cycle_fn_each_iteration))]
fn key_bits(ids: &[salsa::Id]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    ids.hash(&mut hasher);
    hasher.finish()
}

fixpoint_functions!(
    infer_return_initial, infer_return_cycle,
    <'db> (scope: ScopeId<'db>) -> Ty,
    initial: Ty::divergent,
    recover: |db, iteration| db.on_cycle_recovery(FaultPoint::ReturnRecovery, iteration),
);

fixpoint_functions!(
    infer_binding_initial, infer_binding_cycle,
    <'db> (file: SourceFile, name: SymbolName<'db>) -> Ty,
    initial: Ty::divergent,
    recover: |db, iteration| db.on_cycle_recovery(FaultPoint::BindingRecovery, iteration),
);

fixpoint_functions!(
    module_exports_initial, module_exports_cycle,
    <'db> (file: SourceFile) -> Vec<String>,
    initial: |_| Vec::new(),
    recover: |_, _| {},
);

fixpoint_functions!(
    star_closure_initial, star_closure_cycle,
    <'db> (file: SourceFile) -> StarClosure<'db>,
    initial: |_| StarClosure::initial(),
    recover: |_, _| {},
);

/// `class_mro`'s fallback (`cycle_result`): the query's id is passed from 0.25 on.
#[cfg(salsa_cycle_fn_each_iteration)]
pub(super) fn class_mro_cyclic<'db>(
    db: &'db dyn Db,
    _id: salsa::Id,
    file: SourceFile,
    name: SymbolName<'db>,
) -> Mro {
    Mro::cyclic(file.path(db), name.text(db))
}

/// `class_mro`'s fallback (`cycle_result`).
#[cfg(not(salsa_cycle_fn_each_iteration))]
pub(super) fn class_mro_cyclic<'db>(
    db: &'db dyn Db,
    file: SourceFile,
    name: SymbolName<'db>,
) -> Mro {
    Mro::cyclic(file.path(db), name.text(db))
}
