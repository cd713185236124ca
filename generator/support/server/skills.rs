//! The skill adapter: the catalog of the capability's Agent Skills on its own port, as the
//! Naftiko engine serves it: `GET /skills` (`{count, skills}`), `GET /skills/{name}` (the front
//! matter and each tool: `derived` with its `invocationRef`, or `instruction`),
//! `GET /skills/{name}/contents` (the files), `GET /skills/{name}/contents/{file}` and
//! `GET /skills/{name}/download` (the skill's directory as a zip). Everything comes from the
//! skill directories capgen wrote (`skills/<name>/`), embedded in the binary: the server reads
//! no file at run time. Errors are problem+json.

use axum::Router;
use axum::extract::{Path, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::support::auth::InboundAuth;
use crate::support::problem::Problem;

/// One skill.
#[derive(Debug)]
pub struct SkillSpec {
    /// The skill's name (its directory).
    pub name: &'static str,
    /// Its `GET /skills` entry, as JSON text.
    pub summary: &'static str,
    /// Its `GET /skills/{name}` answer, as JSON text.
    pub detail: &'static str,
    /// The files of its directory, `SKILL.md` first.
    pub files: &'static [SkillFile],
}

/// A file of a skill's directory.
#[derive(Debug)]
pub struct SkillFile {
    /// `/`-separated, relative to the skill's directory.
    pub path: &'static str,
    pub contents: &'static str,
}

/// The catalog's routes, behind the adapter's inbound authentication when it has one.
pub fn router(skills: &'static [SkillSpec], auth: Option<InboundAuth>) -> Router {
    let app = Router::new()
        .route("/skills", axum::routing::get(move || catalog(skills)))
        .route(
            "/skills/{name}",
            axum::routing::get(move |Path(name): Path<String>| async move {
                let skill = find(skills, &name)?;
                Ok::<_, Problem>(json_response(skill.detail.to_owned()))
            }),
        )
        .route(
            "/skills/{name}/contents",
            axum::routing::get(move |Path(name): Path<String>| async move {
                let skill = find(skills, &name)?;
                Ok::<_, Problem>(contents(skill))
            }),
        )
        .route(
            "/skills/{name}/contents/{*file}",
            axum::routing::get(
                move |Path((name, file)): Path<(String, String)>| async move {
                    let skill = find(skills, &name)?;
                    file_response(skill, &file)
                },
            ),
        )
        .route(
            "/skills/{name}/download",
            axum::routing::get(move |Path(name): Path<String>| async move {
                let skill = find(skills, &name)?;
                download(skill)
            }),
        )
        .route(
            "/healthz",
            axum::routing::get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .fallback(|request: Request| async move { Problem::not_found(request.uri().path()) })
        .method_not_allowed_fallback(crate::support::rest::method_not_allowed);
    crate::support::auth::guarded(app, auth)
}

async fn catalog(skills: &'static [SkillSpec]) -> Response {
    let entries: Vec<Value> = skills
        .iter()
        .map(|it| serde_json::from_str(it.summary).unwrap_or(Value::Null))
        .collect();
    json_response(json!({"count": entries.len(), "skills": entries}).to_string())
}

fn find(skills: &'static [SkillSpec], name: &str) -> Result<&'static SkillSpec, Problem> {
    skills.iter().find(|it| it.name == name).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "Not Found",
            format!("no skill is named `{name}`"),
        )
    })
}

fn contents(skill: &SkillSpec) -> Response {
    let files: Vec<Value> = skill
        .files
        .iter()
        .map(|file| {
            json!({
                "path": file.path,
                "name": file.path.rsplit('/').next().unwrap_or(file.path),
                "size": file.contents.len(),
                "type": media_type(file.path),
            })
        })
        .collect();
    json_response(json!({"name": skill.name, "files": files}).to_string())
}

fn file_response(skill: &SkillSpec, path: &str) -> Result<Response, Problem> {
    let file = skill
        .files
        .iter()
        .find(|it| it.path == path)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "Not Found",
                format!("skill `{}` has no file `{path}`", skill.name),
            )
        })?;
    let mut response = file.contents.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(media_type(file.path)),
    );
    Ok(response)
}

fn media_type(path: &str) -> &'static str {
    let media = crate::support::resources::guess_mime_type(path);
    match media {
        "text/markdown" => "text/markdown; charset=utf-8",
        "text/plain" => "text/plain; charset=utf-8",
        other => other,
    }
}

fn json_response(body: String) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The skill's directory as a zip archive (stored, not compressed: the files are small text).
#[cfg(feature = "skills")]
fn download(skill: &SkillSpec) -> Result<Response, Problem> {
    use std::io::Write as _;

    let failed = |err: &dyn std::fmt::Display| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
            format!(
                "the archive of `{}` could not be written: {err}",
                skill.name
            ),
        )
    };
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for file in skill.files {
        archive
            .start_file(format!("{}/{}", skill.name, file.path), options)
            .map_err(|err| failed(&err))?;
        archive
            .write_all(file.contents.as_bytes())
            .map_err(|err| failed(&err))?;
    }
    let bytes = archive.finish().map_err(|err| failed(&err))?.into_inner();
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.zip\"", skill.name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Without the `skills` feature there is no archive writer.
#[cfg(not(feature = "skills"))]
fn download(skill: &SkillSpec) -> Result<Response, Problem> {
    Err(Problem::new(
        StatusCode::NOT_IMPLEMENTED,
        "Not Implemented",
        format!(
            "`{}` cannot be downloaded: this server was built without the `skills` feature",
            skill.name
        ),
    ))
}
