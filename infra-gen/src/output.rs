//! The synthesised files, and the only code that touches the output directory.
//!
//! Invariants: a synth either replaces the output directory's owned parts completely or leaves
//! it exactly as it was (the new tree is built beside it and swapped in with renames); files
//! outside the owned prefixes (other environments, when `--env` narrows a synth) are kept.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// Relative path (with `/`) -> content, plus the directory prefixes this synth owns.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FileSet {
    files: BTreeMap<String, Vec<u8>>,
    owned: BTreeSet<String>,
}

impl FileSet {
    /// Adds a file; `path` is relative, `/`-separated, and owned by some prefix.
    pub fn add(&mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) {
        let path = path.into();
        debug_assert!(!path.starts_with('/') && !path.contains(".."), "{path}");
        let previous = self.files.insert(path.clone(), content.into());
        assert!(previous.is_none(), "two renderers wrote {path}");
    }

    /// Declares that everything under `prefix` (a directory ending in `/`, or a file) is
    /// produced by this synth: stale files there are removed.
    pub fn own(&mut self, prefix: impl Into<String>) {
        self.owned.insert(prefix.into());
    }

    pub fn files(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.files
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    fn is_owned(&self, path: &str) -> bool {
        self.owned.iter().any(|p| {
            if p.ends_with('/') {
                path.starts_with(p.as_str())
            } else {
                path == p
            }
        })
    }

    pub fn extend(&mut self, other: FileSet) {
        for (path, content) in other.files {
            self.add(path, content);
        }
        self.owned.extend(other.owned);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Drift {
    /// A fresh synth writes it; the directory lacks it.
    Missing(String),
    /// Both have it, with different content.
    Changed(String),
    /// The directory has it under an owned prefix; a fresh synth would not write it.
    Stale(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing  {p}"),
            Drift::Changed(p) => write!(f, "changed  {p}"),
            Drift::Stale(p) => write!(f, "stale    {p}"),
        }
    }
}

/// Every file under `dir`, relative and `/`-separated, sorted.
fn existing_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = match std::fs::read_dir(dir.join(&rel)) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound && rel.as_os_str().is_empty() => {
                return Ok(out);
            }
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let child = rel.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(child);
            } else {
                out.push(child.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What differs between `dir` and the file set, within the owned prefixes.
pub fn check(dir: &Path, set: &FileSet) -> io::Result<Vec<Drift>> {
    let mut drift = Vec::new();
    let existing: BTreeSet<String> = existing_files(dir)?
        .into_iter()
        .filter(|p| set.is_owned(p))
        .collect();
    for (path, content) in &set.files {
        match std::fs::read(dir.join(path)) {
            Ok(old) if &old == content => {}
            Ok(_) => drift.push(Drift::Changed(path.clone())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                drift.push(Drift::Missing(path.clone()))
            }
            Err(e) => return Err(e),
        }
    }
    drift.extend(
        existing
            .into_iter()
            .filter(|p| !set.files.contains_key(p))
            .map(Drift::Stale),
    );
    drift.sort();
    Ok(drift)
}

/// Makes `dir` hold the file set's owned parts exactly, keeping the rest. Nothing in `dir`
/// changes unless every new file was written first; an up-to-date directory is not touched.
pub fn write(dir: &Path, set: &FileSet) -> io::Result<()> {
    if check(dir, set)?.is_empty() {
        return Ok(());
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "generated".into());
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(&parent)?;
    let kept: Vec<String> = existing_files(dir)?
        .into_iter()
        .filter(|p| !set.is_owned(p))
        .collect();
    // Directories first, each once; then the files, spread over the cores: creating hundreds
    // of inodes is most of a synth's wall time.
    let parents: BTreeSet<PathBuf> = kept
        .iter()
        .chain(set.files.keys())
        .filter_map(|p| staging.path().join(p).parent().map(Path::to_path_buf))
        .collect();
    for parent in &parents {
        std::fs::create_dir_all(parent)?;
    }
    let jobs: Vec<(&str, Option<&[u8]>)> = kept
        .iter()
        .map(|p| (p.as_str(), None))
        .chain(
            set.files
                .iter()
                .map(|(p, c)| (p.as_str(), Some(c.as_slice()))),
        )
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = jobs.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|group| {
                let staging = staging.path();
                scope.spawn(move || -> io::Result<()> {
                    for (path, content) in group {
                        let target = staging.join(path);
                        match content {
                            Some(bytes) => std::fs::write(target, bytes)?,
                            None => {
                                std::fs::copy(dir.join(path), target)?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("a writer thread panicked"))
    })?;
    let staged = staging.keep();
    if dir.exists() {
        let old = tempfile::Builder::new()
            .prefix(&format!(".{name}.old-"))
            .tempdir_in(&parent)?
            .keep();
        std::fs::remove_dir(&old)?;
        std::fs::rename(dir, &old)?;
        if let Err(e) = std::fs::rename(&staged, dir) {
            std::fs::rename(&old, dir)?; // put the original back
            return Err(e);
        }
        std::fs::remove_dir_all(&old)?;
    } else {
        std::fs::rename(&staged, dir)?;
    }
    Ok(())
}

/// Like [`write`], for a directory that cannot be swapped whole (the repository root): each
/// changed file is written beside its target and renamed over it, stale files in owned
/// directories are removed. Everything is rendered before the first write.
pub fn write_in_place(dir: &Path, set: &FileSet) -> io::Result<()> {
    for drift in check(dir, set)? {
        match drift {
            Drift::Missing(path) | Drift::Changed(path) => {
                let target = dir.join(&path);
                let parent = target.parent().unwrap_or(dir);
                std::fs::create_dir_all(parent)?;
                let mut staged = tempfile::NamedTempFile::new_in(parent)?;
                io::Write::write_all(&mut staged, &set.files[&path])?;
                // Checked-in files get the usual mode, not the temp file's 0600.
                #[cfg(unix)]
                staged
                    .as_file()
                    .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
                staged.persist(&target).map_err(|e| e.error)?;
            }
            Drift::Stale(path) => std::fs::remove_file(dir.join(path))?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)], owned: &[&str]) -> FileSet {
        let mut s = FileSet::default();
        for (p, c) in files {
            s.add(*p, *c);
        }
        for o in owned {
            s.own(*o);
        }
        s
    }

    #[test]
    fn write_replaces_owned_parts_and_keeps_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("generated");
        write(
            &out,
            &set(
                &[("a/x.json", "1"), ("b/y.json", "2"), ("a/old.json", "0")],
                &["a/", "b/"],
            ),
        )
        .unwrap();
        let next = set(&[("a/x.json", "3")], &["a/"]);
        assert_eq!(
            check(&out, &next).unwrap(),
            vec![
                Drift::Changed("a/x.json".into()),
                Drift::Stale("a/old.json".into())
            ]
        );
        write(&out, &next).unwrap();
        assert_eq!(existing_files(&out).unwrap(), vec!["a/x.json", "b/y.json"]);
        assert_eq!(std::fs::read_to_string(out.join("a/x.json")).unwrap(), "3");
        assert!(check(&out, &next).unwrap().is_empty());
        // Nothing but the output directory is left beside it.
        let siblings: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(siblings, vec![std::ffi::OsString::from("generated")]);
    }

    #[test]
    fn check_reports_missing_files() {
        let tmp = tempfile::tempdir().unwrap();
        let drift = check(&tmp.path().join("none"), &set(&[("a/x", "1")], &["a/"])).unwrap();
        assert_eq!(drift, vec![Drift::Missing("a/x".into())]);
    }
}
