//! The `salsa-fuzz` command line: a short run works, bad usage is one clear line and exit 2.

use std::process::Command;

fn salsa_fuzz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// With the canary planted a run finds it (exit 1): `tests/canary_is_found.rs` covers that.
#[cfg(not(feature = "canary"))]
#[test]
fn a_short_run_reports_progress_and_exits_zero() {
    let output = salsa_fuzz(&["run", "--time", "2s", "--seed", "9", "--sequential"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("salsa-fuzz run: seed 9, sequential, oracle on"),
        "{stdout}"
    );
    assert!(stdout.contains("no finding"), "{stdout}");
}

#[test]
fn usage_errors_are_one_line_and_exit_two() {
    for args in [
        &["run", "--frobnicate"][..],
        &["run", "--time", "soon"],
        &["run", "--seed"],
        &["dance"],
        &[],
    ] {
        let output = salsa_fuzz(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("salsa-fuzz: "), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}
