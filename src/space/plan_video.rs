//! Plan stage, video timing: frames per second, a valid frame count (`frame_step*k + 1`) and
//! the clip lengths offered, from the card or the family's defaults.

use serde::{Deserialize, Serialize};

use super::knowledge::Family;
use crate::lora::profile::LoraProfile;

/// Video timing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VideoPlan {
    /// Export frames per second.
    pub fps: u32,
    /// Default frame count (valid `step*k+1`).
    pub num_frames: u32,
    /// Frames must be `frame_step*k + 1`.
    pub frame_step: u32,
    /// Default clip length in seconds (one decimal).
    pub default_seconds: f64,
    /// Longest clip offered.
    pub max_seconds: f64,
}

pub(super) fn video_plan(profile: &LoraProfile, f: &Family) -> VideoPlan {
    let fps = profile.fps.as_ref().map(|v| v.value).or(f.fps).unwrap_or(24).max(1);
    let step = f.frame_step.unwrap_or(8).max(1);
    let frames = profile.num_frames.as_ref().map(|v| v.value).or(f.num_frames).unwrap_or(8 * step + 1);
    let valid = ((frames.saturating_sub(1)) / step) * step + 1;
    let default_seconds = (f64::from(valid) / f64::from(fps) * 10.0).ceil() / 10.0;
    let max_seconds = f64::from(f.max_seconds.unwrap_or(5)).max(default_seconds);
    VideoPlan { fps, num_frames: valid, frame_step: step, default_seconds, max_seconds }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::knowledge::knowledge;

    #[test]
    fn video_default_seconds_reproduce_the_frame_count() {
        let k = knowledge();
        let f = k.family("wan21-i2v-480p").expect("family");
        let v = video_plan(
            &crate::lora::analyze(&crate::lora::AnalyzeInput {
                lora: &"a/b".parse().expect("id"),
                card: "",
                files: &[],
                overrides: None,
            }),
            f,
        );
        let frames = (((v.default_seconds * f64::from(v.fps)) as u32 - 1) / v.frame_step) * v.frame_step + 1;
        assert_eq!((v.num_frames, frames), (81, 81));
    }
}
