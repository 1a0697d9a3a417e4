//! The task a generated Space serves (`text-to-image` … `video-to-video`): its Hub spelling,
//! the aliases cards use, and what it takes in and gives out.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The five tasks a generated Space can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Prompt in, image out.
    TextToImage,
    /// Image (+ instruction) in, image out.
    ImageToImage,
    /// Prompt in, video out.
    TextToVideo,
    /// Image (+ motion prompt) in, video out.
    ImageToVideo,
    /// Video (+ prompt) in, video out.
    VideoToVideo,
}

impl Task {
    /// All five, in the order they are offered to a user.
    pub const ALL: [Task; 5] =
        [Task::TextToImage, Task::ImageToImage, Task::TextToVideo, Task::ImageToVideo, Task::VideoToVideo];

    /// The Hub `pipeline_tag` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::TextToImage => "text-to-image",
            Task::ImageToImage => "image-to-image",
            Task::TextToVideo => "text-to-video",
            Task::ImageToVideo => "image-to-video",
            Task::VideoToVideo => "video-to-video",
        }
    }

    /// Parses the Hub spelling (and a few common aliases such as `i2v`).
    pub fn parse(s: &str) -> Option<Task> {
        let s = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        match s.as_str() {
            "text-to-image" | "t2i" | "txt2img" => Some(Task::TextToImage),
            "image-to-image" | "i2i" | "img2img" | "image-editing" => Some(Task::ImageToImage),
            "text-to-video" | "t2v" => Some(Task::TextToVideo),
            "image-to-video" | "i2v" => Some(Task::ImageToVideo),
            "video-to-video" | "v2v" => Some(Task::VideoToVideo),
            _ => None,
        }
    }

    /// Whether the output is a video.
    pub fn outputs_video(self) -> bool {
        matches!(self, Task::TextToVideo | Task::ImageToVideo | Task::VideoToVideo)
    }

    /// Whether the user must provide an input image.
    pub fn needs_image(self) -> bool {
        matches!(self, Task::ImageToImage | Task::ImageToVideo)
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
