//! Python-aware text fragments: what an editor session types.
//!
//! Fragments are whole constructs (`def f(x):`, `class C[T]:`, `from m import *`, a
//! comprehension, …) built from small pools of names and modules, so that the same scopes and
//! imports disappear and come back across edits, mixed with raw characters that break the
//! syntax. The pools are deliberately tiny: recreation of the *same* scope is the point.

use arbitrary::{Arbitrary, Result, Unstructured};

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

/// Caps a text at this many fragments: enough for a few nested scopes, small enough that a
/// run stays well under a millisecond of parsing.
pub const MAX_FRAGMENTS: usize = 24;

/// An index into [`NAMES`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct NameRef(pub u8);

impl NameRef {
    /// The name.
    pub fn as_str(self) -> &'static str {
        NAMES[usize::from(self.0) % NAMES.len()]
    }
}

impl<'a> Arbitrary<'a> for NameRef {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(NameRef(u.choose_index(NAMES.len())? as u8))
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

impl<'a> Arbitrary<'a> for ModuleRef {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(ModuleRef(u.choose_index(MODULES.len())? as u8))
    }
}

/// One piece of typed text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Arbitrary)]
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
        };
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
}

impl<'a> Arbitrary<'a> for Text {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        // Decode a length first rather than using `Vec`'s derived encoding, which yields about
        // one element from random bytes.
        let len = u.int_in_range(0..=MAX_FRAGMENTS)?;
        let mut fragments = Vec::with_capacity(len);
        for _ in 0..len {
            if u.is_empty() {
                break;
            }
            fragments.push(Fragment::arbitrary(u)?);
        }
        Ok(Text(fragments))
    }
}
