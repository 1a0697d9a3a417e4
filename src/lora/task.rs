//! Analyze stage, task (knowledge §2.3): a plausible `pipeline_tag` → a base that serves one
//! task → the card snippet's pipeline class → task words in the prose → the base's native
//! task. Auto-generated `text-to-image` tags (ai-toolkit, the Kontext trainer) are not trusted
//! when the base cannot do text-to-image.

use super::base::strip_code;
use super::card::Frontmatter;
use super::profile::{Source, Sourced, Task};
use crate::space::knowledge::Family;

/// Start of the note [`find`] returns for an analysis `pipeline_tag` (the needs-input question).
pub const ANALYSIS_NOTE: &str = "not a generation task a Space can serve: pipeline_tag";

/// The task, plus a note when the card's own tag was overruled.
pub fn find(
    front: &Frontmatter,
    body: &str,
    card_classes: &[String],
    family: Option<&Family>,
) -> (Option<Sourced<Task>>, Option<String>) {
    if let Some(other) = front.pipeline_tag.as_deref().filter(|t| is_analysis_task(t)) {
        // The card says the model does something else than generate (Marigold-style depth,
        // normals): no generated Space serves that, whatever the base could do.
        return (None, Some(format!("{ANALYSIS_NOTE} {other}")));
    }
    let tag = front.pipeline_tag.as_deref().and_then(Task::parse);
    let tasks = family.map(Family::tasks).unwrap_or_default();
    let mut note = None;
    if tag.is_none() {
        let tagged: Vec<Task> = front.tags.iter().filter_map(|t| Task::parse(t)).collect();
        if let (Some(t), Some(f)) = (tagged.first(), family)
            && !tasks.contains(t) {
                note =
                    Some(format!("card tag {t} is a trainer-template artefact: {} does not serve it; ignored", f.name));
            }
    }
    if let Some(t) = tag {
        if family.is_none() || tasks.contains(&t) {
            return (Some(Sourced::new(t, Source::Yaml, format!("pipeline_tag: {t}"))), None);
        }
        note = Some(format!("pipeline_tag {t} is implausible for the base; ignored"));
    }
    let Some(f) = family else {
        // Unsupported family: its own tags still say what it does (`text-to-image`).
        let tagged = front.tags.iter().find_map(|t| Task::parse(t)).map(|t| Sourced::new(t, Source::Yaml, format!("tag {t}")));
        return (tagged.or_else(|| from_prose(body, &Task::ALL)), note);
    };
    if let Some(named) = named_class_task(body).filter(|t| !tasks.contains(&t.value)) {
        let why = format!("the card uses a {} pipeline; {} serves {:?} here", named.value, f.name, tasks);
        return (Some(named), Some(why));
    }
    if let [only] = tasks.as_slice() {
        return (Some(Sourced::new(*only, Source::BaseDefault, format!("{} serves only {only}", f.name))), note);
    }
    let by_class = card_classes.iter().find_map(|c| {
        let owners: Vec<Task> = tasks.iter().copied().filter(|t| f.classes_for(*t).contains(c)).collect();
        match owners.as_slice() {
            [one] => Some(Sourced::new(*one, Source::CardSnippet, c.to_string())),
            _ => None,
        }
    });
    let found = by_class.or_else(|| from_prose(body, &tasks)).or_else(|| {
        f.native_task().map(|t| Sourced::new(t, Source::BaseDefault, format!("native task of {}", f.name)))
    });
    (found, note)
}

/// Hub pipeline tags of analysis / non-visual tasks (huggingface.js `pipelines.ts`): a LoRA tagged
/// with one of them predicts depth, masks, labels or sound, not images or videos.
fn is_analysis_task(tag: &str) -> bool {
    matches!(
        tag.trim().to_ascii_lowercase().as_str(),
        "depth-estimation"
            | "image-segmentation"
            | "image-classification"
            | "object-detection"
            | "keypoint-detection"
            | "mask-generation"
            | "image-feature-extraction"
            | "zero-shot-image-classification"
            | "zero-shot-object-detection"
            | "image-to-text"
            | "image-to-3d"
            | "text-to-3d"
            | "text-to-speech"
            | "text-to-audio"
            | "automatic-speech-recognition"
    )
}

static TASK_CLASS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\b([A-Z][A-Za-z0-9]*?(Img2Img|ImageToImage|Inpaint|ImageToVideo|VideoToVideo)[A-Za-z0-9]*Pipeline)\b")
        .unwrap_or_else(|_| unreachable!())
});

/// A task named by a (non-auto) diffusers pipeline class anywhere in the card:
/// "The application uses `StableDiffusion3Img2ImgPipeline`" → image-to-image.
fn named_class_task(body: &str) -> Option<Sourced<Task>> {
    TASK_CLASS.captures_iter(body).find_map(|c| {
        let class = c.get(1)?.as_str();
        if class.starts_with("AutoPipeline") {
            return None;
        }
        let task = match c.get(2)?.as_str() {
            "Img2Img" | "ImageToImage" | "Inpaint" => Task::ImageToImage,
            "ImageToVideo" => Task::ImageToVideo,
            _ => Task::VideoToVideo,
        };
        Some(Sourced::new(task, Source::CardProse, format!("the card uses {class}")))
    })
}

const TASK_WORDS: &[(&str, Task)] = &[
    ("image-to-video", Task::ImageToVideo),
    ("image to video", Task::ImageToVideo),
    ("i2v", Task::ImageToVideo),
    ("video-to-video", Task::VideoToVideo),
    ("video to video", Task::VideoToVideo),
    ("ic-lora", Task::VideoToVideo),
    ("text-to-video", Task::TextToVideo),
    ("text to video", Task::TextToVideo),
    ("t2v", Task::TextToVideo),
    ("image-to-image", Task::ImageToImage),
    ("image editing", Task::ImageToImage),
    ("text-to-image", Task::TextToImage),
    ("text to image", Task::TextToImage),
];

/// The first allowed task named in the prose.
/// A task the LoRA's own repo name spells as a word (`…_LTX-2_Image2Video_Adapter_LoRa`,
/// `wan-i2v-effect`), among the tasks the family serves.
pub fn from_name(name: &str, family: &Family) -> Option<Sourced<Task>> {
    let tasks = family.tasks();
    name.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|w| match w {
            "image2video" | "img2vid" | "imagetovideo" | "i2v" => Some(Task::ImageToVideo),
            "text2video" | "txt2vid" | "texttovideo" | "t2v" => Some(Task::TextToVideo),
            "video2video" | "vid2vid" | "videotovideo" | "v2v" => Some(Task::VideoToVideo),
            _ => None,
        })
        .filter(|t| tasks.contains(t))
        .map(|t| Sourced::new(t, Source::CardProse, format!("the LoRA's name {name} says {t}")))
}

fn from_prose(body: &str, allowed: &[Task]) -> Option<Sourced<Task>> {
    let prose = strip_code(body).to_ascii_lowercase();
    TASK_WORDS
        .iter()
        .filter(|(_, t)| allowed.contains(t))
        .filter_map(|(w, t)| prose.find(w).map(|pos| (pos, *w, *t)))
        .min_by_key(|(pos, _, _)| *pos)
        .map(|(_, w, t)| Sourced::new(t, Source::CardProse, format!("card text mentions \"{w}\"")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::knowledge::knowledge;

    fn fam(id: &str) -> Option<&'static Family> {
        knowledge().family(id)
    }

    #[test]
    fn a_task_the_lora_name_spells_is_read_when_the_family_serves_it() {
        // siraxe/MachineDelusions_LTX-2_Image2Video_Adapter_LoRa
        let f = fam("ltx-2").expect("ltx-2");
        let t = from_name("siraxe/MachineDelusions_LTX-2_Image2Video_Adapter_LoRa", f).map(|t| t.value);
        assert_eq!(t, Some(Task::ImageToVideo));
        assert_eq!(from_name("lightx2v/Wan2.2-Distill-Loras", f).map(|t| t.value), None);
        assert_eq!(from_name("me/flux-i2v-ish", fam("flux-dev").expect("flux")).map(|t| t.value), None, "not a task of the family");
    }

    #[test]
    fn an_analysis_pipeline_tag_leaves_the_task_unknown_whatever_the_base_serves() {
        // Marigold V2: a depth / normals / albedo predictor built on Qwen-Image-Edit-2509
        let front = Frontmatter { pipeline_tag: Some("depth-estimation".into()), ..Frontmatter::default() };
        let (task, note) = find(&front, "", &[], fam("qwen-image-edit-2509"));
        assert!(task.is_none());
        assert!(note.is_some_and(|n| n.contains("depth-estimation")));
    }

    #[test]
    fn auto_generated_text_to_image_tag_is_overruled_by_an_edit_base() {
        let front = Frontmatter { pipeline_tag: Some("text-to-image".into()), ..Frontmatter::default() };
        let (task, note) = find(&front, "", &[], fam("flux-kontext-dev"));
        assert_eq!(task.map(|t| t.value), Some(Task::ImageToImage));
        assert!(note.is_some());
    }

    #[test]
    fn template_text_to_image_tag_on_an_edit_base_is_noted() {
        let front = Frontmatter { tags: vec!["text-to-image".into(), "lora".into()], ..Frontmatter::default() };
        let (task, note) = find(&front, "", &[], fam("flux-kontext-dev"));
        assert_eq!(task.map(|t| t.value), Some(Task::ImageToImage));
        assert!(note.is_some_and(|n| n.contains("artefact")));
    }

    #[test]
    fn plausible_pipeline_tag_is_taken() {
        let front = Frontmatter { pipeline_tag: Some("image-to-video".into()), ..Frontmatter::default() };
        let (task, _) = find(&front, "", &[], fam("ltx-video-0.9.5"));
        assert_eq!(task.map(|t| (t.value, t.evidence.source)), Some((Task::ImageToVideo, Source::Yaml)));
    }

    #[test]
    fn snippet_class_decides_between_tasks_of_a_video_family() {
        let (task, _) = find(&Frontmatter::default(), "", &["LTXImageToVideoPipeline".into()], fam("ltx-video"));
        assert_eq!(task.map(|t| t.value), Some(Task::ImageToVideo));
    }

    #[test]
    fn a_pipeline_class_the_family_does_not_serve_sets_the_task_and_is_noted() {
        // StarAtNyte's SD3.5-Large carpet LoRA: img2img app on a text-to-image-only family here.
        let body = "The application uses `StableDiffusion3Img2ImgPipeline` from the `diffusers` library.\n";
        let (task, note) = find(&Frontmatter::default(), body, &[], fam("sd35-large"));
        assert_eq!(task.map(|t| t.value), Some(Task::ImageToImage));
        assert!(note.is_some());
    }

    #[test]
    fn unsupported_family_takes_the_task_from_its_tags() {
        // prushton/logo-lora-real-world (SD 1.5 text2image trainer card)
        let front = Frontmatter { tags: vec!["stable-diffusion".into(), "text-to-image".into()], ..Frontmatter::default() };
        assert_eq!(find(&front, "LoRA text2image fine-tuning", &[], None).0.map(|t| t.value), Some(Task::TextToImage));
    }

    #[test]
    fn without_base_or_tag_or_words_the_task_is_unknown() {
        assert_eq!(find(&Frontmatter::default(), "my cat lora", &[], None).0, None);
    }
}
