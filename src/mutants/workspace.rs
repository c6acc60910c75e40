//! The copies of salsa a mutation run works on, under `target/mutants/`, and the one lock that
//! lets only one run use them at a time.
//!
//! - `salsa-pristine/`: the pinned salsa crate from cargo's registry sources, copied once and
//!   never changed; what every restore copies from and what cargo-mutants lists.
//! - `salsa/`: the one working copy that mutants are applied to. The suite is built against
//!   it (always the same path, so always the same generated package and target directory
//!   under `target/salsa-matrix/`) and salsa's own tests run in it.
//!
//! Both copies leave out salsa's `rust-toolchain.toml`. It pins the toolchain salsa's own CI
//! uses (1.98 in 0.28.5), which is not installed here; inside the copy, rustup would stop every
//! `cargo` with "toolchain not installed" instead of using the default one. As a dependency of
//! the suite, salsa is compiled by the suite's toolchain anyway (cargo ignores a dependency's
//! toolchain file), so salsa's tests are run with that same toolchain.
//!
//! Promises: a mutant is applied only through [`Applied`], which restores the file from the
//! pristine copy when dropped (on success, error or panic); and [`Workspace::restore_all`],
//! called before the baseline and before every mutant, puts back anything a killed run left
//! mutated.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::MutantsError;
use super::list::{Mutant, apply_diff};

/// The file that marks a complete pristine copy (a copy interrupted half-way has none).
const COPIED_MARKER: &str = ".salsa-fuzz-copied-from";

/// The work area of mutation runs.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// `target/mutants/`.
    pub out: PathBuf,
    /// The unmutated copy.
    pub pristine: PathBuf,
    /// The copy mutants are applied to.
    pub working: PathBuf,
    /// The target directory of salsa's own tests.
    pub salsa_target: PathBuf,
    /// One JSON file per measured mutant.
    pub results: PathBuf,
    /// Per-mutant campaigns, logs and findings.
    pub runs: PathBuf,
    /// The unmutated build and salsa's tests on it.
    pub baseline: PathBuf,
}

impl Workspace {
    /// The layout under `out`, without touching the disk.
    pub fn at(out: &Path) -> Workspace {
        Workspace {
            out: out.to_path_buf(),
            pristine: out.join("salsa-pristine"),
            working: out.join("salsa"),
            salsa_target: out.join("salsa-target"),
            results: out.join("results"),
            runs: out.join("runs"),
            baseline: out.join("baseline"),
        }
    }

    /// Makes the pristine copy of `source` (once). The working copy is made (and repaired) by
    /// [`Workspace::restore_all`], under [`Workspace::lock`]: another run may have a mutant
    /// applied to it right now.
    pub fn prepare(out: &Path, source: &Path) -> Result<Workspace, MutantsError> {
        let workspace = Workspace::at(out);
        let marker = workspace.pristine.join(COPIED_MARKER);
        let source_text = source.display().to_string();
        if std::fs::read_to_string(&marker).ok().as_deref() != Some(source_text.as_str()) {
            let _ = std::fs::remove_dir_all(&workspace.pristine);
            copy_tree(source, &workspace.pristine)?;
            std::fs::write(&marker, &source_text).map_err(io(&marker))?;
        }
        Ok(workspace)
    }

    /// Makes every file of the working copy equal to the pristine one (rewriting only those
    /// that differ, so that cargo's fingerprints of the others stay fresh); returns how many
    /// were rewritten.
    pub fn restore_all(&self) -> Result<usize, MutantsError> {
        let mut restored = 0;
        for relative in files_under(&self.pristine)? {
            if relative.as_os_str() == COPIED_MARKER {
                continue;
            }
            let from = self.pristine.join(&relative);
            let to = self.working.join(&relative);
            let want = std::fs::read(&from).map_err(io(&from))?;
            if std::fs::read(&to).ok().as_deref() != Some(want.as_slice()) {
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).map_err(io(parent))?;
                }
                std::fs::write(&to, &want).map_err(io(&to))?;
                restored += 1;
            }
        }
        Ok(restored)
    }

    /// Applies `mutant` to the working copy; the returned guard puts the file back.
    pub fn apply(&self, mutant: &Mutant) -> Result<Applied, MutantsError> {
        let pristine = self.pristine.join(&mutant.file);
        let original = std::fs::read_to_string(&pristine).map_err(io(&pristine))?;
        let mutated =
            apply_diff(&original, &mutant.diff).map_err(|message| MutantsError::BadDiff {
                mutant: mutant.name.clone(),
                message,
            })?;
        let target = self.working.join(&mutant.file);
        let guard = Applied {
            target: target.clone(),
            pristine,
            restored: false,
        };
        std::fs::write(&target, mutated).map_err(io(&target))?;
        Ok(guard)
    }

    /// Waits for the exclusive use of the working copy (another `salsa-fuzz mutants`, say a
    /// test while a long measurement runs, holds it for one mutant at a time).
    pub fn lock(&self, log: &mut dyn FnMut(&str)) -> Result<File, MutantsError> {
        std::fs::create_dir_all(&self.out).map_err(io(&self.out))?;
        let path = self.out.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        if file.try_lock().is_err() {
            log("another `salsa-fuzz mutants` is using the salsa copy: waiting for its mutant");
            file.lock().map_err(io(&path))?;
        }
        Ok(file)
    }
}

/// A mutant applied to the working copy; dropping it restores the file.
#[derive(Debug)]
pub struct Applied {
    target: PathBuf,
    pristine: PathBuf,
    restored: bool,
}

impl Applied {
    /// Restores the file now, reporting a failure (a drop can only ignore it).
    pub fn restore(mut self) -> Result<(), MutantsError> {
        self.restored = true;
        std::fs::copy(&self.pristine, &self.target)
            .map(drop)
            .map_err(io(&self.target))
    }
}

impl Drop for Applied {
    fn drop(&mut self) {
        if !self.restored {
            // Best effort; the next `restore_all` repairs what this could not.
            let _ = std::fs::copy(&self.pristine, &self.target);
        }
    }
}

/// The salsa version the suite pins: the `salsa = "=X.Y.Z"` line of its manifest.
pub fn pinned_salsa_version(manifest: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let value = line.trim().strip_prefix("salsa")?.trim_start();
        let value = value.strip_prefix('=')?.trim();
        let version = value.strip_prefix("\"=")?.strip_suffix('"')?;
        crate::matrix::parse_version(version).map(|_| version.to_owned())
    })
}

/// The registry source of `salsa-VERSION`: `$CARGO_HOME/registry/src/*/salsa-VERSION`
/// (`$CARGO_HOME` defaults to `~/.cargo`); the first registry, by name, that has it.
pub fn salsa_source(version: &str) -> Result<PathBuf, MutantsError> {
    crate::matrix::registry_source(version).ok_or_else(|| MutantsError::NoSalsaSource {
        version: version.to_owned(),
        searched: crate::matrix::registry_sources()
            .unwrap_or_else(|| PathBuf::from("$CARGO_HOME/registry/src")),
    })
}

/// Copies the tree at `from` to `to`, leaving out `rust-toolchain.toml` (see the module's
/// documentation) and any `target/` directory.
fn copy_tree(from: &Path, to: &Path) -> Result<(), MutantsError> {
    for relative in files_under(from)? {
        if relative == Path::new("rust-toolchain.toml") || relative == Path::new("rust-toolchain") {
            continue;
        }
        let source = from.join(&relative);
        let target = to.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::copy(&source, &target).map_err(io(&target))?;
    }
    Ok(())
}

/// The files under `dir`, relative to it, sorted; `target/` directories left out.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, MutantsError> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let absolute = dir.join(&relative);
        let entries = std::fs::read_dir(&absolute).map_err(io(&absolute))?;
        for entry in entries {
            let entry = entry.map_err(io(&absolute))?;
            let path = relative.join(entry.file_name());
            let kind = entry.file_type().map_err(io(&entry.path()))?;
            if kind.is_dir() {
                if entry.file_name() != "target" {
                    pending.push(path);
                }
            } else if kind.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// An I/O error naming `path`.
pub(super) fn io(path: &Path) -> impl Fn(std::io::Error) -> MutantsError + '_ {
    move |source| MutantsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_version_is_read_from_the_manifest_line() {
        let manifest = "[dependencies]\nsalsa-macros = \"=0.1.0\"\nsalsa = \"=0.28.5\"\n";
        assert_eq!(pinned_salsa_version(manifest).as_deref(), Some("0.28.5"));
        assert_eq!(pinned_salsa_version("salsa = \"0.28\"\n"), None);
        let ours = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .expect("our manifest");
        assert!(pinned_salsa_version(&ours).is_some());
    }

    #[test]
    fn a_mutant_is_restored_when_its_guard_drops_and_restore_all_repairs_the_rest() {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let source = scratch.path().join("registry/salsa-9.9.9");
        std::fs::create_dir_all(source.join("src")).expect("mkdir");
        std::fs::write(source.join("Cargo.toml"), "[package]\nname = \"salsa\"\n").expect("w");
        std::fs::write(source.join("rust-toolchain.toml"), "[toolchain]\n").expect("w");
        std::fs::write(
            source.join("src/lib.rs"),
            "fn f() -> bool {\n    false\n}\n",
        )
        .expect("w");
        let workspace = Workspace::prepare(&scratch.path().join("out"), &source).expect("prepared");
        assert_eq!(workspace.restore_all().expect("the working copy"), 2);
        assert!(!workspace.working.join("rust-toolchain.toml").exists());
        let lib = workspace.working.join("src/lib.rs");
        let pristine = std::fs::read_to_string(&lib).expect("read");
        let mutant = Mutant {
            name: "src/lib.rs:2:5: replace f -> bool with true".to_owned(),
            file: "src/lib.rs".to_owned(),
            diff: "--- src/lib.rs\n+++ x\n@@ -1,3 +1,3 @@\n fn f() -> bool {\n-    false\n+    true\n }\n"
                .to_owned(),
        };
        {
            let _applied = workspace.apply(&mutant).expect("applies");
            assert!(
                std::fs::read_to_string(&lib)
                    .expect("read")
                    .contains("true")
            );
        }
        assert_eq!(std::fs::read_to_string(&lib).expect("read"), pristine);
        // A run killed with the mutant applied leaves it there; the next run repairs it.
        std::mem::forget(workspace.apply(&mutant).expect("applies"));
        assert_ne!(std::fs::read_to_string(&lib).expect("read"), pristine);
        assert_eq!(workspace.restore_all().expect("restores"), 1);
        assert_eq!(std::fs::read_to_string(&lib).expect("read"), pristine);
        assert_eq!(workspace.restore_all().expect("restores"), 0);
    }
}
