//! The `salsa-fuzz` command line: bad usage is one clear line and exit 2 (`tests/campaign.rs`
//! runs campaigns).

use std::process::Command;

fn salsa_fuzz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_salsa-fuzz"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn usage_errors_are_one_line_and_exit_two() {
    for args in [
        &["run", "--frobnicate"][..],
        &["run", "--jobs", "many"],
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
