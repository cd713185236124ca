//! Imported consumes (`{location, import, as}`): the `consumes` entry named `import` of the
//! shared consumer file at `location` (relative to the importing file, or a `file:///` URI),
//! known here by `as` or its own namespace. Each import is read and checked like any
//! capability document; problems are reported at the import (C206) or in the imported file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::{Capability, Consumes, ConsumesHttp};
use super::{LoadOptions, load_capability};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

/// One resolved import.
#[derive(Debug, Clone)]
pub struct Import {
    /// Pointer of the import entry in the importing document.
    pub pointer: String,
    /// The namespace calls use here (`as`, else the imported namespace).
    pub namespace: String,
    /// The file the consumed API is declared in.
    pub file: Arc<SourceFile>,
    /// Pointer of the imported `consumes` entry in that file.
    pub source_pointer: String,
    /// The imported API.
    pub http: ConsumesHttp,
}

/// Where `location` points, seen from the importing `file`.
pub(crate) fn resolve_path(file: &Path, location: &str) -> PathBuf {
    if let Some(rest) = location.strip_prefix("file://") {
        let rest = rest.strip_prefix("/./").map_or(rest, |it| it);
        let path = PathBuf::from(rest);
        if path.is_absolute() {
            return path;
        }
        return file.parent().unwrap_or(Path::new(".")).join(path);
    }
    file.parent().unwrap_or(Path::new(".")).join(location)
}

/// Reads every import of `cap` (declared in `file`).
pub fn resolve(
    file: &Arc<SourceFile>,
    cap: &Capability,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Vec<Import> {
    let mut res = Vec::new();
    for (pointer, consumes) in cap.all_consumes() {
        let Consumes::Imported(import) = consumes else {
            continue;
        };
        let path = resolve_path(file.path(), &import.location);
        let location_pointer = pointer_join(&pointer, "location");
        let shared = match SourceFile::read(&path) {
            Ok(shared) => shared,
            Err(_) => {
                let message = format!(
                    "cannot read the imported file `{}` (looked for {})",
                    import.location,
                    path.display()
                );
                diags.push(
                    Diagnostic::error(Code::UnresolvedImport, message)
                        .at(file, location_pointer)
                        .with_help("`location` is relative to the importing file"),
                );
                continue;
            }
        };
        let Some(document) = load_capability(&shared, options, diags) else {
            continue;
        };
        let found = document
            .all_consumes()
            .into_iter()
            .find_map(|(source_pointer, it)| match it {
                Consumes::Http(http) if http.namespace == import.import => {
                    Some((source_pointer, http.clone()))
                }
                _ => None,
            });
        let Some((source_pointer, http)) = found else {
            let known: Vec<String> = document
                .all_consumes()
                .iter()
                .map(|(_, it)| format!("`{}`", it.namespace()))
                .collect();
            let message = format!(
                "`{}` declares no consumed namespace `{}`",
                import.location, import.import
            );
            diags.push(
                Diagnostic::error(Code::UnresolvedImport, message)
                    .at(file, pointer_join(&pointer, "import"))
                    .with_help(format!("it declares: {}", known.join(", "))),
            );
            continue;
        };
        res.push(Import {
            pointer,
            namespace: consumes.namespace().to_owned(),
            file: shared,
            source_pointer,
            http,
        });
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_relative_to_the_importing_file() {
        let file = Path::new("caps/step-5.yml");
        assert_eq!(
            resolve_path(file, "./shared/x.yaml"),
            PathBuf::from("caps/./shared/x.yaml")
        );
        assert_eq!(
            resolve_path(file, "file:///./shared/x.yaml"),
            PathBuf::from("caps/shared/x.yaml")
        );
        assert_eq!(
            resolve_path(file, "file:///etc/x.yaml"),
            PathBuf::from("/etc/x.yaml")
        );
    }
}
