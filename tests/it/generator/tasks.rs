//! Every family × task the knowledge table supports renders a Space whose `app.py` parses,
//! whose imports are covered by its requirements and whose README frontmatter validates.

use lora_space_bot::lora::{AnalyzeInput, Task, analyze};
use lora_space_bot::space::knowledge::knowledge;
use lora_space_bot::space::overrides::Overrides;
use lora_space_bot::space::pyparse;
use lora_space_bot::space::validate::validate;
use lora_space_bot::space::{Generation, GeneratorSettings, generate};

#[test]
fn every_family_and_task_renders_a_valid_space() {
    let files = vec!["lora.safetensors".to_owned(), "examples/in.png".to_owned(), "examples/in.mp4".to_owned()];
    let lora = "someone/some-lora".parse().expect("id");
    let mut rendered = 0;
    for family in &knowledge().families {
        for task in family.tasks() {
            let overrides = Overrides {
                base_model: Some(family.repo.clone()),
                task: Some(task.as_str().to_owned()),
                ..Overrides::default()
            };
            let card = "Trigger: `zz9 style`\n\n```python\nimage = load_image(\"examples/in.png\")\nvideo = load_video(\"examples/in.mp4\")\n```\n";
            let profile = analyze(&AnalyzeInput { lora: &lora, card, files: &files, overrides: Some(&overrides) });
            let Generation::Ready(g) = generate(&profile, None, &GeneratorSettings::default()) else {
                panic!("{} / {task}: needs input {:?}", family.id, profile.missing);
            };
            let app = &g.files["app.py"];
            assert!(pyparse::parse(app).is_ok(), "{} / {task}: app.py does not parse", family.id);
            let issues = validate(&g.files, &files, &profile);
            assert!(issues.is_empty(), "{} / {task}: {issues:?}", family.id);
            if task.outputs_video() {
                assert!(app.contains("gr.Video("), "{} / {task}: video output", family.id);
            }
            if task == Task::ImageToImage {
                assert!(app.contains("gr.ImageSlider("), "{}: before/after slider", family.id);
            }
            rendered += 1;
        }
    }
    assert!(rendered >= 30, "rendered {rendered} family/task pairs");
}

fn ready(
    card: &str,
    files: &[&str],
    lora: &str,
) -> (lora_space_bot::lora::LoraProfile, std::collections::BTreeMap<String, String>) {
    let files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
    let lora = lora.parse().expect("id");
    let profile = analyze(&AnalyzeInput { lora: &lora, card, files: &files, overrides: None });
    let Generation::Ready(g) = generate(&profile, None, &GeneratorSettings::default()) else {
        panic!("needs input: {:?}", profile.missing)
    };
    assert!(validate(&g.files, &files, &profile).is_empty());
    (profile, g.files)
}

#[test]
fn sdxl_card_naming_the_fp16_fix_vae_loads_it() {
    let card = "---\nbase_model: stabilityai/stable-diffusion-xl-base-1.0\ninstance_prompt: a photo of sks dog\n---\n\nSpecial VAE used for training: madebyollin/sdxl-vae-fp16-fix.\n";
    let (_, files) = ready(card, &["pytorch_lora_weights.safetensors"], "me/sdxl-dog");
    let app = &files["app.py"];
    assert!(app.contains("VAE_REPO = \"madebyollin/sdxl-vae-fp16-fix\""));
    assert!(app.contains("vae = AutoencoderKL.from_pretrained(VAE_REPO"));
    assert!(app.contains("variant=\"fp16\""));
}

#[test]
fn wan_high_and_low_noise_pair_loads_into_both_experts() {
    let card = "---\nbase_model: Wan-AI/Wan2.2-T2V-A14B-Diffusers\n---\n# orbit\n";
    let (profile, files) = ready(card, &["orbit_high_noise.safetensors", "orbit_low_noise.safetensors"], "me/orbit");
    assert!(!profile.needs_user_input());
    let app = &files["app.py"];
    assert!(app.contains("WEIGHT_NAME_2 = \"orbit_low_noise.safetensors\""));
    assert!(app.contains("load_into_transformer_2=True"));
    assert!(app.contains("guidance_scale_2=3.0"));
}

#[test]
fn few_step_lora_hides_steps_and_guidance_sliders() {
    let card = "---\nbase_model: Qwen/Qwen-Image\n---\n";
    let (profile, files) =
        ready(card, &["Qwen-Image-Lightning-8steps-V1.0.safetensors"], "lightx2v/Qwen-Image-Lightning");
    assert_eq!(profile.steps.map(|s| s.value), Some(8));
    let app = &files["app.py"];
    assert!(app.contains("DEFAULT_STEPS = 8"));
    assert!(!app.contains("gr.Slider(label=\"Steps\""));
    assert!(app.contains("num_inference_steps=DEFAULT_STEPS"));
    assert!(app.contains("FlowMatchEulerDiscreteScheduler.from_config("), "Lightning scheduler");
    assert!(app.contains("true_cfg_scale=DEFAULT_GUIDANCE") && app.contains("DEFAULT_GUIDANCE = 1.0"));
}

#[test]
fn multi_image_try_on_card_gets_a_second_image_slot() {
    let card = "---\nbase_model: Qwen/Qwen-Image-Edit-2509\n---\nDress the person in image 1 with the garment in image 2. Trigger: `TRYON`\n";
    let (_, files) = ready(card, &["tryon.safetensors"], "me/try-on");
    let app = &files["app.py"];
    assert!(app.contains("image_2 = gr.Image(label=\"Second image (optional)\""));
    assert!(app.contains("image=[image] if image_2 is None else [image, image_2.convert(\"RGB\")]"));
}
