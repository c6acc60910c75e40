//! A fuzzing suite for salsa, the incremental query framework behind ty and rust-analyzer.
//!
//! The crate is built in the order data flows:
//! - [`semantic`]: the pure AST walk and resolution rules, shared by the next two;
//! - [`db`]: the salsa database under test, shaped like ty's (files, parsing, a semantic index
//!   of tracked scopes, per-scope firewalls, interned names, import cycles, accumulators, LRU,
//!   durability);
//! - [`model`]: the same answers computed from scratch without salsa: the differential oracle.
#![deny(missing_docs)]

pub mod db;
pub mod model;
pub mod semantic;
