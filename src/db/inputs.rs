//! Salsa inputs: the files of the workspace, the project that lists them, and the settings.
//!
//! A file handle is created once per path and reused when the path is removed and added back,
//! as ty's `Files` does: removal flips `exists` and empties the text rather than destroying the
//! input, so a handle kept by a background job or an older answer never makes a query panic.

/// One Python file: the unit of parsing and of invalidation.
///
/// `path` never changes after creation (`NEVER_CHANGE` durability from salsa 0.27.1, HIGH
/// before: see `compat::PATH_DURABILITY`). `text` and `exists` are LOW for
/// workspace files and HIGH for files marked as library code, so that an edit to a workspace
/// file lets salsa skip verifying queries that depend only on library files.
#[cfg_attr(feature = "persistence", salsa::input(debug, persist))]
#[cfg_attr(not(feature = "persistence"), salsa::input(debug))]
pub struct SourceFile {
    /// Project-relative path with `/` separators; also determines the module name.
    #[returns(ref)]
    pub path: String,
    /// The current contents; empty when the file has been removed.
    #[returns(ref)]
    pub text: String,
    /// Whether the file is part of the project right now.
    #[returns(copy)]
    pub exists: bool,
    /// Whether the file is library code (its text has HIGH durability).
    #[returns(copy)]
    pub is_library: bool,
}

/// The set of files in the project, sorted by path.
///
/// Kept separate from the files so that editing a file's text does not invalidate queries that
/// only ask which files exist (`resolve_module`).
#[cfg_attr(feature = "persistence", salsa::input(debug, persist))]
#[cfg_attr(not(feature = "persistence"), salsa::input(debug))]
pub struct Project {
    /// The live files, sorted by path.
    #[returns(ref)]
    pub files: Vec<SourceFile>,
}

/// The project's settings: one per database (a salsa singleton), read by every module-level
/// name resolution that falls through to the builtins, and by nothing else. Written at the
/// durability a step chooses (ty keeps its program settings at HIGH), so a settings change
/// alone re-runs only those resolutions, and an edit of a LOW file alone leaves them to
/// salsa's verification.
#[cfg_attr(feature = "persistence", salsa::input(singleton, debug, persist))]
#[cfg_attr(not(feature = "persistence"), salsa::input(singleton, debug))]
pub struct Settings {
    /// Names added to Python's builtins, sorted.
    #[returns(deref)]
    pub builtins: Vec<String>,
}
