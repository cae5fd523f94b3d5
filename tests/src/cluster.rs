//! A throwaway PostgreSQL cluster for fault tests: created on a free port with
//! `pg_createcluster`, stopped and started at will, dropped with the value. The machine's
//! shared cluster is never touched.

use std::process::Command;

/// A PostgreSQL cluster of its own, trusting local connections, dropped on drop.
pub struct Cluster {
    version: String,
    name: String,
    pub port: u16,
}

impl Cluster {
    /// Creates and starts a cluster of the installed PostgreSQL version on a free port.
    pub fn create() -> Self {
        let version = std::fs::read_dir("/etc/postgresql")
            .expect("PostgreSQL's cluster tools are installed (/etc/postgresql)")
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().into_string().ok())
            .max()
            .expect("a PostgreSQL version in /etc/postgresql");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let cluster = Self {
            version,
            name: format!(
                "gongzhi_fault_{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ),
            port,
        };
        let port = port.to_string();
        cluster.run(
            "pg_createcluster",
            &[
                &cluster.version,
                &cluster.name,
                "-p",
                &port,
                "--start",
                "--",
                "--auth=trust",
            ],
        );
        cluster
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the cluster at once, as a crash would: open connections break.
    pub fn stop(&self) {
        self.ctl("stop", &["-m", "immediate"]);
    }

    /// Starts the cluster again.
    pub fn start(&self) {
        self.ctl("start", &[]);
    }

    fn ctl(&self, action: &str, options: &[&str]) {
        let mut args = vec![
            "--skip-systemctl-redirect",
            &self.version,
            &self.name,
            action,
        ];
        args.extend_from_slice(options);
        self.run("pg_ctlcluster", &args);
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("{program} runs: {err}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("pg_dropcluster")
            .args(["--stop", &self.version, &self.name])
            .output();
    }
}
