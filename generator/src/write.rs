//! Writing generated output to disk, all or nothing.
//!
//! Everything is generated in memory first; only a run without errors reaches this module. The
//! files go to a staging directory beside the output, and each crate directory is then swapped
//! in whole, so an interrupted or failed write never leaves a half-updated crate behind, and
//! files the generator no longer produces disappear with the old directory.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use crate::emit::Output;

/// Writes `output` under `out_dir`. Each top-level directory of the output (a crate) replaces
/// the directory of the same name in `out_dir`; other entries of `out_dir` are left alone.
pub fn write_output(out_dir: &Path, output: &Output) -> io::Result<()> {
    std::fs::create_dir_all(out_dir)?;
    let staging = out_dir.join(format!(".capgen-staging-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    let result = stage_and_swap(out_dir, &staging, output);
    if staging.exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn stage_and_swap(out_dir: &Path, staging: &Path, output: &Output) -> io::Result<()> {
    let mut roots = BTreeSet::new();
    for (path, contents) in output.files() {
        let target = staging.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, contents)?;
        roots.insert(path.split('/').next().unwrap_or(path).to_owned());
    }
    for root in roots {
        let destination = out_dir.join(&root);
        if destination.is_dir() {
            std::fs::remove_dir_all(&destination)?;
        } else if destination.exists() {
            std::fs::remove_file(&destination)?;
        }
        std::fs::rename(staging.join(&root), &destination)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::GeneratedFile;

    #[test]
    fn crate_directories_are_replaced_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("a/src")).expect("mkdir");
        std::fs::write(dir.path().join("a/src/old.rs"), "old").expect("write");
        std::fs::write(dir.path().join("keep.txt"), "keep").expect("write");
        let mut output = Output::new();
        output.add(GeneratedFile::new("a/src/lib.rs", "new"));
        write_output(dir.path(), &output).expect("writes");
        assert!(!dir.path().join("a/src/old.rs").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a/src/lib.rs")).expect("read"),
            "new"
        );
        assert!(dir.path().join("keep.txt").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|it| it.file_name().to_string_lossy().starts_with(".capgen"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
