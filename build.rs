//! Tells the crate which salsa it is built against, so that `src/db/compat.rs` can bridge the
//! API differences between salsa 0.26 and 0.28 and findings can name the salsa they were found
//! against.
//!
//! The answer comes from the `salsa` line of this package's manifest: `salsa = "=X.Y.Z"` (the
//! pin, or a version that `salsa-fuzz salsa` wrote into a generated manifest) or
//! `salsa = { path = "…" }` (a local checkout, whose own manifest gives the version).
//!
//! Emits `cfg(salsa_api = "0.26" | "0.27" | "0.28")` (0.26 for older releases too),
//! `cfg(salsa_never_change)` (0.27.1 and later), `cfg(salsa_local_cancellation)` (0.26.0 and
//! later), `cfg(salsa_cow_lookup)` (0.26.0 and later), `cfg(salsa_cycle_fn_each_iteration)`
//! (0.25.0 and later), `cfg(salsa_trigger_cancellation)` (0.24.0 and later),
//! `cfg(salsa_interned_gc)`, `cfg(salsa_generational_ids)` and `cfg(salsa_hidden_fn_structs)`
//! (0.23.0 and later) and the
//! environment variables
//! `SALSA_FUZZ_SALSA` (`0.27.0`, or `0.28.5 (path /src/salsa, git 1a2b3c4d5e6f)`) and
//! `SALSA_FUZZ_PARSER` (the `ruff_python_parser` pin, `0.0.10`), and `SALSA_FUZZ_SALSA_ROOT`
//! (a checkout's root directory, empty for a release), to normalize panic locations.

use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let manifest = manifest_dir.join("Cargo.toml");
    println!("cargo::rerun-if-changed={}", manifest.display());
    println!("cargo::rustc-check-cfg=cfg(salsa_api, values(\"0.26\", \"0.27\", \"0.28\"))");
    println!("cargo::rustc-check-cfg=cfg(salsa_never_change)");
    println!("cargo::rustc-check-cfg=cfg(salsa_local_cancellation)");
    println!("cargo::rustc-check-cfg=cfg(salsa_cycle_fn_each_iteration)");
    println!("cargo::rustc-check-cfg=cfg(salsa_cow_lookup)");
    println!("cargo::rustc-check-cfg=cfg(salsa_trigger_cancellation)");
    println!("cargo::rustc-check-cfg=cfg(salsa_interned_gc)");
    println!("cargo::rustc-check-cfg=cfg(salsa_hidden_fn_structs)");
    println!("cargo::rustc-check-cfg=cfg(salsa_generational_ids)");
    println!("cargo::rustc-check-cfg=cfg(salsa_2024)");

    let text = std::fs::read_to_string(&manifest).expect("Cargo.toml is readable");
    let dependency = dependency_line(&text, "salsa")
        .unwrap_or_else(|| panic!("no `salsa = …` line in {}", manifest.display()));
    let mut root = String::new();
    let (version, described) = match dependency {
        SalsaDependency::Version(version) => (version.clone(), version),
        SalsaDependency::Path(path) => {
            let checkout = Checkout::read(&manifest_dir.join(path));
            // A release copied and patched for shuttle (src/matrix/shuttle_patch.rs) is
            // named as that release.
            let patched = std::fs::read_to_string(checkout.path.join("src/sync.rs"))
                .is_ok_and(|sync| sync.starts_with("// Patched by salsa-fuzz"));
            let described = if patched {
                format!("{} (shuttle-patched)", checkout.version)
            } else {
                checkout.described()
            };
            root = checkout.root();
            (checkout.version, described)
        }
    };
    // A salsa of the 2024 API (`salsa-fuzz salsa` for 0.18.x, or a checkout of it such as
    // ruff#13071's `f608ff8b`), built next to the pinned salsa for `src/legacy/`.
    if let Some(dependency) = dependency_line(&text, "salsa-2024") {
        println!("cargo::rustc-cfg=salsa_2024");
        let described = match dependency {
            SalsaDependency::Version(version) => version,
            SalsaDependency::Path(path) => {
                let checkout = Checkout::read(&manifest_dir.join(path));
                // Its panics are salsa's: the location normalization strips this root.
                root = checkout.root();
                checkout.described()
            }
        };
        println!("cargo::rustc-env=SALSA_FUZZ_SALSA_2024={described}");
    }
    println!("cargo::rustc-env=SALSA_FUZZ_SALSA={described}");
    println!("cargo::rustc-env=SALSA_FUZZ_SALSA_ROOT={root}");
    let parser = parser_version(&text)
        .unwrap_or_else(|| panic!("no `ruff_python_parser = …` line in {}", manifest.display()));
    println!("cargo::rustc-env=SALSA_FUZZ_PARSER={parser}");
    println!("cargo::rustc-cfg=salsa_api=\"{}\"", api_level(&version));
    if has_never_change(&version) {
        println!("cargo::rustc-cfg=salsa_never_change");
    }
    if has_local_cancellation(&version) {
        println!("cargo::rustc-cfg=salsa_local_cancellation");
    }
    // Interned lookups by `Cow<Path>`, `Cow<[T]>` and `Cow<T>` came with 0.26.0.
    if at_least(&version, (0, 26)) {
        println!("cargo::rustc-cfg=salsa_cow_lookup");
    }
    // Interned values collected and their slots reused (`revisions`, `DidReuseInternedValue`)
    // and ids with a generation (salsa#839, #864), and tracked functions' generated structs
    // hidden from the docs (#917), came with 0.23.0.
    if at_least(&version, (0, 23)) {
        println!("cargo::rustc-cfg=salsa_interned_gc");
        println!("cargo::rustc-cfg=salsa_hidden_fn_structs");
        println!("cargo::rustc-cfg=salsa_generational_ids");
    }
    // `Database::trigger_cancellation` came with 0.24.0 (salsa#959).
    if at_least(&version, (0, 24)) {
        println!("cargo::rustc-cfg=salsa_trigger_cancellation");
    }
    if at_least(&version, (0, 25)) {
        println!("cargo::rustc-cfg=salsa_cycle_fn_each_iteration");
    }
}

/// A local salsa checkout a manifest names by path.
struct Checkout {
    path: PathBuf,
    version: String,
    /// `, git 1a2b3c4d5e6f`, or empty outside git.
    git: String,
}

impl Checkout {
    /// Reads the checkout's package version and git revision (and asks cargo to rebuild when
    /// its manifest changes).
    fn read(path: &Path) -> Checkout {
        let salsa_manifest = path.join("Cargo.toml");
        println!("cargo::rerun-if-changed={}", salsa_manifest.display());
        let salsa_text = std::fs::read_to_string(&salsa_manifest)
            .unwrap_or_else(|error| panic!("{}: {error}", salsa_manifest.display()));
        let version = package_version(&salsa_text)
            .unwrap_or_else(|| panic!("no package version in {}", salsa_manifest.display()));
        let git = git_revision(path)
            .map(|revision| format!(", git {revision}"))
            .unwrap_or_default();
        Checkout {
            path: path.to_owned(),
            version,
            git,
        }
    }

    /// `0.28.5 (path /src/salsa, git 1a2b3c4d5e6f)`.
    fn described(&self) -> String {
        format!(
            "{} (path {}{})",
            self.version,
            self.path.display(),
            self.git
        )
    }

    /// Its canonical root, which panic locations are normalized against.
    fn root(&self) -> String {
        std::fs::canonicalize(&self.path)
            .unwrap_or_else(|_| self.path.clone())
            .display()
            .to_string()
    }
}

enum SalsaDependency {
    Version(String),
    Path(String),
}

/// The dependency line `name = …`: `salsa = "=0.28.5"`, `salsa = { path = "…" }`, or (only in
/// a generated manifest) `salsa-2024 = { package = "salsa", path = "…" | version = "=X.Y.Z" }`.
fn dependency_line(manifest: &str, name: &str) -> Option<SalsaDependency> {
    let line = manifest.lines().map(str::trim).find(|line| {
        line.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('='))
    })?;
    let value = line.split_once('=')?.1.trim();
    if value.starts_with('{') {
        if let Some(path) = quoted_after(value, "path") {
            return Some(SalsaDependency::Path(path));
        }
        return quoted_after(value, "version")
            .map(|version| SalsaDependency::Version(version.trim_start_matches('=').to_owned()));
    }
    let version = value.trim_matches('"').trim_start_matches('=');
    Some(SalsaDependency::Version(version.to_owned()))
}

/// The version of the `ruff_python_parser = "=X.Y.Z"` line.
fn parser_version(manifest: &str) -> Option<String> {
    let line = manifest.lines().map(str::trim).find(|line| {
        line.starts_with("ruff_python_parser ") || line.starts_with("ruff_python_parser=")
    })?;
    let value = line.split_once('=')?.1.trim();
    let value = if value.starts_with('{') {
        quoted_after(value, "version")?
    } else {
        value.trim_matches('"').to_owned()
    };
    Some(value.trim_start_matches('=').to_owned())
}

/// The quoted string after `key =` in an inline table.
fn quoted_after(table: &str, key: &str) -> Option<String> {
    let start = table.find(&format!("{key} ="))? + key.len() + 2;
    let rest = table[start..].trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// The `version = "…"` of the `[package]` section, or of `[workspace.package]` when the package
/// inherits it.
fn package_version(manifest: &str) -> Option<String> {
    let mut section = "";
    let mut package = None;
    let mut workspace = None;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if let Some(value) = line.strip_prefix("version") {
            let value = value.trim_start();
            let Some(value) = value.strip_prefix('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"').to_owned();
            match section {
                "[package]" => package = Some(value),
                "[workspace.package]" => workspace = Some(value),
                _ => {}
            }
        }
    }
    match package {
        Some(version) if !version.contains("workspace") => Some(version),
        _ => workspace,
    }
}

/// The API level `src/db/compat.rs` selects: 0.26.x, 0.27.x, or 0.28 and later.
fn api_level(version: &str) -> &'static str {
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    match (major, minor) {
        (0, ..=26) => "0.26",
        (0, 27) => "0.27",
        _ => "0.28",
    }
}

/// Whether local cancellation (`CancellationToken`, `Cancelled::Local`) exists and
/// `Cancelled::PendingWrite` can be constructed: since salsa 0.26.0.
fn has_local_cancellation(version: &str) -> bool {
    at_least(version, (0, 26))
}

/// Whether `version` is `major.minor` or later. From 0.25, salsa calls `cycle_fn` after every
/// iteration (with `&Cycle`, returning the value) and passes the query's id to `cycle_initial`
/// and `cycle_result` (`cfg(salsa_cycle_fn_each_iteration)`).
fn at_least(version: &str, (major, minor): (u32, u32)) -> bool {
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}

/// Whether `Durability::NEVER_CHANGE` exists: since salsa 0.27.1 (salsa#1109).
fn has_never_change(version: &str) -> bool {
    let parts: Vec<u32> = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0))
        .collect();
    parts.as_slice() >= [0, 27, 1].as_slice()
}

/// The checkout's commit, read from `.git` without running git (short, 12 hex digits).
fn git_revision(checkout: &Path) -> Option<String> {
    let git = checkout.join(".git");
    let head_file = git.join("HEAD");
    let head = std::fs::read_to_string(&head_file).ok()?;
    println!("cargo::rerun-if-changed={}", head_file.display());
    let head = head.trim();
    let full = match head.strip_prefix("ref: ") {
        Some(reference) => {
            let ref_file = git.join(reference);
            println!("cargo::rerun-if-changed={}", ref_file.display());
            match std::fs::read_to_string(&ref_file) {
                Ok(text) => text.trim().to_owned(),
                Err(_) => packed_ref(&git, reference)?,
            }
        }
        None => head.to_owned(),
    };
    Some(full.chars().take(12).collect())
}

fn packed_ref(git: &Path, reference: &str) -> Option<String> {
    let packed = std::fs::read_to_string(git.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (hash, name) = line.split_once(' ')?;
        (name == reference).then(|| hash.to_owned())
    })
}
