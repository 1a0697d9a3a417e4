//! `plan`: a dry run that touches nothing. Reads the LoRA from the Hub (or the simulator via
//! `HF_ENDPOINT`) or from a local folder, and shows the profile with its evidence, the plan,
//! and the files — optionally written to a folder and diffed against a Space.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;

use super::hub_settings;
use crate::config::Settings;
use crate::domain::{CommitSha, RepoId, RepoType};
use crate::publish::{Change, pr_body};
use crate::space::readme_merge::merge_readme;
use crate::hub::HubClient;
use crate::space::overrides::OVERRIDES_FILE;
use crate::space::plan_output::{PlanOutput, plan_with_headers};
use crate::space::{Generation, diff};
use crate::worker::pipeline::GENERATED_FILES;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object (profile fields named as in shared/fixtures/cards/SCHEMA.md).
    Json,
}

/// Flags of `plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// The LoRA repo (`owner/name`): read from the Hub, or just its name with --from-dir.
    #[arg(long)]
    pub lora: Option<RepoId>,
    /// A revision of the LoRA (branch, tag or commit); default: main.
    #[arg(long, requires = "lora", conflicts_with = "from_dir")]
    pub revision: Option<String>,
    /// A local folder: README.md (the card), files.txt (one repo path per line), and optionally
    /// base.md (the base model's card) and lora-space.toml. Nothing is read from the Hub.
    #[arg(long, required_unless_present = "lora")]
    pub from_dir: Option<PathBuf>,
    /// Compare with this Space's files on the Hub and use its lora-space.toml.
    #[arg(long)]
    pub space: Option<RepoId>,
    /// Write the generated files into this folder, with what people would read: `pr-body.md`
    /// (the PR description an approver reads) or `needs-input.md` (the discussion the owner gets).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

struct Inputs {
    lora: RepoId,
    /// The LoRA commit read (`None` for a local folder).
    sha: Option<CommitSha>,
    card: String,
    files: String,
    base_card: Option<String>,
    overrides: Option<String>,
    /// What the weights files' headers say (from the Hub, or local copies of the files).
    headers: Vec<crate::lora::tensors::WeightsProfile>,
}

/// The LoRA commit a local folder's PR body names (it has none).
const LOCAL_SHA: &str = "0000000000000000000000000000000000000000";

/// Runs `plan`.
pub async fn run(s: &Settings, args: PlanArgs) -> anyhow::Result<()> {
    let hub = || HubClient::new(&hub_settings(s)).context("Hub client");
    let mut inputs = match &args.from_dir {
        Some(dir) => from_dir(dir, args.lora.clone())?,
        None => {
            let lora = args.lora.clone().context("--lora or --from-dir is required")?;
            from_hub(&hub()?, lora, args.revision.as_deref().unwrap_or("main")).await?
        }
    };
    let current = match &args.space {
        Some(space) => {
            let (files, overrides) = space_files(&hub()?, space).await?;
            inputs.overrides = inputs.overrides.or(overrides);
            Some(files)
        }
        None => None,
    };
    let mut out = plan_with_headers(&inputs.card, &inputs.files, &inputs.lora, inputs.base_card.as_deref(), inputs.overrides.as_deref(), &s.generator, &inputs.headers);
    let mut readme_edits = Vec::new();
    if let (Generation::Ready(g), Some(cur)) = (&mut out.generation, &current)
        && let Some(generated) = g.files.get("README.md") {
            // The PR carries the README merged into the Space owner's, as the worker does.
            let merged = merge_readme(cur.get("README.md").map(String::as_str), generated);
            g.files.insert("README.md".into(), merged.text);
            readme_edits = merged.edits;
        }
    if let Some(dir) = &args.out {
        let for_people = match &out.generation {
            Generation::Ready(g) => {
                write_files(dir, &g.files)?;
                let empty = BTreeMap::new();
                let sha = inputs.sha.clone().unwrap_or_else(|| LOCAL_SHA.parse::<CommitSha>().expect("a valid sha"));
                let change = Change { space: &args.space.clone().unwrap_or_else(|| "your/space".parse().expect("a valid id")), lora: &inputs.lora, lora_sha: &sha, profile: &out.profile, previous: None, current: current.as_ref().unwrap_or(&empty), generated: g, readme_edits: &readme_edits, hardware_note: None };
                ("pr-body.md", format!("# {}\n\n{}", pr_body::title(&change), pr_body::render(&change, &pr_body::Since::Main)))
            }
            Generation::NeedsInput(need) => ("needs-input.md", format!("# {} {}\n\n{}", pr_body::TITLE_TAG, need.title, need.body_markdown)),
        };
        write_files(dir, &BTreeMap::from([(for_people.0.to_owned(), for_people.1)]))?;
        eprintln!("wrote {} to {}{}", for_people.0, dir.display(), if inputs.sha.is_none() && for_people.0 == "pr-body.md" { " (a local folder has no LoRA commit: its body names 0000000)" } else { "" });
    }
    let generated = match &out.generation {
        Generation::Ready(g) => Some(&g.files),
        Generation::NeedsInput(_) => None,
    };
    let space_diff = current.as_ref().zip(generated).map(|(cur, new)| diff::diff(cur, new));
    print(&out, space_diff.as_ref(), args.format);
    Ok(())
}

fn print(out: &PlanOutput, space_diff: Option<&diff::SpaceDiff>, format: Format) {
    match format {
        Format::Json => {
            let mut v = out.to_json();
            if let (Some(d), Some(obj)) = (space_diff, v.as_object_mut()) {
                obj.insert("space_diff".into(), serde_json::json!(d.summary()));
            }
            println!("{v:#}");
        }
        Format::Text => {
            println!("{}", out.to_text());
            if let Some(d) = space_diff {
                println!("\nAgainst the Space:\n{}", d.summary());
            }
        }
    }
}

fn from_dir(dir: &std::path::Path, lora: Option<RepoId>) -> anyhow::Result<Inputs> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let card = read("README.md").with_context(|| format!("{}: README.md (the model card) is required", dir.display()))?;
    let files = read("files.txt").with_context(|| format!("{}: files.txt (the repo's file list, one path per line) is required", dir.display()))?;
    let lora = match lora {
        Some(l) => l,
        None => {
            let l = local_id(dir);
            eprintln!("note: no --lora given; the LoRA is called {l} (from the folder's name). Pass --lora owner/name for the real id: it names the Space title, the links and the snippets.");
            l
        }
    };
    let headers = local_headers(dir, &files);
    Ok(Inputs { lora, sha: None, card, files, base_card: read("base.md").ok(), overrides: read(OVERRIDES_FILE).ok(), headers })
}

/// `local/<folder name>` (characters a repo name may not hold become `-`), else `local/lora`.
fn local_id(dir: &std::path::Path) -> RepoId {
    let name: String = std::fs::canonicalize(dir).ok().as_deref().unwrap_or(dir).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
        .chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    let mut name = name.trim_matches(|c| matches!(c, '-' | '.')).chars().take(96).collect::<String>();
    while name.contains("--") || name.contains("..") {
        name = name.replace("--", "-").replace("..", ".");
    }
    format!("local/{name}").parse().unwrap_or_else(|_| "local/lora".parse().expect("a valid repo id"))
}

async fn from_hub(hub: &HubClient, lora: RepoId, revision: &str) -> anyhow::Result<Inputs> {
    let sha = hub.model_info(&lora, Some(revision)).await.with_context(|| format!("reading {lora}@{revision}"))?.sha;
    let files = hub.list_files(RepoType::Model, &lora, revision).await.with_context(|| format!("listing {lora}@{revision}"))?;
    let card = hub.download_text(RepoType::Model, &lora, revision, "README.md").await?.unwrap_or_default();
    let headers = crate::worker::pipeline::read_headers(hub, &lora, revision, &files).await.with_context(|| format!("reading weights headers of {lora}@{revision}"))?;
    let probe = plan_with_headers(&card, &files.join("\n"), &lora, None, None, &Default::default(), &headers);
    let base_card = match probe.profile.base_model.as_ref().and_then(|b| b.value.parse::<RepoId>().ok()) {
        Some(base) => hub.download_text(RepoType::Model, &base, "main", "README.md").await.unwrap_or(None),
        None => None,
    };
    Ok(Inputs { lora, sha, card, files: files.join("\n"), base_card, overrides: None, headers })
}

async fn space_files(hub: &HubClient, space: &RepoId) -> anyhow::Result<(BTreeMap<String, String>, Option<String>)> {
    let listed = hub.list_files(RepoType::Space, space, "main").await.with_context(|| format!("listing Space {space}"))?;
    let mut files = BTreeMap::new();
    for path in GENERATED_FILES.iter().filter(|p| listed.iter().any(|f| f == *p)) {
        if let Some(t) = hub.download_text(RepoType::Space, space, "main", path).await? {
            files.insert((*path).to_owned(), t);
        }
    }
    let overrides = if listed.iter().any(|f| f == OVERRIDES_FILE) { hub.download_text(RepoType::Space, space, "main", OVERRIDES_FILE).await? } else { None };
    Ok((files, overrides))
}

/// Headers of candidate weights files present in the local folder at their repo paths (a
/// downloaded copy, or just its first bytes); missing or unreadable files are skipped.
fn local_headers(dir: &std::path::Path, files_txt: &str) -> Vec<crate::lora::tensors::WeightsProfile> {
    use std::io::Read;
    let files: Vec<String> = files_txt.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect();
    let read = |path: &str| -> Option<crate::domain::safetensors::SafetensorsHeader> {
        let mut f = std::fs::File::open(dir.join(path)).ok()?;
        let mut prefix = [0u8; 8];
        f.read_exact(&mut prefix).ok()?;
        let len = crate::domain::safetensors::declared_len(&prefix).ok()?;
        let mut json = vec![0u8; usize::try_from(len).ok()?];
        f.read_exact(&mut json).ok()?;
        crate::domain::safetensors::parse_json(&json).ok()
    };
    crate::lora::weights::candidates(&files)
        .iter()
        .filter(|p| p.ends_with(".safetensors"))
        .take(crate::worker::pipeline::MAX_HEADER_FILES)
        .filter_map(|p| read(p).map(|h| crate::lora::tensors::profile(p, &h)))
        .collect()
}

fn write_files(dir: &std::path::Path, files: &BTreeMap<String, String>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (path, content) in files {
        std::fs::write(dir.join(path), content).with_context(|| format!("writing {path}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_lora_is_named_after_the_folder() {
        let tmp = std::env::temp_dir().join("lsb plan test/My Corgi LoRA (v2)");
        std::fs::create_dir_all(&tmp).expect("mkdir");
        assert_eq!(local_id(&tmp).to_string(), "local/My-Corgi-LoRA-v2");
        assert_eq!(local_id(std::path::Path::new("/")).to_string(), "local/lora");
        std::fs::remove_dir_all(tmp.parent().expect("parent")).ok();
    }
}
