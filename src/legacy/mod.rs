//! The suite on salsa's 2024 API (salsa `0.18.0` and the git revisions before it, such as
//! `f608ff8b`, where ruff#13071 was reported): built only by `salsa-fuzz salsa PATH …` for a
//! checkout of that API, next to the pinned salsa (which the rest of the crate keeps using).
//!
//! That salsa has no fixpoint iteration, and the main database ([`crate::db`]) is built on
//! it (star-import exports, type inference, class orders), as on salsa's newer APIs
//! throughout. So this is the main database's per-file part written again for the 2024 API
//! ([`db`]: the parse, the semantic index with a tracked struct per scope, the per-scope
//! tables, the line probes' queries), run by a sequential executor ([`exec`]) over the same
//! scripts, compared with the same model, minimized by the same minimizer, and written as
//! the same corpus entries, by a single-process `run` ([`run`]).
//!
//! The build script sets `cfg(salsa_2024)` when the manifest has a
//! `salsa-2024 = { package = "salsa", path = "…" }` dependency, and names that salsa in
//! `SALSA_FUZZ_SALSA_2024`.

#[expect(
    missing_docs,
    reason = "salsa's macros generate undocumented constructors, accessors and structs"
)]
pub mod db;
pub mod exec;
pub mod run;
