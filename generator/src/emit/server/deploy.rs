//! Deployment files of a server crate: a `Dockerfile` (multi-stage, distroless, non-root) and
//! `deploy/kubernetes.yaml` (Deployment with probes, Service, HorizontalPodAutoscaler,
//! PodDisruptionBudget), rendered from `templates/server/`.
//!
//! The container listens on every interface at the ports the capability declares; the upstream
//! credentials come from a Secret, the upstream URL and other settings from an optional ConfigMap.

use serde::Serialize;

use crate::emit::{GeneratedFile, templates};
use crate::model::capability::CapabilityModel;

use super::ServerConfig;

/// Replicas of the Deployment (and the autoscaler's minimum): two, so that one can be replaced
/// while the other serves.
const REPLICAS: u32 = 2;

/// The container's working directory: relative `file:///./` bind locations are read under it.
const WORKING_DIR: &str = "/app";

#[derive(Serialize)]
struct Context<'a> {
    crate_name: &'a str,
    version: &'a str,
    /// Directories copied into the build stage: the client crate (when used), then this one.
    copy: Vec<&'a str>,
    client_note: String,
    ports: Vec<u16>,
    named_ports: Vec<NamedPort>,
    rest_port: Option<u16>,
    mcp_port: Option<u16>,
    /// The port the probes use: the control adapter's (`/health/live`, `/health/ready`),
    /// REST's (`/healthz`, `/readyz`), else the first one served (a TCP probe).
    probe_port: &'static str,
    /// The probes' paths (empty: a TCP probe).
    live_path: &'static str,
    ready_path: &'static str,
    args: Vec<String>,
    args_json: String,
    working_dir: &'static str,
    replicas: u32,
    secrets: Vec<SecretEnv>,
    upstreams: Vec<UpstreamEnv>,
    /// Files the binds read (`location`), mounted from the Secret `<crate>-files`.
    files: Vec<BoundFile>,
}

#[derive(Serialize)]
struct BoundFile {
    /// The Secret's key: the file name.
    key: String,
    /// Where the server reads it (a relative location is under the working directory).
    mount_path: String,
}

#[derive(Serialize)]
struct NamedPort {
    name: &'static str,
    port: u16,
}

#[derive(Serialize)]
struct SecretEnv {
    env: String,
    required: bool,
}

#[derive(Serialize)]
struct UpstreamEnv {
    env: String,
}

/// The `Dockerfile` and `deploy/kubernetes.yaml` of the server crate, or why not.
pub fn files(
    model: &CapabilityModel,
    config: &ServerConfig,
    client_crate: Option<&str>,
) -> Result<Vec<GeneratedFile>, String> {
    let context = context(model, config, client_crate);
    let dockerfile = templates::render(
        "server/Dockerfile.j2",
        include_str!("../../../../templates/server/Dockerfile.j2"),
        &context,
    )?;
    let kubernetes = templates::render(
        "server/deploy/kubernetes.yaml.j2",
        include_str!("../../../../templates/server/deploy/kubernetes.yaml.j2"),
        &context,
    )?;
    Ok(vec![
        GeneratedFile::new("Dockerfile", dockerfile),
        GeneratedFile::new("deploy/kubernetes.yaml", kubernetes),
    ])
}

fn context<'a>(
    model: &'a CapabilityModel,
    config: &'a ServerConfig,
    client_crate: Option<&'a str>,
) -> Context<'a> {
    let rest_port = model.rest.first().map(|it| it.port);
    // The MCP adapter's port when it declares one (stdio-only adapters have none); the CLI's
    // default otherwise.
    let mcp_port = model.mcp.first().map(|it| it.port.unwrap_or(9090));
    let skill_port = model.skills.first().map(|it| it.port);
    let mut named_ports = Vec::new();
    let mut args = Vec::new();
    if let Some(port) = rest_port {
        named_ports.push(NamedPort { name: "rest", port });
        args.push("--rest-addr".to_owned());
        args.push(format!("0.0.0.0:{port}"));
    }
    if let Some(port) = mcp_port {
        named_ports.push(NamedPort { name: "mcp", port });
        args.push("--mcp-addr".to_owned());
        args.push(format!("0.0.0.0:{port}"));
        // MCP refuses requests whose `Host` it does not know (DNS rebinding): the Service's
        // name is how clients in the cluster reach it.
        args.push("--allowed-host".to_owned());
        args.push(config.crate_name.clone());
    }
    if let Some(port) = skill_port {
        named_ports.push(NamedPort {
            name: "skills",
            port,
        });
        args.push("--skill-addr".to_owned());
        args.push(format!("0.0.0.0:{port}"));
    }
    // The control adapter's health endpoints are what the engine is probed on; the port is
    // bound on every interface in the container so that the kubelet reaches it.
    let control = model.control.as_ref();
    if let Some(adapter) = control {
        named_ports.push(NamedPort {
            name: "control",
            port: adapter.port,
        });
        args.push("--control-addr".to_owned());
        args.push(format!("0.0.0.0:{}", adapter.port));
    }
    let (probe_port, live_path, ready_path) = match control {
        Some(adapter) if adapter.health => ("control", "/health/live", "/health/ready"),
        _ if rest_port.is_some() => ("rest", "/healthz", "/readyz"),
        _ => (named_ports.first().map_or("rest", |it| it.name), "", ""),
    };
    let single = model.consumes.len() == 1;
    let upstreams = model
        .consumes
        .iter()
        .map(|api| UpstreamEnv {
            env: super::upstream_url_env(api, single),
        })
        .collect();
    // Credentials read from the environment come from the Secret; values read from files
    // (`location`) are the operator's to mount.
    let secrets = model
        .variables
        .iter()
        .filter(|it| it.secret && it.location.is_none())
        .map(|it| SecretEnv {
            env: it.key.clone(),
            required: it.required,
        })
        .collect();
    let mut files: Vec<BoundFile> = Vec::new();
    for location in model
        .variables
        .iter()
        .filter_map(|it| it.location.as_deref())
    {
        let Some(path) = location.strip_prefix("file://") else {
            continue;
        };
        let mount_path = match path.strip_prefix("/./") {
            Some(relative) => format!("{WORKING_DIR}/{relative}"),
            None => path.to_owned(),
        };
        let key = mount_path.rsplit('/').next().unwrap_or_default().to_owned();
        if key.is_empty() || files.iter().any(|it| it.mount_path == mount_path) {
            continue;
        }
        files.push(BoundFile { key, mount_path });
    }
    let args_json = serde_json::to_string(&args).unwrap_or_default();
    Context {
        crate_name: &config.crate_name,
        version: &config.crate_version,
        copy: client_crate
            .into_iter()
            .chain([config.crate_name.as_str()])
            .collect(),
        client_note: client_crate
            .map(|it| format!(" and `{it}`"))
            .unwrap_or_default(),
        ports: named_ports.iter().map(|it| it.port).collect(),
        named_ports,
        rest_port,
        mcp_port,
        probe_port,
        live_path,
        ready_path,
        args,
        args_json,
        working_dir: WORKING_DIR,
        replicas: REPLICAS,
        secrets,
        upstreams,
        files,
    }
}
