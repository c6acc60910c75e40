//! `fmt --rust`: a corpus entry as a self-contained Rust `#[test]` that drives the database
//! through the crate's public API, step by step, in the shape of salsa's own regression tests
//! (`tests/tracked_struct_recreate_new_revision.rs`). Paste it under `tests/`.
//!
//! Edits appear as the whole text they produce (`db.write_file`), foreground queries and
//! whole-project checks are compared with the model, background batches run on cloned handles
//! on threads (or inline, for entries that reproduce sequentially) and are joined before the
//! end. Background answers are not compared: a background-mismatch finding replays as a panic
//! only if it panics; use `repro` for those.
//!
//! A threaded finding with a shuttle schedule (`replays: schedule`) is the exception: its
//! interleaving is the executor's, thread for thread, so its test embeds the entry and runs
//! it through the executor under that schedule, in a shuttle build, where it fails the same
//! way every time.

use std::fmt::Write as _;

use crate::corpus::Entry;
use crate::exec::Mirror;
use crate::script::{BuiltinsSource, FileSlot, Query, Step};

/// The entry as a Rust test named `name`.
pub fn rust_test(entry: &Entry, name: &str) -> String {
    if entry.schedule.is_some() && !entry.sequential {
        return scheduled_test(entry, name);
    }
    if entry
        .script
        .steps
        .iter()
        .any(|step| matches!(step, Step::Query(Query::Lines(_))))
    {
        return line_probe_test(entry, name);
    }
    let mut body = String::new();
    let mut mirror = Mirror::default();
    let mut cancel_request: Option<(u8, u8)> = None;
    let faults = entry
        .script
        .steps
        .iter()
        .any(|step| matches!(step, Step::Fault(_)));
    let faults_in_requests = entry
        .script
        .steps
        .iter()
        .any(|step| matches!(step, Step::Fault(fault) if fault.in_request));
    let line = |body: &mut String, code: String| {
        let _ = writeln!(body, "    {code}");
    };
    // A write that is one salsa call; with faults, one at `SetCancellationFlag` may abandon it.
    let one_call_write = |code: &str| {
        if faults {
            format!("db.abortable_write(|db| {code});")
        } else {
            format!("{code};")
        }
    };
    for (slot, text) in &entry.script.initial {
        let Some(text) = mirror.write(*slot, text.render()) else {
            continue;
        };
        line(
            &mut body,
            format!("db.write_file({:?}, {text:?});", slot.path()),
        );
    }
    for step in &entry.script.steps {
        match step {
            Step::Edit(slot, edit) => match mirror.edit(*slot, edit) {
                Some(text) => line(
                    &mut body,
                    format!("db.write_file({:?}, {text:?});", slot.path()),
                ),
                None => line(
                    &mut body,
                    format!("// edit of {} skipped: {edit:?}", slot.path()),
                ),
            },
            Step::AddFile(slot, text) => match mirror.write(*slot, text.render()) {
                Some(text) => line(
                    &mut body,
                    format!("db.write_file({:?}, {text:?});", slot.path()),
                ),
                None => line(&mut body, format!("// {} is frozen", slot.path())),
            },
            Step::RemoveFile(slot) => {
                if mirror.remove(*slot) {
                    line(&mut body, format!("db.remove_file({:?});", slot.path()));
                }
            }
            Step::SetLibrary(slot, library) => {
                if mirror.set_library(*slot, *library) {
                    line(
                        &mut body,
                        format!("db.set_library({:?}, {library});", slot.path()),
                    );
                }
            }
            Step::Freeze(slot) => {
                if mirror.freeze(*slot) {
                    line(&mut body, format!("db.freeze({:?});", slot.path()));
                }
            }
            Step::SetLruCapacity(capacity) => {
                line(&mut body, format!("db.set_parse_lru_capacity({capacity});"))
            }
            Step::Query(query) => line(&mut body, format!("check(&db, {});", query_code(query))),
            Step::SpawnBatch(queries) => write_batch(
                &mut body,
                queries,
                entry.sequential,
                cancel_request
                    .take()
                    .map(|(n, at)| (usize::from(n) % queries.len().max(1), at)),
                faults,
                faults_in_requests,
            ),
            Step::CancelRequest(n, at) => {
                cancel_request = Some((*n, *at));
                line(
                    &mut body,
                    "// the next request is cancelled through its handle's token".to_owned(),
                );
            }
            Step::Persist => {
                line(
                    &mut body,
                    "// persist: the database is serialized and the script goes on in a restored one".to_owned(),
                );
                line(&mut body, "#[cfg(feature = \"persistence\")]".to_owned());
                line(
                    &mut body,
                    "db.persist_and_restore().expect(\"the database round-trips\");".to_owned(),
                );
            }
            Step::Join if !entry.sequential => line(&mut body, "join(&mut batches);".to_owned()),
            Step::Join => line(&mut body, "// join: batches ran inline".to_owned()),
            Step::Cancel => line(&mut body, one_call_write("db.trigger_cancellation()")),
            Step::SyntheticWrite(class) => line(
                &mut body,
                one_call_write(&format!(
                    "db.synthetic_write(Durability::{})",
                    class.name().to_uppercase()
                )),
            ),
            Step::SetDurability(slot, _) if mirror.is_frozen(*slot) => {
                line(&mut body, format!("// {} is frozen", slot.path()));
            }
            Step::SetDurability(slot, class) => line(
                &mut body,
                format!(
                    "db.set_durability({:?}, Durability::{});",
                    slot.path(),
                    class.name().to_uppercase()
                ),
            ),
            Step::SetBuiltins(source, names) => {
                let names: Vec<&str> = names.iter().map(|name| name.as_str()).collect();
                line(
                    &mut body,
                    match source {
                        BuiltinsSource::Settings(class) => format!(
                            "db.set_settings_builtins(&{names:?}, Durability::{});",
                            class.name().to_uppercase()
                        ),
                        BuiltinsSource::Environment => {
                            format!("db.set_environment_builtins(&{names:?});")
                        }
                    },
                );
            }
            Step::TriggerLruEviction => {
                line(&mut body, one_call_write("db.trigger_lru_eviction()"));
            }
            Step::CheckAll => line(&mut body, "check_all(&db);".to_owned()),
            Step::Fault(fault) => line(
                &mut body,
                format!(
                    "db.arm_fault(Fault {{ point: FaultPoint::{:?}, nth: {}, cancel: {}, in_request: {} }});",
                    fault.point, fault.nth, fault.cancel, fault.in_request
                ),
            ),
        }
    }
    let threaded_batches = !entry.sequential
        && entry
            .script
            .steps
            .iter()
            .any(|step| matches!(step, Step::SpawnBatch(_)));
    if threaded_batches {
        line(&mut body, "join(&mut batches);".to_owned());
    }
    if faults {
        line(&mut body, "db.disarm_faults();".to_owned());
        line(
            &mut body,
            "db.synthetic_write(salsa::Durability::LOW);".to_owned(),
        );
    }
    line(&mut body, "check_all(&db);".to_owned());
    if faults {
        // Injected unwinds are expected: every check survives them.
        body = body
            .lines()
            .map(|line| {
                let wrapped = if line.contains("check(&db, ") {
                    line.replace("check(&db, ", "survive(&mut db, |db| check(db, ")
                } else {
                    return format!(
                        "{}\n",
                        line.replace("check_all(&db);", "survive(&mut db, |db| check_all(db));")
                    );
                };
                format!("{});\n", wrapped.trim_end_matches(';'))
            })
            .collect();
    }
    let uses = |needle: &str| body.contains(needle);
    let mut header = String::new();
    let _ = writeln!(
        header,
        "//! Generated by `salsa-fuzz fmt --rust` from a corpus entry."
    );
    let _ = writeln!(header, "//! Signature: {}", entry.signature);
    let _ = writeln!(
        header,
        "//! Found against salsa {}, ruff_python_parser {}; reproduced {}/{}.\n",
        entry.salsa, entry.parser, entry.rate.0, entry.rate.1
    );
    let salsa_items: Vec<&str> = [
        (
            "Database",
            uses("db.trigger") || uses("db.synthetic") || uses(".cancellation_token()"),
        ),
        ("Durability", uses(" Durability::") || uses("(Durability::")),
    ]
    .into_iter()
    .filter_map(|(item, used)| used.then_some(item))
    .collect();
    if !salsa_items.is_empty() {
        let _ = writeln!(header, "use salsa::{{{}}};", salsa_items.join(", "));
    }
    let requests = uses("request::enter");
    let db_items = match (faults, requests) {
        (true, true) => "Fault, FaultPoint, FuzzDatabase, InjectedPanic, answers, request",
        (true, false) => "Fault, FaultPoint, FuzzDatabase, InjectedPanic, answers",
        (false, true) => "FuzzDatabase, answers, request",
        (false, false) => "FuzzDatabase, answers",
    };
    let _ = writeln!(header, "use salsa_fuzz::db::{{{db_items}}};");
    if uses("check(&db") {
        let _ = writeln!(
            header,
            "use salsa_fuzz::model::{{self, Model, ParseCache}};"
        );
        let _ = writeln!(
            header,
            "use salsa_fuzz::oracle::{{ask_database, ask_model}};"
        );
    } else {
        let _ = writeln!(header, "use salsa_fuzz::model;");
        if uses("ask_database") {
            let _ = writeln!(header, "use salsa_fuzz::oracle::ask_database;");
        }
    }
    let script_items: Vec<&str> = [
        ("FileSlot", uses("FileSlot(")),
        ("ModuleRef", uses("ModuleRef(")),
        ("Query", uses("Query::")),
    ]
    .into_iter()
    .filter_map(|(item, used)| used.then_some(item))
    .collect();
    if !script_items.is_empty() {
        let _ = writeln!(
            header,
            "use salsa_fuzz::script::{{{}}};",
            script_items.join(", ")
        );
    }
    if uses("check(&db") {
        header.push_str(CHECK);
    }
    header.push_str(CHECK_ALL);
    if faults {
        header.push_str(SURVIVE);
    }
    if threaded_batches {
        header.push_str(JOIN);
    }
    let batches = if threaded_batches {
        "    let mut batches: Vec<std::thread::JoinHandle<()>> = Vec::new();\n"
    } else {
        ""
    };
    let db = if faults
        || body.contains("db.write_file")
        || body.contains("db.remove")
        || body.contains("db.set_")
        || uses("db.trigger")
        || uses("db.synthetic")
    {
        "let mut db"
    } else {
        "let db"
    };
    format!(
        "{header}\n#[test]\nfn {name}() {{\n    {db} = {constructor};\n{batches}{body}}}\n",
        // Requests are watched only by a database built with options.
        constructor = match (faults, requests) {
            (true, _) => "FuzzDatabase::with_options(None, true)",
            (false, true) => "FuzzDatabase::with_options(None, false)",
            (false, false) => "FuzzDatabase::new()",
        }
    )
}

const CHECK: &str = r#"
/// Asks `query` of the database and of the model, which must agree.
fn check(db: &FuzzDatabase, query: Query) {
    let got = ask_database(db, query);
    let model = Model::new(&db.inputs(), &db.extra_builtins(), &ParseCache::default());
    let created = query.file().is_none_or(|slot| db.file(slot.path()).is_some());
    assert_eq!(got, ask_model(&model, query, created), "{query:?}");
}
"#;

const CHECK_ALL: &str = r#"
/// Every answer of the database must equal the model's.
fn check_all(db: &FuzzDatabase) {
    assert_eq!(
        answers(db),
        model::compute_with(&db.inputs(), &db.extra_builtins())
    );
}
"#;

const SURVIVE: &str = r#"
/// Runs a check; an injected fault, or the cancellation it causes, is expected (an injected
/// cancellation is followed by the `trigger_cancellation` a real pending write would make).
fn survive(db: &mut FuzzDatabase, check: impl FnOnce(&FuzzDatabase)) {
    let fired = db.faults_fired();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(db)));
    match result {
        Ok(()) => {}
        Err(payload) if payload.is::<InjectedPanic>() => {}
        Err(payload) if payload.is::<salsa::Cancelled>() && db.faults_fired() > 0 => {
            if db.faults_fired() != fired {
                salsa::Database::trigger_cancellation(db);
            }
        }
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// A background batch's queries; an injected fault ends them, as a cancellation does.
fn survive_in_batch(queries: impl FnOnce()) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(queries));
    if let Err(payload) = result {
        if !payload.is::<InjectedPanic>() {
            std::panic::resume_unwind(payload);
        }
    }
}
"#;

const JOIN: &str = r#"
fn join(batches: &mut Vec<std::thread::JoinHandle<()>>) {
    for batch in batches.drain(..) {
        batch.join().expect("a background batch panicked");
    }
}
"#;

fn write_batch(
    body: &mut String,
    queries: &[Query],
    sequential: bool,
    cancel: Option<(usize, u8)>,
    faults: bool,
    faults_in_requests: bool,
) {
    let cancel_before = cancel.map(|(index, _)| index);
    let (indent, open, close): (&str, &[&str], &[&str]) = if sequential && cancel_before.is_some() {
        (
            "            ",
            &[
                "{",
                "    // A background request, run inline on a cloned handle, cancelled by its token.",
                "    let db = db.clone();",
                "    let _in_flight = db.background_in_flight();",
                "    let mut request: Option<request::RequestGuard> = None;",
                "    let outcome = salsa::Cancelled::catch(std::panic::AssertUnwindSafe(|| {",
            ],
            &["    }));", "    @judge", "}"],
        )
    } else if sequential {
        (
            "        ",
            &[
                "{",
                "    // A background batch, run inline on a cloned handle.",
                "    let db = db.clone();",
                "    let _in_flight = db.background_in_flight();",
            ],
            &["}"],
        )
    } else if cancel_before.is_none() {
        (
            "                ",
            &[
                "batches.push({",
                "    // A background batch on a cloned handle; a write cancels it.",
                "    let db = db.clone();",
                "    std::thread::spawn(move || {",
                "        let _in_flight = db.background_in_flight();",
                "        let _ = salsa::Cancelled::catch(std::panic::AssertUnwindSafe(|| {",
            ],
            &["        }));", "    })", "});"],
        )
    } else {
        (
            "                ",
            &[
                "batches.push({",
                "    // A background request on a cloned handle, cancelled by its token.",
                "    let db = db.clone();",
                "    std::thread::spawn(move || {",
                "        let _in_flight = db.background_in_flight();",
                "        let mut request: Option<request::RequestGuard> = None;",
                "        let outcome = salsa::Cancelled::catch(std::panic::AssertUnwindSafe(|| {",
            ],
            &["        }));", "        @judge", "    })", "});"],
        )
    };
    for line in open {
        let _ = writeln!(body, "    {line}");
    }
    // What the executor does: an injected fault ends the whole batch, and a request whose
    // cancellation salsa owed (`must_have_unwound`) must not end any other way.
    let mut lines: Vec<String> = Vec::new();
    if faults_in_requests {
        lines.push("// A request: the faults scoped to requests count its events.".to_owned());
        lines.push("let _request = request::enter(&db, None);".to_owned());
    }
    let mut asks: Vec<String> = Vec::new();
    for (index, query) in queries.iter().enumerate() {
        match cancel.filter(|(at_query, _)| *at_query == index) {
            Some((_, 0)) => {
                asks.push("request = Some(request::enter(&db, None));".to_owned());
                asks.push("db.cancellation_token().cancel();".to_owned());
            }
            Some((_, at)) => {
                asks.push(format!(
                    "// `$/cancelRequest` arrives at the query's cancellation check {at}."
                ));
                asks.push(format!("request = Some(request::enter(&db, Some({at})));"));
            }
            None => {}
        }
        asks.push(format!("ask_database(&db, {});", query_code(query)));
    }
    if faults {
        lines.push("survive_in_batch(|| {".to_owned());
        lines.extend(asks.into_iter().map(|ask| format!("    {ask}")));
        lines.push("});".to_owned());
    } else {
        lines.extend(asks);
    }
    for line in lines {
        let _ = writeln!(body, "{indent}{line}");
    }
    for line in close {
        match line.strip_suffix(JUDGE_MARKER) {
            Some(margin) => {
                for judge in JUDGE_REQUEST {
                    let _ = writeln!(body, "    {margin}{judge}");
                }
            }
            None => {
                let _ = writeln!(body, "    {line}");
            }
        }
    }
}

/// Where a batch template's closing lines judge a cancelled request ([`JUDGE_REQUEST`]).
const JUDGE_MARKER: &str = "@judge";

/// After a cancelled request's batch, as the executor judges it: any end but
/// `Cancelled::Local`, past a check where salsa owed one, is the bug.
const JUDGE_REQUEST: [&str; 6] = [
    "// salsa had to throw `Cancelled::Local` at a check outside every fixpoint.",
    "assert!(",
    "    matches!(outcome, Err(salsa::Cancelled::Local))",
    "        || !request.is_some_and(|request| request.must_have_unwound()),",
    "    \"local cancellation ignored\"",
    ");",
];

/// `Query::Scopes(FileSlot(0))` and the like, with the path as a comment.
fn query_code(query: &Query) -> String {
    let slot = |slot: &FileSlot| format!("FileSlot({}) /* {} */", slot.0, slot.path());
    match query {
        Query::Parse(file) => format!("Query::Parse({})", slot(file)),
        Query::Scopes(file) => format!("Query::Scopes({})", slot(file)),
        Query::SymbolTable(file, scope) => format!("Query::SymbolTable({}, {scope})", slot(file)),
        Query::ResolveNames(file, scope) => format!("Query::ResolveNames({}, {scope})", slot(file)),
        Query::Exports(file) => format!("Query::Exports({})", slot(file)),
        Query::Diagnostics(file) => format!("Query::Diagnostics({})", slot(file)),
        Query::Types(file) => format!("Query::Types({})", slot(file)),
        Query::Closure(file) => format!("Query::Closure({})", slot(file)),
        Query::Lines(file) => format!("Query::Lines({})", slot(file)),
        Query::ResolveModule(module) => {
            format!(
                "Query::ResolveModule(ModuleRef({}) /* {} */)",
                module.0,
                module.as_str()
            )
        }
    }
}

/// A test for an entry that replays exactly under its shuttle schedule: the entry embedded,
/// run through the executor as the campaign ran it.
fn scheduled_test(entry: &Entry, name: &str) -> String {
    let schedule = entry.schedule.map(|s| s.to_string()).unwrap_or_default();
    let about = format!(
        "//! Found against salsa {salsa}; reproduced {hits}/{attempts} under the shuttle schedule\n\
         //! `{schedule}`.\n\
         //! The interleaving is the executor's, so the entry runs through it: in a shuttle build\n\
         //! (`salsa-fuzz salsa X.Y.Z+shuttle test --test <this file>`), where every run is the\n\
         //! same interleaving.\n\
         #![cfg(feature = \"shuttle\")]\n",
        salsa = entry.salsa,
        hits = entry.rate.0,
        attempts = entry.rate.1,
    );
    executor_test(entry, name, &about, "")
}

/// The line probes' rules are checked by the executor's account of their memos
/// (`exec::lines`), not by comparing answers, so such an entry runs through the executor.
fn line_probe_test(entry: &Entry, name: &str) -> String {
    let about = format!(
        "//! Found against salsa {salsa}. It asks the line probes (`query lines`), whose check is\n\
         //! the executor's account of when salsa must run them, so the entry runs through it.\n",
        salsa = entry.salsa,
    );
    let sequential = if entry.sequential {
        "\x20       sequential: true,\n"
    } else {
        ""
    };
    executor_test(entry, name, &about, sequential)
}

/// A test that embeds the entry and runs it through the executor, failing with its finding;
/// `options` are lines of further `ExecOptions` fields.
fn executor_test(entry: &Entry, name: &str, about: &str, options: &str) -> String {
    let text = entry.to_text();
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    let signature = entry.signature.replace('\n', " ");
    format!(
        "//! Generated by `salsa-fuzz fmt --rust` from a corpus entry.\n\
         //! Signature: {signature}\n\
         {about}\
         \n\
         use salsa_fuzz::corpus::{{Entry, Status}};\n\
         use salsa_fuzz::exec::{{self, ExecOptions}};\n\
         \n\
         const ENTRY: &str = r{hashes}\"{text}\"{hashes};\n\
         \n\
         #[test]\n\
         fn {name}() {{\n\
         \x20   exec::install_panic_hook();\n\
         \x20   let entry = Entry::parse(ENTRY).expect(\"a valid entry\");\n\
         \x20   let options = ExecOptions {{\n\
         {options}\
         \x20       schedule: entry.schedule,\n\
         \x20       mask_open_bugs: entry.status != Status::KnownOpen,\n\
         \x20       ..ExecOptions::default()\n\
         \x20   }};\n\
         \x20   let outcome = exec::execute(&entry.script, &options);\n\
         \x20   if let Some(finding) = outcome.findings.first() {{\n\
         \x20       panic!(\"{{finding}}\");\n\
         \x20   }}\n\
         }}\n"
    )
}
