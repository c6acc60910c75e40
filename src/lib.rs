//! A fuzzing suite for salsa, the incremental query framework behind ty and rust-analyzer.
//!
//! The crate is built in the order data flows:
//! - [`semantic`]: the pure AST walk and resolution rules, shared by the next two;
//! - [`db`]: the salsa database under test, shaped like ty's (files, parsing, a semantic index
//!   of tracked scopes, per-scope firewalls, interned names, import cycles, accumulators, LRU,
//!   durability);
//! - [`model`]: the same answers computed from scratch without salsa: the differential oracle;
//! - [`script`]: the edit script, decoded from fuzzer bytes;
//! - [`exec`]: running a script, with background batches on cloned handles;
//! - [`oracle`]: deciding whether an outcome is a bug, and whose;
//! - `legacy` (built only against salsa's 2024 API, `cfg(salsa_2024)`): the per-file part of
//!   the database on that API, run over the same scripts and model.
//!
//! [`util`] holds the few helpers (content hash, atomic writes, dates) that know none of these.
#![deny(missing_docs)]
// Before 0.23.0 salsa's tracked functions expand to undocumented public structs (salsa#917 made
// them `#[doc(hidden)]`).
#![cfg_attr(not(salsa_hidden_fn_structs), allow(missing_docs))]

pub mod answers;
pub mod bench;
pub mod benchmark;
pub mod campaign;
pub mod corpus;
pub mod coverage;
pub mod db;
pub mod exec;
pub mod fuzz;
pub mod known_bugs;
#[cfg(salsa_2024)]
pub mod legacy;
pub mod matrix;
pub mod minimize;
pub mod model;
pub mod mutants;
pub mod oracle;
pub mod reproducer;
pub mod script;
pub mod semantic;
pub mod threads;
pub mod triage;
pub mod util;
