//! How a client command says what it did: a JSON line for scripts, or a sentence.

use seam_core::messages::clean_text;

use super::options::ClientOptions;

/// Prints a result line: JSON with `--json`, else the human text (unless `--quiet`), its
/// control characters (names and words from the server) made harmless.
pub fn print_result(args: &ClientOptions, json: serde_json::Value, human: impl FnOnce() -> String) {
    if args.json {
        println!("{json}");
    } else if !args.quiet {
        println!("{}", clean_text(&human()));
    }
}
