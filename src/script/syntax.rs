//! The script's readable line format: what a corpus entry's body holds, and what
//! `salsa-fuzz fmt` prints.
//!
//! ```text
//! threads 2
//! file a.py "def f(x):\n    "
//! query semantic_index a.py
//! edit a.py clear
//! spawn
//!   query check_file a.py
//! join
//! ```
//!
//! One step a line; a `spawn` holds the indented `  query …` lines after it. Blank lines and
//! lines starting with `#` are skipped. The envelope around a script (header, final `end`) is
//! [`crate::corpus`]'s business, not this module's.
//!
//! # Texts
//!
//! A text is written on one line as a quoted string, by [`escape`]:
//!
//! ```text
//! text    = '"' { char | escape } '"'
//! escape  = '\\' | '\"' | '\n' | '\t' | '\r' | '\0' | '\u{' hex+ '}'
//! char    = any character but '"', '\' and the control characters (Unicode Cc)
//! ```
//!
//! The writer uses `\u{…}` (lowercase hex, no leading zeros) for a control character other
//! than newline, tab, carriage return and NUL, and writes every other character as itself.
//! The reader, [`unescape`], also accepts `\'` and `\u{…}` for any character: entries written
//! before this module existed used Rust's `{:?}`, which writes those (and whose output Rust
//! does not promise to keep stable, hence our own escaper). For the characters a literal can
//! hold (printable ASCII, newline, tab, `é`) both write the same bytes, so old entries re-render
//! unchanged (`tests::committed_entries_re_render_byte_identically`).
//!
//! Reading promises a [`SyntaxError`] naming the line for any text that is not a script, never
//! a panic. It does not check that the byte encoding can hold the script: [`check_encodable`]
//! does.

use std::fmt::Write as _;

use super::{
    BuiltinsSource, DurabilityClass, Edit, EditScript, Fault, FaultPoint, FileSlot, MAX_BATCH,
    MAX_CANCEL_CHECK, MAX_EXTRA_BUILTINS, MAX_FAULT_NTH, MAX_INITIAL_FILES, MAX_LITERAL_CHARS,
    MAX_STEPS, MODULES, ModuleRef, NAMES, NameRef, PATHS, Query, Step, Text, is_literal_text,
};

/// Why some lines are not a script.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line_prefix(*.line))]
pub struct SyntaxError {
    /// 1-based line number, or 0 when the problem is the script as a whole.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn line_prefix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!("line {line}: ")
    }
}

fn error(line: usize, message: String) -> SyntaxError {
    SyntaxError { line, message }
}

/// Why a quoted text is not one [`escape`] (or Rust's `{:?}`) could have written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnescapeError {
    /// It does not start and end with `"`.
    #[error("expected a quoted string")]
    NotQuoted,
    /// A `"` inside the quotes is not escaped.
    #[error("unescaped quote")]
    StrayQuote,
    /// A backslash is followed by something that is no escape.
    #[error("bad escape")]
    BadEscape,
    /// A `\u{…}` escape is unclosed or names no character.
    #[error("bad \\u escape")]
    BadUnicode,
}

/// `text` as a quoted string of the format (see the module doc's grammar).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text a quoted string stands for: the inverse of [`escape`], which also reads what
/// Rust's `{:?}` writes for a `str` (see the module doc).
pub fn unescape(quoted: &str) -> Result<String, UnescapeError> {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or(UnescapeError::NotQuoted)?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Err(UnescapeError::StrayQuote),
            '\\' => out.push(unescape_one(&mut chars)?),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The character an escape stands for, `chars` being just past its backslash.
fn unescape_one(chars: &mut std::str::Chars<'_>) -> Result<char, UnescapeError> {
    Ok(match chars.next() {
        Some('n') => '\n',
        Some('t') => '\t',
        Some('r') => '\r',
        Some('0') => '\0',
        Some('\\') => '\\',
        Some('"') => '"',
        // `{:?}` of a `str` never writes `\'`, but `{:?}` of a `char` does: accepted since
        // the first reader, so hand-written entries may hold it.
        Some('\'') => '\'',
        Some('u') => {
            if chars.next() != Some('{') {
                return Err(UnescapeError::BadUnicode);
            }
            let mut hex = String::new();
            loop {
                match chars.next() {
                    Some('}') => break,
                    Some(digit) if hex.len() < 6 => hex.push(digit),
                    _ => return Err(UnescapeError::BadUnicode),
                }
            }
            u32::from_str_radix(&hex, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or(UnescapeError::BadUnicode)?
        }
        _ => return Err(UnescapeError::BadEscape),
    })
}

/// The script as readable lines, one step a line.
pub fn script_to_text(script: &EditScript) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "threads {}", script.threads);
    for (slot, text) in &script.initial {
        let _ = writeln!(out, "file {} {}", slot.path(), escape(&text.render()));
    }
    for step in &script.steps {
        write_step(&mut out, step);
    }
    out
}

fn write_step(out: &mut String, step: &Step) {
    let _ = match step {
        Step::Edit(slot, edit) => {
            let path = slot.path();
            match edit {
                Edit::Insert { at, text } => {
                    writeln!(out, "edit {path} insert {at} {}", escape(&text.render()))
                }
                Edit::Delete { at, len } => writeln!(out, "edit {path} delete {at} {len}"),
                Edit::Replace { at, len, text } => {
                    let text = escape(&text.render());
                    writeln!(out, "edit {path} replace {at} {len} {text}")
                }
                Edit::ReplaceAll(text) => {
                    writeln!(out, "edit {path} replace-all {}", escape(&text.render()))
                }
                Edit::Clear => writeln!(out, "edit {path} clear"),
                Edit::Restore(back) => writeln!(out, "edit {path} restore {back}"),
            }
        }
        Step::AddFile(slot, text) => {
            writeln!(out, "add {} {}", slot.path(), escape(&text.render()))
        }
        Step::RemoveFile(slot) => writeln!(out, "remove {}", slot.path()),
        Step::SetLibrary(slot, library) => {
            writeln!(
                out,
                "library {} {}",
                slot.path(),
                if *library { "on" } else { "off" }
            )
        }
        Step::SetLruCapacity(capacity) => writeln!(out, "lru-capacity {capacity}"),
        Step::Query(query) => writeln!(out, "query {}", query_to_text(query)),
        Step::SpawnBatch(queries) => {
            let _ = writeln!(out, "spawn");
            for query in queries {
                let _ = writeln!(out, "  query {}", query_to_text(query));
            }
            Ok(())
        }
        Step::Join => writeln!(out, "join"),
        Step::Cancel => writeln!(out, "cancel"),
        Step::Persist => writeln!(out, "persist"),
        Step::SyntheticWrite(class) => writeln!(out, "synthetic-write {}", class.name()),
        Step::CancelRequest(n, 0) => writeln!(out, "cancel-request {n}"),
        Step::CancelRequest(n, at) => writeln!(out, "cancel-request {n} at {at}"),
        Step::SetBuiltins(source, names) => {
            let source = match source {
                BuiltinsSource::Environment => "environment".to_owned(),
                BuiltinsSource::Settings(class) => format!("settings {}", class.name()),
            };
            let names: Vec<&str> = names.iter().map(|name| name.as_str()).collect();
            writeln!(out, "builtins {source} [{}]", names.join(" "))
        }
        Step::SetDurability(slot, class) => {
            writeln!(out, "durability {} {}", slot.path(), class.name())
        }
        Step::Freeze(slot) => writeln!(out, "freeze {}", slot.path()),
        Step::TriggerLruEviction => writeln!(out, "lru-evict"),
        Step::CheckAll => writeln!(out, "check-all"),
        Step::Fault(fault) => writeln!(
            out,
            "fault {}{} at {} {}",
            if fault.cancel { "cancel" } else { "panic" },
            if fault.in_request { " in-request" } else { "" },
            fault.point.name(),
            fault.nth
        ),
    };
}

/// `resolve_names a.py scope 2`, `resolve_module pkg.m`, …
pub fn query_to_text(query: &Query) -> String {
    match query {
        Query::ResolveModule(module) => format!("resolve_module {}", module.as_str()),
        Query::SymbolTable(slot, scope) | Query::ResolveNames(slot, scope) => {
            format!("{} {} scope {scope}", query.name(), slot.path())
        }
        _ => match query.file() {
            Some(slot) => format!("{} {}", query.name(), slot.path()),
            None => query.name().to_owned(),
        },
    }
}

/// Rejects a script the byte encoding cannot hold, so that `corpus export` never seeds
/// libFuzzer with a different script than the entry says. The error's line is 0.
pub fn check_encodable(script: &EditScript) -> Result<(), SyntaxError> {
    let problem = if !(1..=4).contains(&script.threads) {
        Some(format!("threads must be 1 to 4, not {}", script.threads))
    } else if script.initial.len() > MAX_INITIAL_FILES {
        Some(format!("at most {MAX_INITIAL_FILES} `file` lines"))
    } else if script.steps.len() > MAX_STEPS {
        Some(format!("at most {MAX_STEPS} steps"))
    } else if script.steps.iter().any(|step| matches!(step, Step::SpawnBatch(queries) if queries.is_empty() || queries.len() > MAX_BATCH)) {
        Some(format!("a `spawn` holds 1 to {MAX_BATCH} queries"))
    } else if script.steps.iter().any(|step| matches!(step, Step::SetLruCapacity(capacity) if *capacity > 4)) {
        Some("`lru-capacity` is 0 to 4".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(error(0, problem));
    }
    for text in script.texts().map(Text::render) {
        if !is_literal_text(&text) || text.chars().count() > MAX_LITERAL_CHARS {
            return Err(error(
                0,
                format!(
                    "text {} has characters outside printable ASCII, newline, tab and `é`, or more than {MAX_LITERAL_CHARS}",
                    escape(&text)
                ),
            ));
        }
    }
    if EditScript::from_bytes(&script.to_bytes()) != *script {
        return Err(error(
            0,
            "the script does not survive the byte encoding".to_owned(),
        ));
    }
    Ok(())
}

/// Parses a script from numbered lines (every line of it, without an envelope's `end`).
pub fn parse_script<'t>(
    lines: impl IntoIterator<Item = (usize, &'t str)>,
) -> Result<EditScript, SyntaxError> {
    let mut script = EditScript {
        threads: 1,
        initial: Vec::new(),
        steps: Vec::new(),
    };
    let mut lines = lines.into_iter().peekable();
    while let Some((number, line)) = lines.next() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let step = match word {
            "threads" => {
                script.threads = rest
                    .parse()
                    .map_err(|_| error(number, format!("bad thread count `{rest}`")))?;
                continue;
            }
            "file" => {
                let (slot, rest) = parse_slot(number, rest)?;
                script
                    .initial
                    .push((slot, Text::literal(&parse_quoted(number, rest)?)));
                continue;
            }
            "spawn" => {
                let mut queries = Vec::new();
                while let Some((number, line)) = lines.next_if(|(_, line)| line.starts_with("  ")) {
                    let query = line.trim().strip_prefix("query ").ok_or_else(|| {
                        error(number, "expected `query …` inside `spawn`".to_owned())
                    })?;
                    queries.push(parse_query(number, query)?);
                }
                Step::SpawnBatch(queries)
            }
            _ => parse_step(number, word, rest)?,
        };
        script.steps.push(step);
    }
    Ok(script)
}

fn parse_step(number: usize, word: &str, rest: &str) -> Result<Step, SyntaxError> {
    Ok(match word {
        "edit" => {
            let (slot, rest) = parse_slot(number, rest)?;
            Step::Edit(slot, parse_edit(number, rest)?)
        }
        "add" => {
            let (slot, rest) = parse_slot(number, rest)?;
            Step::AddFile(slot, Text::literal(&parse_quoted(number, rest)?))
        }
        "remove" => Step::RemoveFile(parse_slot(number, rest)?.0),
        "library" => {
            let (slot, rest) = parse_slot(number, rest)?;
            Step::SetLibrary(slot, parse_choice(number, rest, "on", "off")?)
        }
        "lru-capacity" => Step::SetLruCapacity(parse_number(number, rest)?),
        "query" => Step::Query(parse_query(number, rest)?),
        "join" => Step::Join,
        "cancel" => Step::Cancel,
        "persist" => Step::Persist,
        "synthetic-write" => Step::SyntheticWrite(parse_class(number, rest)?),
        "cancel-request" => match rest.split_once(" at ") {
            Some((n, at)) => {
                let at: u8 = parse_number(number, at)?;
                if at > MAX_CANCEL_CHECK {
                    return Err(error(
                        number,
                        format!("cancellation check {at} is outside 0..={MAX_CANCEL_CHECK}"),
                    ));
                }
                Step::CancelRequest(parse_number(number, n)?, at)
            }
            None => Step::CancelRequest(parse_number(number, rest)?, 0),
        },
        "builtins" => parse_builtins(number, rest)?,
        "durability" => {
            let (slot, class) = parse_slot(number, rest)?;
            Step::SetDurability(slot, parse_class(number, class.trim())?)
        }
        "freeze" => Step::Freeze(parse_slot(number, rest)?.0),
        "lru-evict" => Step::TriggerLruEviction,
        "check-all" => Step::CheckAll,
        "fault" => parse_fault(number, rest)?,
        _ => return Err(error(number, format!("unknown step `{word}`"))),
    })
}

/// `builtins environment [x y]` or `builtins settings high [x]`.
fn parse_builtins(number: usize, rest: &str) -> Result<Step, SyntaxError> {
    let usage = || {
        error(
            number,
            "expected `builtins environment|settings CLASS [NAME ...]`".to_owned(),
        )
    };
    let (head, names) = rest.split_once('[').ok_or_else(usage)?;
    let names = names.strip_suffix(']').ok_or_else(usage)?;
    let source = match head.trim().split_once(' ') {
        None if head.trim() == "environment" => BuiltinsSource::Environment,
        Some(("settings", class)) => BuiltinsSource::Settings(parse_class(number, class.trim())?),
        _ => return Err(usage()),
    };
    let names = names
        .split_whitespace()
        .map(|name| {
            NAMES
                .iter()
                .position(|known| *known == name)
                .map(|position| NameRef(position as u8))
                .ok_or_else(|| error(number, format!("unknown name `{name}` (one of {NAMES:?})")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if names.len() > MAX_EXTRA_BUILTINS {
        return Err(error(number, format!("at most {MAX_EXTRA_BUILTINS} names")));
    }
    Ok(Step::SetBuiltins(source, names))
}

fn parse_fault(number: usize, rest: &str) -> Result<Step, SyntaxError> {
    let mut words = rest.split(' ');
    let cancel = parse_choice(number, words.next().unwrap_or(""), "cancel", "panic")?;
    let mut next = words.next();
    let in_request = next == Some("in-request");
    if in_request {
        next = words.next();
    }
    if next != Some("at") {
        return Err(error(
            number,
            "expected `fault panic|cancel [in-request] at POINT N`".to_owned(),
        ));
    }
    let name = words.next().unwrap_or("");
    let point = FaultPoint::named(name)
        .ok_or_else(|| error(number, format!("unknown fault point `{name}`")))?;
    let nth: u8 = parse_number(number, words.next().unwrap_or(""))?;
    if !(1..=MAX_FAULT_NTH).contains(&nth) {
        return Err(error(
            number,
            format!("fault count {nth} is outside 1..={MAX_FAULT_NTH}"),
        ));
    }
    Ok(Step::Fault(Fault {
        point,
        nth,
        cancel,
        in_request,
    }))
}

fn parse_edit(number: usize, rest: &str) -> Result<Edit, SyntaxError> {
    let (kind, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut words = rest.splitn(3, ' ');
    Ok(match kind {
        "insert" => {
            let at = parse_number(number, words.next().unwrap_or(""))?;
            let text = rest.split_once(' ').map_or("", |(_, text)| text);
            Edit::Insert {
                at,
                text: Text::literal(&parse_quoted(number, text)?),
            }
        }
        "delete" => Edit::Delete {
            at: parse_number(number, words.next().unwrap_or(""))?,
            len: parse_number(number, words.next().unwrap_or(""))?,
        },
        "replace" => Edit::Replace {
            at: parse_number(number, words.next().unwrap_or(""))?,
            len: parse_number(number, words.next().unwrap_or(""))?,
            text: Text::literal(&parse_quoted(number, words.next().unwrap_or(""))?),
        },
        "replace-all" => Edit::ReplaceAll(Text::literal(&parse_quoted(number, rest)?)),
        "clear" => Edit::Clear,
        "restore" => Edit::Restore(parse_number(number, rest)?),
        _ => return Err(error(number, format!("unknown edit `{kind}`"))),
    })
}

fn parse_query(number: usize, text: &str) -> Result<Query, SyntaxError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let slot = |index: usize| -> Result<FileSlot, SyntaxError> {
        let path = words.get(index).copied().unwrap_or("");
        Ok(parse_slot(number, path)?.0)
    };
    let scope = || -> Result<u8, SyntaxError> {
        match words.get(2..4) {
            Some(["scope", value]) => parse_number(number, value),
            _ => Err(error(number, "expected `scope N`".to_owned())),
        }
    };
    Ok(match words.first().copied().unwrap_or("") {
        "parsed_module" => Query::Parse(slot(1)?),
        "semantic_index" => Query::Scopes(slot(1)?),
        "symbol_table" => Query::SymbolTable(slot(1)?, scope()?),
        "resolve_names" => Query::ResolveNames(slot(1)?, scope()?),
        "module_exports" => Query::Exports(slot(1)?),
        "check_file" => Query::Diagnostics(slot(1)?),
        "types" => Query::Types(slot(1)?),
        "star_closure" => Query::Closure(slot(1)?),
        "lines" => Query::Lines(slot(1)?),
        "resolve_module" => {
            let module = words.get(1).copied().unwrap_or("");
            let index = MODULES
                .iter()
                .position(|known| *known == module)
                .ok_or_else(|| {
                    error(
                        number,
                        format!("unknown module `{module}` (one of {MODULES:?})"),
                    )
                })?;
            Query::ResolveModule(ModuleRef(index as u8))
        }
        other => return Err(error(number, format!("unknown query `{other}`"))),
    })
}

fn parse_slot(number: usize, text: &str) -> Result<(FileSlot, &str), SyntaxError> {
    let (path, rest) = text.split_once(' ').unwrap_or((text, ""));
    let index = PATHS
        .iter()
        .position(|known| *known == path)
        .ok_or_else(|| error(number, format!("unknown path `{path}` (one of {PATHS:?})")))?;
    Ok((FileSlot(index as u8), rest))
}

fn parse_number<T: std::str::FromStr>(number: usize, text: &str) -> Result<T, SyntaxError> {
    text.trim()
        .parse()
        .map_err(|_| error(number, format!("expected a number, found `{text}`")))
}

fn parse_class(number: usize, text: &str) -> Result<DurabilityClass, SyntaxError> {
    DurabilityClass::named(text).ok_or_else(|| {
        error(
            number,
            format!("expected low, medium or high, not `{text}`"),
        )
    })
}

fn parse_choice(number: usize, text: &str, yes: &str, no: &str) -> Result<bool, SyntaxError> {
    match text.trim() {
        word if word == yes => Ok(true),
        word if word == no => Ok(false),
        other => Err(error(
            number,
            format!("expected `{yes}` or `{no}`, found `{other}`"),
        )),
    }
}

/// A quoted text at the end of line `number` (surrounding spaces ignored).
fn parse_quoted(number: usize, text: &str) -> Result<String, SyntaxError> {
    unescape(text.trim()).map_err(|problem| error(number, format!("{problem} in {text}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters chosen to stress the escaper: every escape, other controls (C0, DEL, C1),
    /// quotes, a backslash, `{`/`}` (part of `\u{…}`), `é`, a combining mark, a zero-width
    /// space, a line separator, a byte-order mark and non-BMP characters.
    const CHARS: &[char] = &[
        'a',
        ' ',
        '"',
        '\'',
        '\\',
        '\n',
        '\t',
        '\r',
        '\0',
        '\u{1}',
        '\u{7}',
        '\u{1b}',
        '\u{1f}',
        '\u{7f}',
        '\u{80}',
        '\u{85}',
        '\u{9f}',
        '{',
        '}',
        'u',
        'é',
        '\u{301}',
        '\u{200b}',
        '\u{2028}',
        '\u{feff}',
        '😀',
        '\u{1d538}',
        '\u{10ffff}',
    ];

    /// xorshift64: a fixed-seed generator, so a failure reproduces.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn escape_then_unescape_gives_the_text() {
        let mut state = 0x5eed_5a15_a000_0001_u64;
        let mut texts: Vec<String> = CHARS.iter().map(char::to_string).collect();
        texts.push(String::new());
        for _ in 0..5_000 {
            let len = next(&mut state) % 12;
            let text: String = (0..len)
                .map(|_| CHARS[(next(&mut state) % CHARS.len() as u64) as usize])
                .collect();
            texts.push(text);
        }
        // Every character of the Basic Multilingual Plane and some beyond, one a text.
        texts.extend(
            (0..0x1_1000)
                .filter_map(char::from_u32)
                .map(|c| c.to_string()),
        );
        for text in &texts {
            let quoted = escape(text);
            assert!(
                !quoted.chars().any(char::is_control),
                "one line, no raw controls: {quoted}"
            );
            assert_eq!(unescape(&quoted).as_ref(), Ok(text), "{quoted}");
        }
    }

    #[test]
    fn escape_writes_what_debug_wrote_for_literal_characters() {
        // The bytes of every committed entry depend on this (they were written with `{:?}`).
        let literal: String = (' '..='~').chain(['\n', '\t', 'é']).collect();
        assert!(is_literal_text(&literal));
        assert_eq!(escape(&literal), format!("{literal:?}"));
    }

    #[test]
    fn unescape_reads_what_debug_writes() {
        for text in [
            "it's",
            "\u{7}\u{1b}",
            "\u{200b}\u{301}",
            "😀\u{10ffff}",
            "\u{85}",
        ] {
            assert_eq!(unescape(&format!("{text:?}")).as_deref(), Ok(text));
        }
        assert_eq!(unescape(r#""\'\u{41}\u{e9}""#).as_deref(), Ok("'Aé"));
    }

    #[test]
    fn malformed_quoted_texts_are_errors() {
        for (quoted, expected) in [
            ("abc", UnescapeError::NotQuoted),
            ("\"abc", UnescapeError::NotQuoted),
            ("\"", UnescapeError::NotQuoted),
            (r#""a"b""#, UnescapeError::StrayQuote),
            (r#""a\""#, UnescapeError::BadEscape),
            (r#""\x41""#, UnescapeError::BadEscape),
            (r#""\u41""#, UnescapeError::BadUnicode),
            (r#""\u{41""#, UnescapeError::BadUnicode),
            (r#""\u{}""#, UnescapeError::BadUnicode),
            (r#""\u{d800}""#, UnescapeError::BadUnicode),
            (r#""\u{110000}""#, UnescapeError::BadUnicode),
            (r#""\u{1234567}""#, UnescapeError::BadUnicode),
            (r#""\u{zz}""#, UnescapeError::BadUnicode),
        ] {
            assert_eq!(unescape(quoted), Err(expected), "{quoted}");
        }
    }

    #[test]
    fn errors_name_their_line() {
        let lines = [
            "threads 2",
            "",
            "# a comment",
            "edit a.py insert 0 \"x",
            "join",
        ];
        let numbered = lines
            .iter()
            .enumerate()
            .map(|(index, line)| (index + 1, *line));
        let problem = parse_script(numbered).expect_err("an unterminated text");
        assert_eq!(problem.line, 4);
        assert!(
            problem
                .to_string()
                .starts_with("line 4: expected a quoted string"),
            "{problem}"
        );
        let whole = check_encodable(&EditScript {
            threads: 0,
            initial: Vec::new(),
            steps: Vec::new(),
        })
        .expect_err("no threads");
        assert_eq!(whole.to_string(), "threads must be 1 to 4, not 0");
    }
}
