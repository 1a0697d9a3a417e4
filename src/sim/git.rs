//! Git-like mechanics: blob and commit ids, revision resolution, applying operations,
//! directory listings and three-way merges over whole-file snapshots.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use super::state::{Commit, FileEntry, Repo};

/// Hex sha1.
pub(crate) fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

/// The git blob id of some content (what `git hash-object` prints).
pub(crate) fn blob_oid(data: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}

/// A file entry for content.
pub(crate) fn entry(data: Bytes) -> FileEntry {
    FileEntry { oid: blob_oid(&data), data }
}

/// One change to apply.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    Put(String, Bytes),
    Delete(String),
    DeleteFolder(String),
}

/// Applies changes to a snapshot. Deleting a missing path is an error (the Hub refuses it).
pub(crate) fn apply(mut files: BTreeMap<String, FileEntry>, changes: &[Change]) -> Result<BTreeMap<String, FileEntry>, String> {
    for c in changes {
        match c {
            Change::Put(p, data) => {
                files.insert(p.clone(), entry(data.clone()));
            }
            Change::Delete(p) => {
                files.remove(p).ok_or_else(|| format!("cannot delete {p}: file not found"))?;
            }
            Change::DeleteFolder(p) => {
                let prefix = format!("{}/", p.trim_end_matches('/'));
                files.retain(|k, _| !k.starts_with(&prefix));
            }
        }
    }
    Ok(files)
}

/// Creates a commit on top of `parent` and stores it; returns its oid. Moves no ref.
pub(crate) fn store_commit(
    repo: &mut Repo,
    parent: Option<&str>,
    files: BTreeMap<String, FileEntry>,
    author: &str,
    title: &str,
    message: &str,
) -> String {
    let date = OffsetDateTime::now_utc();
    let mut h = Sha1::new();
    h.update(format!("parent {parent:?}\nauthor {author}\ndate {}\n{title}\n{message}\n", date.unix_timestamp_nanos()));
    for (p, e) in &files {
        h.update(format!("{p} {}\n", e.oid));
    }
    h.update(format!("n {}", repo.commits.len()));
    let oid = hex::encode(h.finalize());
    let commit = Commit {
        oid: oid.clone(),
        parent: parent.map(str::to_owned),
        files,
        title: title.to_owned(),
        message: message.to_owned(),
        author: author.to_owned(),
        date,
    };
    repo.commits.insert(oid.clone(), Arc::new(commit));
    oid
}

/// The ref a revision names: `main`/`HEAD` → `refs/heads/main`, `refs/…` as is.
pub(crate) fn ref_name(rev: &str) -> String {
    match rev {
        "HEAD" => "refs/heads/main".to_owned(),
        r if r.starts_with("refs/") => r.to_owned(),
        r => format!("refs/heads/{r}"),
    }
}

/// Resolves a branch, PR ref or (abbreviated, ≥7 digits) commit id.
pub(crate) fn resolve<'a>(repo: &'a Repo, rev: &str) -> Option<&'a Arc<Commit>> {
    if let Some(oid) = repo.refs.get(&ref_name(rev)) {
        return repo.commit(oid);
    }
    if rev.len() >= 7 && rev.len() <= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        let rev = rev.to_ascii_lowercase();
        return repo.commits.values().find(|c| c.oid.starts_with(&rev));
    }
    None
}

/// The newest commit, from `start` back, that changed `path` (a file, or everything under a
/// folder): what the tree's `expand=true` reports as `lastCommit`.
pub(crate) fn last_commit<'a>(repo: &'a Repo, start: &'a Arc<Commit>, path: &str) -> &'a Arc<Commit> {
    let prefix = format!("{}/", path.trim_end_matches('/'));
    let view = |c: &Commit| -> Vec<(String, String)> {
        c.files.iter().filter(|(p, _)| *p == path || p.starts_with(&prefix)).map(|(p, e)| (p.clone(), e.oid.clone())).collect()
    };
    let mut current = start;
    loop {
        let Some(parent) = current.parent.as_deref().and_then(|p| repo.commit(p)) else { return current };
        if view(parent) != view(current) {
            return current;
        }
        current = parent;
    }
}

/// A listed path: a file or a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listed {
    File { path: String, oid: String, size: u64 },
    Dir { path: String, oid: String },
}

/// Lists a folder (`""` is the root); `None` if it is not a folder. Directories first,
/// then files, each in path order; recursive listings include sub-directories.
pub(crate) fn list_dir(files: &BTreeMap<String, FileEntry>, dir: &str, recursive: bool) -> Option<Vec<Listed>> {
    let dir = dir.trim_matches('/');
    let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
    let under: Vec<(&String, &FileEntry)> = files.iter().filter(|(p, _)| p.starts_with(&prefix)).collect();
    if under.is_empty() && !dir.is_empty() {
        return None;
    }
    let mut dirs: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut out_files = Vec::new();
    for (path, e) in &under {
        let rest = &path[prefix.len()..];
        let parts: Vec<&str> = rest.split('/').collect();
        let depth = if recursive { parts.len() - 1 } else { parts.len().min(2) - 1 };
        for i in 1..=depth {
            let d = format!("{prefix}{}", parts[..i].join("/"));
            dirs.entry(d).or_default().push(&e.oid);
        }
        if recursive || parts.len() == 1 {
            out_files.push(Listed::File { path: (*path).clone(), oid: e.oid.clone(), size: e.data.len() as u64 });
        }
    }
    let mut out: Vec<Listed> = dirs.into_iter().map(|(path, oids)| Listed::Dir { oid: sha1_hex(oids.concat().as_bytes()), path }).collect();
    out.extend(out_files);
    Some(out)
}

/// Paths whose content differs between two snapshots (added, changed or removed).
pub(crate) fn changed_paths(a: &BTreeMap<String, FileEntry>, b: &BTreeMap<String, FileEntry>) -> Vec<String> {
    let mut out: Vec<String> = a.keys().chain(b.keys()).filter(|p| a.get(*p).map(|e| &e.oid) != b.get(*p).map(|e| &e.oid)).cloned().collect();
    out.sort();
    out.dedup();
    out
}

/// Three-way merge of whole files: the PR's changes since `base` applied onto `main`.
/// Err lists the files changed differently on both sides.
pub(crate) fn merge(
    base: &BTreeMap<String, FileEntry>,
    main: &BTreeMap<String, FileEntry>,
    pr: &BTreeMap<String, FileEntry>,
) -> Result<BTreeMap<String, FileEntry>, Vec<String>> {
    let ours = changed_paths(base, main);
    let theirs = changed_paths(base, pr);
    let conflicts: Vec<String> =
        theirs.iter().filter(|p| ours.contains(p) && main.get(*p).map(|e| &e.oid) != pr.get(*p).map(|e| &e.oid)).cloned().collect();
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let mut out = main.clone();
    for p in theirs {
        match pr.get(&p) {
            Some(e) => out.insert(p, e.clone()),
            None => out.remove(&p),
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(pairs: &[(&str, &str)]) -> BTreeMap<String, FileEntry> {
        pairs.iter().map(|(p, c)| ((*p).to_owned(), entry(Bytes::copy_from_slice(c.as_bytes())))).collect()
    }

    #[test]
    fn blob_ids_match_git_hash_object() {
        assert_eq!(blob_oid(b"hello\n"), "ce013625030ba8dba906f756967f9e9ca394464a");
    }

    #[test]
    fn a_non_recursive_listing_shows_direct_children_with_folders_first() {
        let files = snap(&[("a.txt", "1"), ("d/b.txt", "2"), ("d/e/c.txt", "3")]);
        let names = |l: Vec<Listed>| l.into_iter().map(|x| match x { Listed::File { path, .. } | Listed::Dir { path, .. } => path }).collect::<Vec<_>>();
        assert_eq!(names(list_dir(&files, "", false).unwrap_or_default()), ["d", "a.txt"]);
        assert_eq!(names(list_dir(&files, "", true).unwrap_or_default()), ["d", "d/e", "a.txt", "d/b.txt", "d/e/c.txt"]);
        assert_eq!(names(list_dir(&files, "d", false).unwrap_or_default()), ["d/e", "d/b.txt"]);
        assert!(list_dir(&files, "missing", false).is_none());
    }

    #[test]
    fn merging_disjoint_changes_keeps_both_and_overlapping_ones_conflict() {
        let base = snap(&[("a", "1"), ("b", "1")]);
        let main = snap(&[("a", "2"), ("b", "1")]);
        let pr = snap(&[("a", "1"), ("b", "3")]);
        let merged = merge(&base, &main, &pr).unwrap_or_default();
        assert_eq!(merged.get("b").map(|e| e.data.clone()), Some(Bytes::from_static(b"3")));
        assert_eq!(merged.get("a").map(|e| e.data.clone()), Some(Bytes::from_static(b"2")));
        let pr2 = snap(&[("a", "9"), ("b", "1")]);
        assert_eq!(merge(&base, &main, &pr2).err(), Some(vec!["a".to_owned()]));
    }
}
