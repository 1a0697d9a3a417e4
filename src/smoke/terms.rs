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

/// The plan facts of the account previews are created in (from whoami-v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// An organisation (its plan is Team/Enterprise when it can pay).
    pub org: bool,
    /// A PRO user, or an org with a paid plan.
    pub paid: bool,
    /// A payment method is on file.
    pub can_pay: bool,
}

impl Account {
    /// The plan's name as `links check` prints it.
    pub fn plan(&self) -> &'static str {
        match (self.org, self.paid) {
            (false, true) => "PRO",
            (false, false) => "free",
            (true, true) => "paid organisation (Team/Enterprise)",
            (true, false) => "free organisation",
        }
    }
}

/// Whether previews in `mode` can run for `account`, and why (hub-constraints.md §3): Gradio
/// Spaces need PRO or a paid org, except ZeroGPU where a free user may host 2; paid hardware
/// needs a payment method; ZeroGPU hosting is capped at 2 / 10 / 50.
pub fn previews_can_run(mode: &super::preview::PreviewMode, account: Account) -> (bool, String) {
    use super::preview::PreviewMode;
    match mode {
        PreviewMode::Off => (true, "previews are off ([smoke] preview = \"off\"): the local gate gives the verdict".to_owned()),
        PreviewMode::ZeroGpu if account.paid => {
            let cap = if account.org { 50 } else { 10 };
            (true, format!("ZeroGPU previews can run (up to {cap} ZeroGPU Spaces on this plan; each preview is deleted after its verdict)"))
        }
        PreviewMode::ZeroGpu if account.org => (false, "a free organisation cannot host Gradio Spaces, not even on ZeroGPU: use a PRO account or a Team org for previews".to_owned()),
        PreviewMode::ZeroGpu => (true, "ZeroGPU previews can run on a free account, at most 2 at a time (its 2 ZeroGPU Spaces), with 5 min of GPU a day for the preview token: PRO gives 10 and 40 min".to_owned()),
        PreviewMode::Hardware(_) if !account.paid => (false, "creating a Gradio Space needs PRO (user) or a Team/Enterprise org: the Hub answers 402".to_owned()),
        PreviewMode::Hardware(f) if !is_cpu_flavour(f) && !account.can_pay => (false, format!("{f} is paid hardware: add a payment method to the account")),
        PreviewMode::Hardware(f) if is_cpu_flavour(f) => (true, format!("{f} previews can run, but GPU apps are not tried there (they fail at start-up without CUDA)")),
        PreviewMode::Hardware(f) => (true, format!("{f} previews can run (billed while each preview runs, deleted after its verdict)")),
    }
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
    fn previews_can_run_only_on_plans_that_allow_them() {
        use crate::smoke::preview::PreviewMode;
        let free = Account { org: false, paid: false, can_pay: false };
        let pro = Account { org: false, paid: true, can_pay: true };
        assert!(previews_can_run(&PreviewMode::ZeroGpu, free).0, "a free user may host 2 ZeroGPU Spaces");
        assert!(!previews_can_run(&PreviewMode::Hardware("cpu-basic".into()), free).0, "402 for a Gradio Space");
        assert!(previews_can_run(&PreviewMode::Hardware("t4-small".into()), pro).0);
        assert!(!previews_can_run(&PreviewMode::Hardware("t4-small".into()), Account { can_pay: false, ..pro }).0);
        assert!(!previews_can_run(&PreviewMode::ZeroGpu, Account { org: true, paid: false, can_pay: false }).0);
        assert!(previews_can_run(&PreviewMode::ZeroGpu, pro).1.contains("10"));
    }

    #[test]
    fn cpu_flavours_are_told_from_gpu_ones() {
        assert!(is_cpu_flavour("cpu-basic") && is_cpu_flavour("cpu-upgrade"));
        assert!(!is_cpu_flavour("zero-a10g") && !is_cpu_flavour("t4-small") && !is_cpu_flavour("a10g-large"));
    }
}
