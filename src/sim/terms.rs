//! The Hub's terms as pure rules (no I/O): account plans, which Spaces a plan may create and
//! host, the ZeroGPU daily quota, and the webhook trigger cap. Each rule cites its source in
//! `shared/reference/hub-constraints.md` (HD = hub-docs, HH = huggingface_hub, SP = `spaces`).

use std::collections::VecDeque;
use std::time::Duration;

use axum::http::StatusCode;

/// An account's plan. `Team` and `Enterprise` are organisation plans; for a user they mean
/// "member of such an org" (quota) — the simulator does not model org membership further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// No paid plan (the default of every account).
    #[default]
    Free,
    /// PRO user.
    Pro,
    /// Team org.
    Team,
    /// Enterprise org.
    Enterprise,
}

impl std::str::FromStr for Plan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "free" => Ok(Self::Free),
            "pro" => Ok(Self::Pro),
            "team" => Ok(Self::Team),
            "enterprise" => Ok(Self::Enterprise),
            other => Err(format!("{other:?}: expected free, pro, team or enterprise")),
        }
    }
}

impl Plan {
    /// `free`, `pro`, `team`, `enterprise`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Pro => "pro",
            Self::Team => "team",
            Self::Enterprise => "enterprise",
        }
    }

    /// Whether the plan pays (PRO user, Team/Enterprise org).
    pub fn is_paid(self) -> bool {
        self != Self::Free
    }

    /// ZeroGPU Spaces the account may host: free 2, PRO 10, Team/Enterprise org 50.
    /// source: hub-constraints.md §3 "ZeroGPU hosting" (HD spaces-zerogpu.md).
    pub fn zero_gpu_hosting_cap(self) -> usize {
        match self {
            Self::Free => 2,
            Self::Pro => 10,
            Self::Team | Self::Enterprise => 50,
        }
    }

    /// Daily ZeroGPU seconds of a caller on this plan: free 5 min, PRO 40, Team member 40,
    /// Enterprise member 60. source: hub-constraints.md §3 "Daily quota" (HD spaces-zerogpu.md).
    pub fn zero_gpu_daily_secs(self) -> u64 {
        match self {
            Self::Free => 5 * 60,
            Self::Pro | Self::Team => 40 * 60,
            Self::Enterprise => 60 * 60,
        }
    }
}

/// Anonymous callers' daily ZeroGPU seconds (2 min). source: hub-constraints.md §3 "Daily quota".
pub const ANONYMOUS_ZERO_GPU_SECS: u64 = 2 * 60;

/// The ZeroGPU flavour. source: hub-constraints.md §3 "ZeroGPU hosting" (HH _space_api.py).
pub const ZERO_GPU: &str = "zero-a10g";

/// The hardware every Space gets unless another is requested. source: hub-constraints.md §3
/// "Hardware comes only from `hardware` in create/duplicate or `request_space_hardware`".
pub const CPU_BASIC: &str = "cpu-basic";

/// Flavours that cost nothing beyond the plan (CPU basic, ZeroGPU); the others need a payment
/// method or grant (hub-constraints.md §3; the simulator equates "payment method" with a paid plan).
pub fn is_free_flavour(flavour: &str) -> bool {
    flavour == CPU_BASIC || flavour == ZERO_GPU
}

/// A refusal: the status and the Hub's error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: StatusCode,
    /// `error` of the JSON body.
    pub message: String,
}

/// Whether `plan` may create (or duplicate into) a Space with `sdk` on `flavour`, given how
/// many ZeroGPU Spaces the account already hosts.
///
/// - Gradio/Docker (and Streamlit, a Docker template) need a paid plan, static is free: 402.
///   source: hub-constraints.md §3 "Paid plan" (HD spaces-overview.md; HH create_repo; the
///   402 status: hub-api.md §6 create "402 paid plan needed"; its text is unverified).
/// - Except: a free user may host 2 Gradio Spaces on ZeroGPU (since 2026-07-21, hub-docs#2624).
/// - Plus the hardware rules of [`may_use_flavour`].
pub fn may_host(plan: Plan, sdk: &str, flavour: &str, zero_gpu_hosted: usize) -> Result<(), Refusal> {
    may_use_flavour(plan, sdk, flavour, zero_gpu_hosted)?;
    if sdk != "static" && flavour != ZERO_GPU && !plan.is_paid() {
        return Err(payment_required(format!(
            "Creating a {sdk} Space requires a PRO subscription (or a Team or Enterprise organization). Static Spaces are free."
        )));
    }
    Ok(())
}

/// Whether `plan` may run a Space with `sdk` on `flavour` (creation or the hardware API).
///
/// - ZeroGPU: Gradio only; the hosting cap per plan (hub-constraints.md §3 "ZeroGPU hosting").
///   The cap's status and text are not documented (unverified): the simulator answers 403.
/// - Paid flavours need a payment method or grant (§3 "Hardware"): 402 without a paid plan.
pub fn may_use_flavour(plan: Plan, sdk: &str, flavour: &str, zero_gpu_hosted: usize) -> Result<(), Refusal> {
    if flavour == ZERO_GPU {
        let cap = plan.zero_gpu_hosting_cap();
        if sdk != "gradio" {
            return Err(Refusal { status: StatusCode::BAD_REQUEST, message: "ZeroGPU is only available for Gradio Spaces".to_owned() });
        }
        if zero_gpu_hosted >= cap {
            let message = format!("You have reached the maximum number of ZeroGPU Spaces for your plan ({cap}). Upgrade your plan or use another hardware.");
            return Err(Refusal { status: StatusCode::FORBIDDEN, message });
        }
        return Ok(());
    }
    if !is_free_flavour(flavour) && !plan.is_paid() {
        return Err(payment_required(format!("A payment method is required to use the {flavour} hardware.")));
    }
    Ok(())
}

fn payment_required(message: String) -> Refusal {
    Refusal { status: StatusCode::PAYMENT_REQUIRED, message }
}

/// A caller's ZeroGPU use in the current day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaUse {
    /// When the day began (first use); it resets 24 h later.
    pub since: Duration,
    /// Seconds charged since.
    pub used: u64,
}

/// The ZeroGPU `gr.Error` a call gets (title, text). source: SP spaces/zero/client.py.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuError {
    /// `gr.Error` title.
    pub title: &'static str,
    /// `gr.Error` message.
    pub message: String,
}

/// The day's length before a quota resets. source: hub-constraints.md §3 "reset 24 h after first use".
pub const QUOTA_DAY: Duration = Duration::from_secs(24 * 3600);

/// The longest effective duration ZeroGPU accepts (unverified: no public source; observed
/// ceilings are around 300 s). Above: "ZeroGPU illegal duration".
pub const MAX_GPU_SECS: u64 = 300;

/// Charges one `@spaces.GPU` call of `declared` seconds and `size` to a caller whose day is
/// `usage`, at monotonic time `now`, with `daily` seconds.
///
/// The charge is the declared duration (`large` 1x, `xlarge` 2x): the real client pre-checks
/// the declared duration against what is left (hub-constraints.md §3 "Charge"); the simulator
/// also charges it in full, as it has no measured GPU time. Texts: §3 "Quota errors".
pub fn charge(usage: &mut Option<QuotaUse>, now: Duration, daily: u64, declared: f64, size: &str) -> Result<(), GpuError> {
    let factor = if size == "xlarge" { 2.0 } else { 1.0 };
    let requested = (declared.max(0.0) * factor).ceil() as u64;
    if requested > MAX_GPU_SECS {
        return Err(GpuError { title: "ZeroGPU illegal duration", message: format!("The requested GPU duration ({requested}s) is larger than the maximum allowed") });
    }
    if usage.as_ref().is_some_and(|u| now >= u.since + QUOTA_DAY) {
        *usage = None;
    }
    let day = usage.get_or_insert(QuotaUse { since: now, used: 0 });
    let left = daily.saturating_sub(day.used);
    if requested > left {
        let wait = (day.since + QUOTA_DAY).saturating_sub(now).as_secs();
        return Err(GpuError {
            title: "ZeroGPU quota exceeded",
            message: format!("You have exceeded your free ZeroGPU quota ({requested}s requested vs. {left}s left). Try again in {}.", hms(wait)),
        });
    }
    day.used += requested;
    Ok(())
}

/// `H:MM:SS`, as Python's `timedelta` prints it (`0:09:48`).
pub fn hms(secs: u64) -> String {
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Webhook triggers allowed per webhook per 24 h. source: hub-constraints.md §1 "Cap" (HD webhooks.md).
pub const WEBHOOK_DAILY_CAP: u32 = 1000;

/// Counts a trigger of one webhook at `now` against a rolling 24 h window: `true` if it may
/// be delivered (and is counted), `false` past the cap (refused, not counted).
pub fn admit_trigger(window: &mut VecDeque<Duration>, now: Duration, cap: u32) -> bool {
    while window.front().is_some_and(|t| now >= *t + QUOTA_DAY) {
        window.pop_front();
    }
    if window.len() >= cap as usize {
        return false;
    }
    window.push_back(now);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_accounts_get_402_for_gradio_on_cpu_but_may_host_two_zero_gpu_spaces() {
        assert_eq!(may_host(Plan::Free, "gradio", CPU_BASIC, 0).map_err(|r| r.status), Err(StatusCode::PAYMENT_REQUIRED));
        assert_eq!(may_host(Plan::Free, "docker", CPU_BASIC, 0).map_err(|r| r.status), Err(StatusCode::PAYMENT_REQUIRED));
        assert!(may_host(Plan::Free, "static", CPU_BASIC, 0).is_ok());
        assert!(may_host(Plan::Free, "gradio", ZERO_GPU, 1).is_ok());
        assert_eq!(may_host(Plan::Free, "gradio", ZERO_GPU, 2).map_err(|r| r.status), Err(StatusCode::FORBIDDEN));
        assert!(may_host(Plan::Pro, "gradio", ZERO_GPU, 9).is_ok());
        assert!(may_host(Plan::Pro, "gradio", ZERO_GPU, 10).is_err());
        assert!(may_host(Plan::Team, "gradio", ZERO_GPU, 49).is_ok());
        assert!(may_host(Plan::Pro, "gradio", "t4-small", 0).is_ok());
        assert_eq!(may_host(Plan::Free, "static", "t4-small", 0).map_err(|r| r.status), Err(StatusCode::PAYMENT_REQUIRED));
    }

    #[test]
    fn the_quota_refuses_a_call_past_what_is_left_with_the_real_text_and_resets_a_day_after_first_use() {
        let mut day = None;
        let t0 = Duration::from_secs(1000);
        assert!(charge(&mut day, t0, 300, 270.0, "large").is_ok());
        let later = t0 + QUOTA_DAY - Duration::from_secs(588);
        let err = charge(&mut day, later, 300, 60.0, "large").expect_err("30 s left");
        assert_eq!(err.title, "ZeroGPU quota exceeded");
        assert_eq!(err.message, "You have exceeded your free ZeroGPU quota (60s requested vs. 30s left). Try again in 0:09:48.");
        assert!(charge(&mut day, later, 300, 30.0, "large").is_ok());
        assert!(charge(&mut day, t0 + QUOTA_DAY, 300, 60.0, "large").is_ok());
    }

    #[test]
    fn xlarge_doubles_the_charge_and_oversized_durations_are_illegal() {
        let mut day = None;
        let err = charge(&mut day, Duration::ZERO, 2400, 200.0, "xlarge").expect_err("400 s effective");
        assert_eq!(err.title, "ZeroGPU illegal duration");
        assert!(charge(&mut day, Duration::ZERO, 2400, 150.0, "xlarge").is_ok());
        assert_eq!(day.map(|d| d.used), Some(300));
    }

    #[test]
    fn the_trigger_cap_refuses_past_the_cap_within_a_rolling_day() {
        let mut w = VecDeque::new();
        assert!(admit_trigger(&mut w, Duration::ZERO, 2));
        assert!(admit_trigger(&mut w, Duration::from_secs(10), 2));
        assert!(!admit_trigger(&mut w, Duration::from_secs(20), 2));
        assert!(admit_trigger(&mut w, QUOTA_DAY, 2));
        assert_eq!(hms(588), "0:09:48");
    }
}
