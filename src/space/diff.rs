//! The diff stage: the proposed Space files against the Space's current files (main, or the
//! bot's open PR). Identical → no-op, so replayed webhooks and unchanged cards open no PR.
//! Only proposed files are compared: files the generator does not write are left alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    /// The Space does not have it yet.
    Added,
    /// The content changes.
    Modified,
    /// Same content.
    Unchanged,
}

/// One file's change with line counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    /// Path in the Space repo.
    pub path: String,
    /// Kind of change.
    pub change: FileChange,
    /// Lines added.
    pub added_lines: usize,
    /// Lines removed.
    pub removed_lines: usize,
}

/// The whole comparison, one entry per proposed file, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceDiff {
    /// Per-file results.
    pub files: Vec<FileDiff>,
}

impl SpaceDiff {
    /// Nothing would change.
    pub fn is_noop(&self) -> bool {
        self.files.iter().all(|f| f.change == FileChange::Unchanged)
    }

    /// The files that would change.
    pub fn changed(&self) -> impl Iterator<Item = &FileDiff> {
        self.files.iter().filter(|f| f.change != FileChange::Unchanged)
    }

    /// A one-line-per-file summary (`app.py: modified (+3 -1)`).
    pub fn summary(&self) -> String {
        if self.is_noop() {
            return "no changes".to_owned();
        }
        self.changed()
            .map(|f| {
                let kind = if f.change == FileChange::Added { "added" } else { "modified" };
                format!("{}: {kind} (+{} -{})", f.path, f.added_lines, f.removed_lines)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl FileDiff {
    /// `added (N lines)`, `unchanged` or `modified (+a / -r lines)`.
    pub fn describe(&self) -> String {
        match self.change {
            FileChange::Added => format!("added ({} lines)", self.added_lines),
            FileChange::Unchanged => "unchanged".to_owned(),
            FileChange::Modified => format!("modified (+{} / -{} lines)", self.added_lines, self.removed_lines),
        }
    }
}

/// Compares the proposed files with the current ones.
pub fn diff(current: &BTreeMap<String, String>, proposed: &BTreeMap<String, String>) -> SpaceDiff {
    let files = proposed
        .iter()
        .map(|(path, new)| match current.get(path) {
            None => FileDiff {
                path: path.clone(),
                change: FileChange::Added,
                added_lines: new.lines().count(),
                removed_lines: 0,
            },
            Some(old) if old == new => {
                FileDiff { path: path.clone(), change: FileChange::Unchanged, added_lines: 0, removed_lines: 0 }
            }
            Some(old) => {
                let (added, removed) = line_counts(old, new);
                FileDiff {
                    path: path.clone(),
                    change: FileChange::Modified,
                    added_lines: added,
                    removed_lines: removed,
                }
            }
        })
        .collect();
    SpaceDiff { files }
}

fn line_counts(old: &str, new: &str) -> (usize, usize) {
    let d = TextDiff::from_lines(old, new);
    d.iter_all_changes().fold((0, 0), |(a, r), c| match c.tag() {
        ChangeTag::Insert => (a + 1, r),
        ChangeTag::Delete => (a, r + 1),
        ChangeTag::Equal => (a, r),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn identical_files_are_a_noop() {
        let f = files(&[("app.py", "a\nb\n")]);
        let d = diff(&f, &f);
        assert!(d.is_noop());
        assert_eq!(d.summary(), "no changes");
    }

    #[test]
    fn changed_lines_are_counted() {
        let d = diff(&files(&[("app.py", "a\nb\nc\n")]), &files(&[("app.py", "a\nB\nc\nd\n")]));
        assert_eq!(d.files[0].change, FileChange::Modified);
        assert_eq!((d.files[0].added_lines, d.files[0].removed_lines), (2, 1));
        assert_eq!(d.summary(), "app.py: modified (+2 -1)");
    }

    #[test]
    fn new_files_are_added_and_unproposed_files_ignored() {
        let d = diff(&files(&[(".gitattributes", "x\n")]), &files(&[("README.md", "1\n2\n")]));
        assert_eq!(d.files.len(), 1);
        assert_eq!((d.files[0].change, d.files[0].added_lines), (FileChange::Added, 2));
        assert!(!d.is_noop());
    }
}
