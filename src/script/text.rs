//! Python-aware text fragments: what an editor session types.
//!
//! Fragments are whole constructs (`def f(x):`, `class C[T]:`, `from m import *`, a
//! comprehension, …) built from small pools of names and modules, so that the same scopes and
//! imports disappear and come back across edits, mixed with raw characters that break the
//! syntax. The pools are deliberately tiny: recreation of the *same* scope is the point.
//! `Literal` holds verbatim text: the minimizer turns texts into literals to shrink them by
//! lines, tokens and characters.

use super::codec::{Codec, Reader, Writer};

/// Names fragments draw from: functions, classes, variables, a type parameter, a private
/// name (not exported), and a builtin.
pub const NAMES: &[&str] = &["f", "g", "C", "x", "y", "T", "helper", "_private", "print"];

/// Modules fragments import: project files, a package, relative imports, and one that never
/// resolves.
pub const MODULES: &[&str] = &["a", "b", "c", "pkg", "pkg.m", ".m", ".", "missing"];

/// Raw characters that break or reshape syntax.
const RAW: &[&str] = &[
    "(", ")", ":", "\n", "    ", "=", ",", "[", "]", "é", "\t", "\\", "#", "'",
];

/// The characters a literal can hold: printable ASCII, newline, tab and one non-ASCII letter
/// (every character a fragment renders), so a minimized text always encodes.
const LITERAL_CHARS: &str = concat!(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`",
    "abcdefghijklmnopqrstuvwxyz{|}~\n\té"
);

/// Caps a text at this many fragments: enough for a few nested scopes, small enough that a
/// run stays well under a millisecond of parsing.
pub const MAX_FRAGMENTS: usize = 24;

/// Caps a literal, in characters: a whole minimized file fits.
pub const MAX_LITERAL_CHARS: usize = 2048;

/// An index into [`NAMES`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct NameRef(pub u8);

impl NameRef {
    /// The name.
    pub fn as_str(self) -> &'static str {
        NAMES[usize::from(self.0) % NAMES.len()]
    }
}

/// An index into [`MODULES`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleRef(pub u8);

impl ModuleRef {
    /// The module as written in an import.
    pub fn as_str(self) -> &'static str {
        MODULES[usize::from(self.0) % MODULES.len()]
    }
}

/// One piece of typed text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fragment {
    /// `def f(x):` followed by an indented body line.
    Def(NameRef, NameRef),
    /// `def f[T](x: T):`
    DefGeneric(NameRef, NameRef),
    /// `class C:`
    Class(NameRef),
    /// `class C[T]:`
    ClassGeneric(NameRef),
    /// `type X[T] = list[T]`
    TypeAlias(NameRef),
    /// `x = lambda y: y`
    Lambda(NameRef, NameRef),
    /// `x = [y for y in x]`, and the set, dict and generator forms.
    Comprehension(u8, NameRef, NameRef),
    /// `import m`
    Import(ModuleRef),
    /// `from m import x`
    FromImport(ModuleRef, NameRef),
    /// `from m import *`
    StarImport(ModuleRef),
    /// `global x`
    Global(NameRef),
    /// `nonlocal x`
    Nonlocal(NameRef),
    /// `x = y`
    Assign(NameRef, NameRef),
    /// `return x`
    Return(NameRef),
    /// `(x := y)`
    Walrus(NameRef, NameRef),
    /// A newline.
    Newline,
    /// One level of indentation.
    Indent,
    /// `pass`
    Pass,
    /// A raw character or short token.
    Raw(u8),
    /// `return v` with a value type inference reads ([`value_expression`]).
    ReturnValue(u8, NameRef),
    /// `x = v` with such a value.
    AssignValue(NameRef, u8, NameRef),
    /// Verbatim text (characters outside the literal alphabet are dropped when encoded).
    Literal(String),
    /// `class C(x, y):` (`class C(x):` when both bases are the same name): inheritance, which
    /// makes cycles of `class_mro` across files.
    ClassBases(NameRef, NameRef, NameRef),
}

const FRAGMENT_VARIANTS: usize = 23;

/// The forms of [`value_expression`].
const VALUE_FORMS: usize = 13;

/// A value type inference reads, of form `form` about the name `f`: a call, a call plus one
/// (which grows a literal set in a cycle), int, string and `None` literals, conditionals
/// (only the branches the test's type allows run, so a call of `g` or `helper` tested on
/// `f()` appears once `f()`'s type allows it, maybe some fixpoint iterations in), and
/// thresholds (`0 if f() - 2 else g()`: the call joins once `f()`'s literals reach 2; with
/// 99, only as they widen to `int`, the iteration in which a growing fixpoint saturates),
/// a clamped successor (`min(f() + 1, 3)`: a cycle through it stops growing at 3, a few
/// iterations in, without widening) and a threshold at that bound (`0 if f() - 3 else
/// helper()`: a late dependency that joins exactly as such a cycle converges, the shape of
/// salsa#1263's regression test).
pub fn value_expression(form: u8, f: NameRef) -> String {
    let f = f.as_str();
    match usize::from(form) % VALUE_FORMS {
        0 => format!("{f}()"),
        1 => format!("{f}() + 1"),
        2 => "0".to_owned(),
        3 => "1".to_owned(),
        4 => "'s'".to_owned(),
        5 => "None".to_owned(),
        6 => format!("{f}() if {f} else None"),
        7 => format!("g() if {f}() else helper()"),
        8 => format!("helper() if {f}() else g()"),
        9 => format!("0 if {f}() - 2 else g()"),
        10 => format!("0 if {f}() - 99 else helper()"),
        11 => format!("min({f}() + 1, 3)"),
        _ => format!("0 if {f}() - 3 else helper()"),
    }
}

impl Fragment {
    /// Appends the fragment's text to `out`.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            Fragment::Def(f, x) => write!(out, "def {}({}):\n    ", f.as_str(), x.as_str()),
            Fragment::DefGeneric(f, x) => {
                write!(out, "def {}[T]({}: T):\n    ", f.as_str(), x.as_str())
            }
            Fragment::Class(c) => write!(out, "class {}:\n    ", c.as_str()),
            Fragment::ClassGeneric(c) => write!(out, "class {}[T]:\n    ", c.as_str()),
            Fragment::TypeAlias(x) => writeln!(out, "type {}[T] = list[T]", x.as_str()),
            Fragment::Lambda(x, y) => {
                writeln!(out, "{} = lambda {y}: {y}", x.as_str(), y = y.as_str())
            }
            Fragment::Comprehension(form, x, y) => {
                let (x, y) = (x.as_str(), y.as_str());
                match form % 4 {
                    0 => writeln!(out, "{x} = [{y} for {y} in {x}]"),
                    1 => writeln!(out, "{x} = {{{y} for {y} in {x} if {y}}}"),
                    2 => writeln!(out, "{x} = {{{y}: {x} for {y} in {x}}}"),
                    _ => writeln!(out, "{x} = ({y} for {y} in {x} for {x} in {y})"),
                }
            }
            Fragment::Import(m) => writeln!(out, "import {}", m.as_str().trim_start_matches('.')),
            Fragment::FromImport(m, x) => {
                writeln!(out, "from {} import {}", m.as_str(), x.as_str())
            }
            Fragment::StarImport(m) => writeln!(out, "from {} import *", m.as_str()),
            Fragment::Global(x) => writeln!(out, "global {}", x.as_str()),
            Fragment::Nonlocal(x) => writeln!(out, "nonlocal {}", x.as_str()),
            Fragment::Assign(x, y) => writeln!(out, "{} = {}", x.as_str(), y.as_str()),
            Fragment::Return(x) => writeln!(out, "return {}", x.as_str()),
            Fragment::Walrus(x, y) => writeln!(out, "({} := {})", x.as_str(), y.as_str()),
            Fragment::Newline => writeln!(out),
            Fragment::Indent => write!(out, "    "),
            Fragment::Pass => writeln!(out, "pass"),
            Fragment::Raw(index) => write!(out, "{}", RAW[usize::from(*index) % RAW.len()]),
            Fragment::ReturnValue(form, f) => {
                writeln!(out, "return {}", value_expression(*form, *f))
            }
            Fragment::AssignValue(x, form, f) => {
                writeln!(out, "{} = {}", x.as_str(), value_expression(*form, *f))
            }
            Fragment::Literal(text) => write!(out, "{text}"),
            Fragment::ClassBases(c, x, y) if x.as_str() == y.as_str() => {
                write!(out, "class {}({}):\n    ", c.as_str(), x.as_str())
            }
            Fragment::ClassBases(c, x, y) => {
                let (c, x, y) = (c.as_str(), x.as_str(), y.as_str());
                write!(out, "class {c}({x}, {y}):\n    ")
            }
        };
    }

    fn variant(&self) -> usize {
        match self {
            Fragment::Def(..) => 0,
            Fragment::DefGeneric(..) => 1,
            Fragment::Class(_) => 2,
            Fragment::ClassGeneric(_) => 3,
            Fragment::TypeAlias(_) => 4,
            Fragment::Lambda(..) => 5,
            Fragment::Comprehension(..) => 6,
            Fragment::Import(_) => 7,
            Fragment::FromImport(..) => 8,
            Fragment::StarImport(_) => 9,
            Fragment::Global(_) => 10,
            Fragment::Nonlocal(_) => 11,
            Fragment::Assign(..) => 12,
            Fragment::Return(_) => 13,
            Fragment::Walrus(..) => 14,
            Fragment::Newline => 15,
            Fragment::Indent => 16,
            Fragment::Pass => 17,
            Fragment::Raw(_) => 18,
            Fragment::ReturnValue(..) => 19,
            Fragment::AssignValue(..) => 20,
            Fragment::Literal(_) => 21,
            Fragment::ClassBases(..) => 22,
        }
    }
}

impl Codec for NameRef {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        Some(NameRef(reader.choose(NAMES.len())? as u8))
    }
    fn encode(&self, writer: &mut Writer) {
        writer.choose(usize::from(self.0) % NAMES.len());
    }
}

impl Codec for ModuleRef {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        Some(ModuleRef(reader.choose(MODULES.len())? as u8))
    }
    fn encode(&self, writer: &mut Writer) {
        writer.choose(usize::from(self.0) % MODULES.len());
    }
}

impl Codec for Fragment {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        let name = |reader: &mut Reader<'_>| NameRef::decode(reader);
        let module = |reader: &mut Reader<'_>| ModuleRef::decode(reader);
        Some(match reader.choose(FRAGMENT_VARIANTS)? {
            0 => Fragment::Def(name(reader)?, name(reader)?),
            1 => Fragment::DefGeneric(name(reader)?, name(reader)?),
            2 => Fragment::Class(name(reader)?),
            3 => Fragment::ClassGeneric(name(reader)?),
            4 => Fragment::TypeAlias(name(reader)?),
            5 => Fragment::Lambda(name(reader)?, name(reader)?),
            6 => Fragment::Comprehension(reader.choose(4)? as u8, name(reader)?, name(reader)?),
            7 => Fragment::Import(module(reader)?),
            8 => Fragment::FromImport(module(reader)?, name(reader)?),
            9 => Fragment::StarImport(module(reader)?),
            10 => Fragment::Global(name(reader)?),
            11 => Fragment::Nonlocal(name(reader)?),
            12 => Fragment::Assign(name(reader)?, name(reader)?),
            13 => Fragment::Return(name(reader)?),
            14 => Fragment::Walrus(name(reader)?, name(reader)?),
            15 => Fragment::Newline,
            16 => Fragment::Indent,
            17 => Fragment::Pass,
            18 => Fragment::Raw(reader.choose(RAW.len())? as u8),
            19 => Fragment::ReturnValue(reader.choose(VALUE_FORMS)? as u8, name(reader)?),
            20 => Fragment::AssignValue(
                name(reader)?,
                reader.choose(VALUE_FORMS)? as u8,
                name(reader)?,
            ),
            21 => Fragment::Literal(decode_literal(reader)?),
            _ => Fragment::ClassBases(name(reader)?, name(reader)?, name(reader)?),
        })
    }

    fn encode(&self, writer: &mut Writer) {
        writer.choose(self.variant());
        match self {
            Fragment::Def(a, b)
            | Fragment::DefGeneric(a, b)
            | Fragment::Lambda(a, b)
            | Fragment::Assign(a, b)
            | Fragment::Walrus(a, b) => {
                a.encode(writer);
                b.encode(writer);
            }
            Fragment::Class(a)
            | Fragment::ClassGeneric(a)
            | Fragment::TypeAlias(a)
            | Fragment::Global(a)
            | Fragment::Nonlocal(a)
            | Fragment::Return(a) => a.encode(writer),
            Fragment::Comprehension(form, a, b) => {
                writer.choose(usize::from(*form) % 4);
                a.encode(writer);
                b.encode(writer);
            }
            Fragment::Import(m) | Fragment::StarImport(m) => m.encode(writer),
            Fragment::FromImport(m, a) => {
                m.encode(writer);
                a.encode(writer);
            }
            Fragment::Newline | Fragment::Indent | Fragment::Pass => {}
            Fragment::Raw(index) => writer.choose(usize::from(*index) % RAW.len()),
            Fragment::ReturnValue(form, f) => {
                writer.choose(usize::from(*form) % VALUE_FORMS);
                f.encode(writer);
            }
            Fragment::AssignValue(x, form, f) => {
                x.encode(writer);
                writer.choose(usize::from(*form) % VALUE_FORMS);
                f.encode(writer);
            }
            Fragment::Literal(text) => encode_literal(text, writer),
            Fragment::ClassBases(c, x, y) => {
                c.encode(writer);
                x.encode(writer);
                y.encode(writer);
            }
        }
    }
}

/// Literal lengths: one byte below 255 is a short length (0 to 32, what random bytes mostly
/// give), 255 announces a two-byte length (what minimized whole-file texts need).
const LONG_LITERAL: u8 = 255;
const SHORT_LITERAL_MAX: usize = 32;

fn decode_literal(reader: &mut Reader<'_>) -> Option<String> {
    let len = match reader.byte()? {
        LONG_LITERAL => usize::from(reader.u16()?) % (MAX_LITERAL_CHARS + 1),
        short => usize::from(short) % (SHORT_LITERAL_MAX + 1),
    };
    let mut text = String::with_capacity(len);
    for _ in 0..len {
        let Some(byte) = reader.byte() else {
            break;
        };
        text.push(literal_char(byte));
    }
    Some(text)
}

/// A literal's character for one byte: printable ASCII, newline and tab stand for themselves
/// (so a dictionary of Python tokens inserts real Python into literals); any other byte picks
/// from the alphabet.
fn literal_char(byte: u8) -> char {
    let c = char::from(byte);
    if c == '\n' || c == '\t' || (' '..='~').contains(&c) {
        return c;
    }
    LITERAL_CHARS
        .chars()
        .nth(usize::from(byte) % LITERAL_CHARS.chars().count())
        .unwrap_or(' ')
}

/// The byte [`literal_char`] maps back to `c`, if `c` is in the alphabet.
fn literal_byte(c: char) -> Option<u8> {
    if c == '\n' || c == '\t' || (' '..='~').contains(&c) {
        return u8::try_from(c).ok();
    }
    (0x80..=0xFF).find(|&byte| literal_char(byte) == c)
}

fn encode_literal(text: &str, writer: &mut Writer) {
    let bytes: Vec<u8> = text
        .chars()
        .filter_map(literal_byte)
        .take(MAX_LITERAL_CHARS)
        .collect();
    if bytes.len() <= SHORT_LITERAL_MAX {
        writer.choose(bytes.len());
    } else {
        writer.byte(LONG_LITERAL);
        writer.u16(bytes.len() as u16);
    }
    for byte in bytes {
        writer.byte(byte);
    }
}

/// A text typed as a sequence of fragments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Text(pub Vec<Fragment>);

impl Text {
    /// The text as a string.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for fragment in &self.0 {
            fragment.render(&mut out);
        }
        out
    }

    /// A text holding `text` verbatim.
    pub fn literal(text: &str) -> Text {
        if text.is_empty() {
            Text(Vec::new())
        } else {
            Text(vec![Fragment::Literal(text.to_owned())])
        }
    }
}

impl Codec for Text {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        // A length first: the text ends early if the input does.
        let len = reader.choose(MAX_FRAGMENTS + 1)?;
        let mut fragments = Vec::with_capacity(len);
        for _ in 0..len {
            match Fragment::decode(reader) {
                Some(fragment) => fragments.push(fragment),
                None => break,
            }
        }
        Some(Text(fragments))
    }

    fn encode(&self, writer: &mut Writer) {
        let fragments = &self.0[..self.0.len().min(MAX_FRAGMENTS)];
        writer.choose(fragments.len());
        for fragment in fragments {
            fragment.encode(writer);
        }
    }
}

/// Whether every character of `text` can be held by a literal.
pub fn is_literal_text(text: &str) -> bool {
    text.chars().all(|c| literal_byte(c).is_some())
}
