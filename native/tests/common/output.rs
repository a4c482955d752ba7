//! Reading what a finished `seam` command printed: its text, its JSON lines, its success.

use std::process::Output;

use serde_json::Value;

/// What the command printed on standard output, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What the command printed on standard error, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every line of standard output, each parsed as JSON (`--json` output).
pub fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{line}: {e}; stderr: {}", stderr(output)))
        })
        .collect()
}

/// The first line of standard output, parsed as JSON.
pub fn json_line(output: &Output) -> Value {
    let text = stdout(output);
    let line = text
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no output; stderr: {}", stderr(output)));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}; stderr: {}", stderr(output)))
}

/// Checks the command succeeded, showing what it printed when it did not.
pub fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}): stdout {:?}, stderr {:?}",
        output.status,
        stdout(output),
        stderr(output)
    );
}
