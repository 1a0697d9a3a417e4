//! Pure: hardware honesty in the PR body. `suggested_hardware` in a README assigns nothing
//! (hub-constraints §3), and without `SPACES_ZERO_GPU` the app's module-level `.to("cuda")`
//! fails on CPU hardware — so when the generated app needs a GPU the live Space does not have
//! (neither running nor requested), the approver is told before merging, with what to pick.

use crate::hub::SpaceHardware;

fn is_gpu(flavor: &str) -> bool {
    !flavor.is_empty() && !flavor.starts_with("cpu")
}

/// The note for the PR body, or `None` when the Space has (or has requested) GPU hardware,
/// the app needs none, or the runtime is unknown. `suggested`: the plan's hardware.
pub fn note(suggested: &str, live: Option<&SpaceHardware>) -> Option<String> {
    let live = live?;
    if !is_gpu(suggested) {
        return None;
    }
    let requested = live.requested.as_deref().filter(|f| !f.is_empty());
    let effective = requested.or(live.current.as_deref()).unwrap_or("cpu-basic");
    if is_gpu(effective) {
        return None;
    }
    Some(format!(
        "this Space runs on `{effective}`, but the generated app needs a GPU: merged as is, it crashes at start-up (`.to(\"cuda\")` has no GPU). \
In the Space's Settings → Space hardware, pick **ZeroGPU** (`{suggested}`; PRO, Team or Enterprise accounts, or a community grant) \
or a GPU flavour with enough memory for the base model (e.g. `l4x1` or `a10g-large`; the app's `@spaces.GPU` runs unchanged there)."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hw(current: Option<&str>, requested: Option<&str>) -> SpaceHardware {
        SpaceHardware { current: current.map(Into::into), requested: requested.map(Into::into) }
    }

    #[test]
    fn a_gpu_app_on_cpu_basic_gets_a_note_naming_zerogpu_and_a_gpu_flavour() {
        let n = note("zero-a10g", Some(&hw(Some("cpu-basic"), Some("cpu-basic")))).expect("a note");
        assert!(n.contains("`cpu-basic`") && n.contains("ZeroGPU") && n.contains("l4x1"), "{n}");
        assert!(note("zero-a10g", Some(&hw(None, None))).is_some(), "a stopped Space with nothing requested is on cpu-basic");
    }

    #[test]
    fn zerogpu_or_a_requested_gpu_or_an_unknown_runtime_get_no_note() {
        assert_eq!(note("zero-a10g", Some(&hw(Some("zero-a10g"), Some("zero-a10g")))), None);
        assert_eq!(note("zero-a10g", Some(&hw(Some("cpu-basic"), Some("l4x1")))), None, "a GPU is on its way");
        assert_eq!(note("zero-a10g", None), None);
        assert_eq!(note("cpu-basic", Some(&hw(Some("cpu-basic"), None))), None);
    }
}
