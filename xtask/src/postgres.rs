//! The PostgreSQL the API tests run against: `CALLPOP_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`, which this project's machines run), or, when nothing answers there, a
//! throwaway server started from the system's binaries (`/usr/lib/postgresql/*/bin`) on a free port and removed
//! afterwards. Failing both, one sentence says what to install.

use anyhow::{Context, bail};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub(crate) const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The PostgreSQL to test against, and the throwaway server to stop afterwards, if one was started.
pub(crate) struct TestPostgres {
    pub(crate) url: String,
    throwaway: Option<Throwaway>,
}

struct Throwaway {
    pg_ctl: PathBuf,
    data_dir: PathBuf,
    run_as_postgres: bool,
}

impl TestPostgres {
    /// Stops the throwaway server, if one was started. (Also done on drop; `xtask test` exits by hand.)
    pub(crate) fn stop(&mut self) {
        if let Some(throwaway) = self.throwaway.take() {
            let mut stop = throwaway.command(&throwaway.pg_ctl);
            let _ = stop.arg("-D").arg(&throwaway.data_dir).args(["-m", "fast", "stop"]).status();
            let _ = std::fs::remove_dir_all(&throwaway.data_dir);
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Throwaway {
    /// PostgreSQL refuses to run as root: as root, its tools run as the `postgres` user the package created.
    fn command(&self, program: &Path) -> Command {
        if self.run_as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

/// Whether something accepts connections at the URL's host and port.
fn answers(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|address| TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok())
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb` and `pg_ctl`.
fn server_binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// The PostgreSQL URL the tests should use, starting a throwaway server when the configured one does not answer.
pub(crate) fn ensure() -> anyhow::Result<TestPostgres> {
    let url = std::env::var("CALLPOP_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    if answers(&url) {
        return Ok(TestPostgres { url, throwaway: None });
    }
    let Some(bin) = server_binaries() else {
        bail!(
            "PostgreSQL does not answer at {url} and no initdb/pg_ctl is installed under /usr/lib/postgresql/*/bin: \
             install PostgreSQL (Debian: `apt-get install postgresql`) or set CALLPOP_TEST_POSTGRES_URL"
        );
    };
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let data_dir = std::env::temp_dir().join(format!("callpop-test-postgres-{port}"));
    let run_as_postgres = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    if run_as_postgres {
        crate::tools::run(Command::new("chown").arg("postgres:postgres").arg(&data_dir))?;
    }
    println!("xtask: nothing answers at {url}; starting a throwaway PostgreSQL on port {port}");
    let throwaway = Throwaway { pg_ctl: bin.join("pg_ctl"), data_dir: data_dir.clone(), run_as_postgres };
    let mut started = TestPostgres { url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), throwaway: None };
    crate::tools::run(throwaway.command(&bin.join("initdb")).arg("-D").arg(&data_dir).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "--no-sync",
    ]))
    .context("initdb failed for the throwaway PostgreSQL")?;
    let options = format!("-p {port} -c listen_addresses=127.0.0.1 -k {} -F", data_dir.display());
    let log = data_dir.join("server.log");
    let start = crate::tools::run(
        throwaway
            .command(&throwaway.pg_ctl)
            .arg("-D")
            .arg(&data_dir)
            .args(["-o", &options, "-w", "-l"])
            .arg(&log)
            .arg("start"),
    );
    started.throwaway = Some(throwaway);
    start.with_context(|| format!("starting the throwaway PostgreSQL failed; its log is {}", log.display()))?;
    Ok(started)
}

#[cfg(test)]
mod tests {
    use super::answers;

    #[test]
    fn a_port_nobody_listens_on_does_not_answer() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        assert!(!answers(&format!("postgres://postgres@127.0.0.1:{port}/test")));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(answers(&format!("postgres://postgres@127.0.0.1:{port}/test?sslmode=disable")));
    }
}
