//! Pure: the Hub's terms (shared/reference/hub-constraints.md) read into verdicts. A refusal
//! to create the preview (plan, cap, conflict, rate) means the live gates cannot run; a GPU
//! quota, a GPU limit, an illegal duration, no GPU or a full queue means the call says nothing
//! about the app: "inconclusive, retry later", never ❌.

use crate::hub::HubError;

/// Why the Hub refused to create or set up the preview, when it is a refusal (plan, cap,
/// permission, conflict, rate) rather than a fault to retry or a bug.
pub fn creation_refusal(e: &HubError) -> Option<String> {
    let text = e.to_string();
    let why = match e.status()? {
        402 => "the bot's account has no plan that allows this preview (402 Payment Required: Gradio Spaces need PRO or a Team/Enterprise org, ZeroGPU hosting is capped per plan)",
        403 if text.contains("ZeroGPU") || text.to_ascii_lowercase().contains("limit") => "the ZeroGPU hosting cap of the bot's plan is reached (403)",
        403 => "the bot's token may not create Spaces in the preview namespace (403)",
        409 => "another operation on the preview is in progress (409)",
        429 => "the Hub rate-limited the preview's creation (429)",
        _ => return None,
    };
    Some(format!("{why}: {}", first_line(&text)))
}

/// When an app error or a start-up log names a limit outside the app, what it is.
pub fn environmental(message: &str) -> Option<&'static str> {
    let m = message.to_ascii_lowercase();
    let table: [(&str, &'static str); 9] = [
        ("zerogpu quota exceeded", "the ZeroGPU quota of the preview token is used up"),
        ("exceeded your free zerogpu quota", "the ZeroGPU quota of the preview token is used up"),
        ("exceeded your gpu quota", "the ZeroGPU quota of the preview token is used up"),
        ("reached its gpu limit", "the preview Space reached its GPU limit"),
        ("zerogpu illegal duration", "ZeroGPU refused the declared duration (illegal duration)"),
        ("zerogpu queue timeout", "no ZeroGPU slot within ZeroGPU's queue timeout"),
        ("no cuda gpus are available", "no GPU was available to the preview"),
        ("found no nvidia driver", "no GPU was available to the preview"),
        ("queue is full", "the preview's queue was full"),
    ];
    table.iter().find(|(needle, _)| m.contains(needle)).map(|(_, why)| *why)
}

/// Whether a flavour is CPU-only (`cpu-basic`, `cpu-upgrade`, …).
pub fn is_cpu_flavour(flavour: &str) -> bool {
    flavour.starts_with("cpu")
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_limit_duration_and_no_gpu_texts_are_environmental() {
        let quota = "ZeroGPU quota exceeded: You have exceeded your free ZeroGPU quota (60s requested vs. 30s left). Try again in 0:09:48.";
        assert_eq!(environmental(quota), Some("the ZeroGPU quota of the preview token is used up"));
        assert!(environmental("Space app has reached its GPU limit").is_some());
        assert!(environmental("ZeroGPU illegal duration").is_some());
        assert!(environmental("RuntimeError: No CUDA GPUs are available").is_some());
        assert!(environmental("503: Queue is full. Max size is 1 and size is 1.").is_some());
        assert_eq!(environmental("TypeError: FluxPipeline.__call__() got an unexpected keyword argument 'x'"), None);
    }

    #[test]
    fn cpu_flavours_are_told_from_gpu_ones() {
        assert!(is_cpu_flavour("cpu-basic") && is_cpu_flavour("cpu-upgrade"));
        assert!(!is_cpu_flavour("zero-a10g") && !is_cpu_flavour("t4-small") && !is_cpu_flavour("a10g-large"));
    }
}
