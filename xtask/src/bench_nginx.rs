//! nginx as the reference reverse proxy of `bench proxy`: the same route in front of the same
//! upstream, the key appended by a rewrite, a keep-alive pool to the upstream, the access log
//! on (the generated server logs every request too). Debian's `nginx-light` is enough.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::bench::{ADDRESSES, KEY};

/// Where nginx listens in every bench run.
pub const NGINX_ADDR: &str = "127.0.0.1:18081";

/// A prefix directory with nginx's configuration, logs and temporary files, removed when
/// dropped.
pub struct NginxDir(PathBuf);

impl NginxDir {
    /// Writes the configuration: `workers` worker processes (`None`: one process, no master,
    /// as callgrind needs), logging every request to `access.log`.
    pub fn new(workers: Option<u32>) -> Result<NginxDir, String> {
        let dir = std::env::temp_dir().join(format!("capgen-bench-nginx-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        std::fs::write(dir.join("nginx.conf"), config(&dir, workers))
            .map_err(|err| format!("cannot write the nginx configuration: {err}"))?;
        Ok(NginxDir(dir))
    }

    /// `nginx` in the foreground with this configuration; `launcher` (`taskset -c 1`,
    /// `valgrind …`, without the program) runs it when given.
    pub fn command(&self, launcher: Option<Command>) -> Command {
        let mut command = match launcher {
            Some(mut launcher) => {
                launcher.arg("nginx");
                launcher
            }
            None => Command::new("nginx"),
        };
        command
            .arg("-p")
            .arg(&self.0)
            .arg("-c")
            .arg(self.0.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    pub fn spawn(self, launcher: Option<Command>) -> Result<Nginx, String> {
        let child = self.command(launcher).spawn().map_err(|err| {
            format!("cannot start nginx (install the Debian package `nginx-light`): {err}")
        })?;
        Ok(Nginx { child, _dir: self })
    }
}

/// A running nginx, stopped with `SIGTERM` when dropped: the master then stops its workers
/// (a `SIGKILL` would leave them serving the port).
pub struct Nginx {
    pub child: Child,
    _dir: NginxDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            stop(&mut self.child, "-TERM");
        }
    }
}

/// Sends `signal` to `child` and waits for it to exit.
pub fn stop(child: &mut Child, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    let _ = child.wait();
}

impl Drop for NginxDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `nginx` can be run here.
pub fn available() -> bool {
    Command::new("nginx")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|it| it.success())
}

fn config(dir: &Path, workers: Option<u32>) -> String {
    let (upstream, _, _) = ADDRESSES;
    let processes = match workers {
        Some(count) => format!("worker_processes {count};"),
        None => "master_process off;".to_owned(),
    };
    let dir = dir.display();
    format!(
        "daemon off;
{processes}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {dir}/access.log;
    # Keep-alive connections are not closed after 1,000 requests (nginx's default), on either
    # side: the generated server does not close them either.
    keepalive_requests 1000000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream fake {{
        server {upstream};
        keepalive 64;
        keepalive_requests 1000000;
    }}
    server {{
        listen {NGINX_ADDR};
        location /v1/runtime/webhooks/durabletask/ {{
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            rewrite ^/v1/(.*)$ /$1?code={KEY} break;
            proxy_pass http://fake;
        }}
    }}
}}
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_proxies_the_route_with_the_key() {
        let text = config(Path::new("/tmp/x"), Some(2));
        assert!(text.contains("worker_processes 2;"));
        assert!(text.contains(&format!("listen {NGINX_ADDR};")));
        assert!(text.contains(&format!("?code={KEY} break;")));
        assert!(text.contains("access_log /tmp/x/access.log;"));
        assert!(config(Path::new("/tmp/x"), None).contains("master_process off;"));
    }
}
