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
            let overrides = Overrides { base_model: Some(family.repo.clone()), task: Some(task.as_str().to_owned()), ..Overrides::default() };
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
