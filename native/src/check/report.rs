//! How `seam check` says what it found: one line per cut as it ends, a summary, or one JSON
//! object with `--json`.

use serde_json::{json, Value};

use super::cuts::CutPlan;

/// What became of one cut.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Every reply (or stored file) was right.
    Pass,
    /// Something was wrong; the sentence says what, in the learner's terms.
    Fail(String),
    /// The cut does not apply to the dialect; the sentence says why.
    Skip(String),
}

/// The line of one cut.
pub fn line(plan: &CutPlan, verdict: &Verdict) -> String {
    let head = format!("{}. {}", plan.number, plan.what);
    match verdict {
        Verdict::Pass => format!("  pass  {head}"),
        Verdict::Fail(cause) => format!("  FAIL  {head}: {cause}"),
        Verdict::Skip(why) => format!("  skip  {head}: {why}"),
    }
}

/// The summary line.
pub fn summary(results: &[(CutPlan, Verdict)]) -> String {
    let played = results
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::Skip(_)))
        .count();
    let failed: Vec<String> = results
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Fail(_)))
        .map(|(plan, _)| format!("{} ({})", plan.number, plan.name))
        .collect();
    if failed.is_empty() {
        format!("all {played} cuts passed")
    } else {
        format!(
            "{} of {played} cuts failed: {}",
            failed.len(),
            failed.join(", ")
        )
    }
}

/// The whole result as one JSON object.
pub fn to_json(dialect: &str, addr: &str, seed: u64, results: &[(CutPlan, Verdict)]) -> Value {
    let cuts: Vec<Value> = results
        .iter()
        .map(|(plan, verdict)| {
            let (result, cause) = match verdict {
                Verdict::Pass => ("pass", None),
                Verdict::Fail(cause) => ("fail", Some(cause)),
                Verdict::Skip(why) => ("skip", Some(why)),
            };
            json!({"number": plan.number, "name": plan.name, "what": plan.what, "result": result, "cause": cause})
        })
        .collect();
    let ok = !results.iter().any(|(_, v)| matches!(v, Verdict::Fail(_)));
    json!({"ok": ok, "dialect": dialect, "address": addr, "seed": seed, "cuts": cuts})
}
