//! Progress bars with bytes, rate and ETA, shown only when stderr is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A transfer's progress bar, or nothing when it should not be drawn.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for `total` bytes of `name`, starting at `done`; hidden when `quiet` or when
    /// stderr is not a terminal.
    pub fn new(quiet: bool, name: &str, done: u64, total: u64) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(total);
        let style = ProgressStyle::with_template(
            "{msg:20!} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(name.to_string());
        bar.set_position(done);
        Progress(Some(bar))
    }

    /// Counts `n` more bytes.
    pub fn add(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
        }
    }
}
