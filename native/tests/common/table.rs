//! Running a table of cases: every case runs, and a failure names its case.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// A case of a table: its name says what it tries.
pub trait Case {
    /// What the case tries, to name it when it fails.
    fn name(&self) -> &str;
}

/// Runs `check` on every case, then fails naming each case that failed with its message,
/// so that one bad case does not hide the others.
pub fn check_every_case<C: Case>(cases: &[C], mut check: impl FnMut(&C)) {
    let failed: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let outcome = catch_unwind(AssertUnwindSafe(|| check(case)));
            outcome.err().map(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                format!("{}: {message}", case.name())
            })
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}
