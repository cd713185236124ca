//! The files of a skill's `location` directory, read at generation time so that the skill
//! directory capgen writes (and the server embeds) is complete. `file:///./x` is relative to
//! the capability file, as imports are: the output must not depend on where capgen runs (the
//! join reads no absolute location at all, for the same reason).

use std::path::Path;

use super::imports::resolve_path;

/// What a skill directory holds.
#[derive(Debug, Default)]
pub struct SkillDirectory {
    /// Text files by `/`-separated relative path, sorted.
    pub files: Vec<(String, String)>,
    /// Files left out, each with why.
    pub skipped: Vec<(String, &'static str)>,
}

/// Reads the directory `location` names, seen from the capability file `capability`. `None`
/// when it is not a readable directory.
pub fn read(capability: &Path, location: &str) -> Option<SkillDirectory> {
    let root = resolve_path(capability, location);
    if !root.is_dir() {
        return None;
    }
    let mut directory = SkillDirectory::default();
    walk(&root, "", &mut directory);
    directory.files.sort();
    directory.skipped.sort();
    Some(directory)
}

fn walk(dir: &Path, prefix: &str, out: &mut SkillDirectory) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|it| it.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            // What a link points at is not part of the directory.
            out.skipped.push((relative, "a symbolic link"));
            continue;
        }
        if !is_plain_name(&name) {
            out.skipped
                .push((relative, "not a plain file name ([A-Za-z0-9._-])"));
            continue;
        }
        if kind.is_dir() {
            walk(&entry.path(), &format!("{relative}/"), out);
            continue;
        }
        match std::fs::read(entry.path()).map(String::from_utf8) {
            Ok(Ok(text)) => out.files.push((relative, text)),
            Ok(Err(_)) => out.skipped.push((relative, "not UTF-8 text")),
            Err(_) => out.skipped.push((relative, "unreadable")),
        }
    }
}

/// A name that is safe as a path segment of the generated directory.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_files_are_read_relative_to_the_capability() {
        let root = std::env::temp_dir().join(format!("capgen-skill-{}", std::process::id()));
        let dir = root.join("skills/guide");
        std::fs::create_dir_all(dir.join("refs")).expect("mkdir");
        std::fs::write(dir.join("b.md"), "B").expect("write");
        std::fs::write(dir.join("refs/a.md"), "A").expect("write");
        std::fs::write(dir.join("logo.png"), [0xff, 0xfe, 0x00]).expect("write");
        std::fs::write(dir.join("bad name.md"), "x").expect("write");
        let read = read(&root.join("cap.yaml"), "file:///./skills/guide").expect("a directory");
        let paths: Vec<&str> = read.files.iter().map(|it| it.0.as_str()).collect();
        assert_eq!(paths, ["b.md", "refs/a.md"]);
        let skipped: Vec<&str> = read.skipped.iter().map(|it| it.0.as_str()).collect();
        assert_eq!(skipped, ["bad name.md", "logo.png"]);
        assert!(super::read(&root.join("cap.yaml"), "file:///./nowhere").is_none());
        std::fs::remove_dir_all(&root).expect("cleanup");
    }
}
