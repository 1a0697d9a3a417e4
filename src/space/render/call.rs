//! Render stage, the `@spaces.GPU` function of `app.py`: validates inputs with `gr.Error`
//! before any GPU work, picks the seed, sizes the output, calls the pipeline with the recipe
//! and returns CPU objects (PIL image, file path) plus the seed used.

use super::inputs::{inputs, media_input, text_required};
use crate::lora::profile::Task;
use crate::space::plan::SpacePlan;
use crate::space::pyliteral::py_float;

/// Kwargs that must be ints in the pipeline call.
const INT_KWARGS: &[&str] = &["max_sequence_length", "reference_downscale_factor"];

/// Appends the `generate` function.
pub fn generate_fn(plan: &SpacePlan, out: &mut Vec<String>) {
    let params: Vec<String> = inputs(plan)
        .iter()
        .map(|i| match &i.default {
            Some(d) => format!("    {}: {} = {d},", i.name, i.annotation),
            None => format!("    {}: {},", i.name, i.annotation),
        })
        .collect();
    let size = match &plan.gpu_size {
        Some(s) => format!(", size={}", crate::space::pyliteral::py_str(s)),
        None => String::new(),
    };
    out.push(format!("@spaces.GPU(duration={}{size})", plan.gpu_duration));
    out.push("def generate(".into());
    out.extend(params);
    out.push("    progress=gr.Progress(track_tqdm=True),".into());
    out.push("):".into());
    out.push(format!("    \"\"\"{}\"\"\"", docstring(plan.task)));
    validation(plan, out);
    out.push("    if randomize_seed:".into());
    out.push("        seed = random.randint(0, MAX_SEED)".into());
    prepare(plan, out);
    out.push("    generator = torch.Generator(device=\"cuda\").manual_seed(int(seed))".into());
    call(plan, out);
    finish(plan, out);
    out.push(String::new());
    out.push(String::new());
}

fn docstring(task: Task) -> &'static str {
    match task {
        Task::TextToImage => "Generate an image with the LoRA; returns the image and the seed used.",
        Task::ImageToImage => "Edit the input image with the LoRA; returns (input, result) and the seed used.",
        Task::TextToVideo => "Generate a video with the LoRA; returns the mp4 path and the seed used.",
        Task::ImageToVideo => "Animate the input image with the LoRA; returns the mp4 path and the seed used.",
        Task::VideoToVideo => "Transform the input video with the LoRA; returns the mp4 path and the seed used.",
    }
}

fn validation(plan: &SpacePlan, out: &mut Vec<String>) {
    if let Some(m) = media_input(plan) {
        let what = if m.name == "image" { "an input image" } else { "an input video" };
        out.push(format!("    if {} is None:", m.name));
        out.push(format!("        raise gr.Error(\"Please provide {what}.\")"));
    }
    if text_required(plan) {
        out.push("    if not text or not text.strip():".into());
        out.push("        raise gr.Error(\"Please enter a prompt.\")".into());
    }
}

fn prepare(plan: &SpacePlan, out: &mut Vec<String>) {
    match plan.task {
        Task::ImageToImage | Task::ImageToVideo => {
            out.push("    image = image.convert(\"RGB\")".into());
            out.push("    width, height = fit_size(image)".into());
            out.push("    image = image.resize((width, height), Image.Resampling.LANCZOS)".into());
        }
        Task::VideoToVideo => {
            out.push("    frames = load_video(video)".into());
            out.push("    num_frames = frames_for(min(duration, len(frames) / FPS))".into());
            out.push("    width, height = fit_size(frames[0])".into());
            out.push(
                "    frames = [frame.convert(\"RGB\").resize((width, height)) for frame in frames[:num_frames]]".into(),
            );
        }
        Task::TextToImage | Task::TextToVideo => {
            if plan.aspect_presets.len() > 1 {
                out.push("    width, height = ASPECT_RATIOS.get(aspect_ratio, ASPECT_RATIOS[DEFAULT_ASPECT])".into());
            } else {
                out.push("    width, height = WIDTH, HEIGHT".into());
            }
        }
    }
    if plan.video.is_some() && plan.task != Task::VideoToVideo {
        out.push("    num_frames = frames_for(duration)".into());
    }
}

fn call(plan: &SpacePlan, out: &mut Vec<String>) {
    let mut args: Vec<String> = vec!["prompt=build_prompt(text)".into()];
    match (plan.task, plan.shape.image.as_deref()) {
        (Task::ImageToImage, Some("image_list")) if plan.second_image => {
            args.push("image=[image] if image_2 is None else [image, image_2.convert(\"RGB\")]".into())
        }
        (Task::ImageToImage | Task::ImageToVideo, Some("image_list")) => args.push("image=[image]".into()),
        (Task::ImageToImage | Task::ImageToVideo, _) => args.push("image=image".into()),
        _ => {}
    }
    if plan.task == Task::VideoToVideo {
        args.push(match plan.shape.video.as_deref() {
            Some("ltx_condition") => "conditions=[LTXVideoCondition(video=frames, frame_index=0)]".into(),
            Some("ltx2_condition") => "conditions=[LTX2VideoCondition(frames=frames, index=0, strength=1.0)]".into(),
            Some("ltx2_reference") => {
                "reference_conditions=[LTX2ReferenceCondition(frames=frames, strength=1.0)]".into()
            }
            _ => "video=frames".into(),
        });
    }
    if plan.negative_prompt.is_some() {
        args.push(if plan.show_negative {
            "negative_prompt=negative_prompt".into()
        } else {
            "negative_prompt=NEGATIVE_PROMPT".into()
        });
    }
    args.push("width=width".into());
    args.push("height=height".into());
    if plan.video.is_some() {
        args.push("num_frames=num_frames".into());
        if plan.pipeline_class.value.starts_with("LTX") {
            args.push("frame_rate=FPS".into());
        }
    }
    let (steps, guidance) =
        if plan.lock_steps { ("DEFAULT_STEPS", "DEFAULT_GUIDANCE") } else { ("int(steps)", "float(guidance)") };
    args.push(format!("num_inference_steps={steps}"));
    if let Some(sigmas) = &plan.sigmas {
        args.push(format!("sigmas={sigmas}"));
    }
    if plan.pass_guidance {
        args.push(format!("{}={guidance}", plan.guidance_param.as_str()));
    }
    for (name, value) in &plan.extra_call_kwargs {
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
        {
            let v = if INT_KWARGS.contains(&name.as_str()) {
                format!("{}", value.round() as i64)
            } else {
                py_float(*value)
            };
            args.push(format!("{name}={v}"));
        }
    }
    if plan.scale_slider.is_some() {
        args.push(format!("{}={{\"scale\": float(lora_scale)}}", plan.scale_kwarg));
    }
    args.push("generator=generator".into());
    if plan.shape.output == "frames_audio" {
        args.push("output_type=\"np\"".into());
        args.push("return_dict=False".into());
        out.push("    output_video, output_audio = pipe(".into());
    } else {
        out.push("    result = pipe(".into());
    }
    out.extend(args.into_iter().map(|a| format!("        {a},")));
    out.push("    )".into());
}

fn finish(plan: &SpacePlan, out: &mut Vec<String>) {
    match plan.shape.output.as_str() {
        "images" if plan.task == Task::ImageToImage => out.push("    return (image, result.images[0]), seed".into()),
        "images" => out.push("    return result.images[0], seed".into()),
        "frames_audio" => {
            out.push("    path = tempfile.NamedTemporaryFile(suffix=\".mp4\", delete=False).name".into());
            // encode_video takes the float [0, 1] array of output_type="np" as is.
            out.push("    encode_video(".into());
            out.push("        output_video[0],".into());
            out.push("        fps=FPS,".into());
            out.push("        audio=output_audio[0].float().cpu(),".into());
            out.push("        audio_sample_rate=pipe.vocoder.config.output_sampling_rate,".into());
            out.push("        output_path=path,".into());
            out.push("    )".into());
            out.push("    return path, seed".into());
        }
        _ => {
            out.push("    path = tempfile.NamedTemporaryFile(suffix=\".mp4\", delete=False).name".into());
            out.push("    export_to_video(result.frames[0], path, fps=FPS)".into());
            out.push("    return path, seed".into());
        }
    }
}
