//! A private `/etc/hosts` for a function process: it reaches DynamoDB by its real host name
//! (`dynamodb.<region>.amazonaws.com`), resolved through the C library as on Lambda, but to
//! the benchmark's TLS terminator on a loopback address. The child enters a mount namespace
//! of its own between fork and exec and bind-mounts the benchmark's hosts file over
//! `/etc/hosts` there; nothing outside that process sees it. Needs root (`CAP_SYS_ADMIN`).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What the child needs between fork and exec, made before the fork (no allocation after).
#[derive(Debug, Clone)]
pub struct PrivateHosts {
    source: CString,
    target: CString,
    root: CString,
}

impl PrivateHosts {
    /// A bind mount of `hosts_file` over `/etc/hosts`.
    ///
    /// # Errors
    /// When the path holds a NUL byte.
    pub fn new(hosts_file: &Path) -> io::Result<PrivateHosts> {
        let nul = |e: std::ffi::NulError| io::Error::new(io::ErrorKind::InvalidInput, e);
        Ok(PrivateHosts {
            source: CString::new(hosts_file.as_os_str().as_bytes()).map_err(nul)?,
            target: CString::new("/etc/hosts").map_err(nul)?,
            root: CString::new("/").map_err(nul)?,
        })
    }

    /// Runs in the child after fork: a new mount namespace, private from `/` down (so
    /// nothing propagates back), then the bind mount. Only system calls: async-signal-safe.
    ///
    /// # Errors
    /// The failing call's `errno`.
    pub fn enter(&self) -> io::Result<()> {
        // SAFETY: plain system calls on C strings that live as long as `self`.
        unsafe {
            if libc::unshare(libc::CLONE_NEWNS) != 0 {
                return Err(io::Error::last_os_error());
            }
            let private = libc::MS_REC | libc::MS_PRIVATE;
            if libc::mount(
                std::ptr::null(),
                self.root.as_ptr(),
                std::ptr::null(),
                private,
                std::ptr::null(),
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if libc::mount(
                self.source.as_ptr(),
                self.target.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// The hosts file that maps `names` to `address`, with localhost kept.
pub fn hosts_file(address: std::net::Ipv4Addr, names: &[&str]) -> String {
    format!(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{address}\t{}\n",
        names.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_file_maps_every_name_to_the_terminator() {
        let text = hosts_file(
            std::net::Ipv4Addr::new(127, 77, 1, 2),
            &["dynamodb.us-east-1.amazonaws.com"],
        );
        assert!(text.contains("127.77.1.2\tdynamodb.us-east-1.amazonaws.com\n"));
        assert!(text.starts_with("127.0.0.1\tlocalhost\n"));
    }

    #[test]
    fn a_child_in_its_own_namespace_resolves_through_the_private_file() {
        // Needs root; where unshare is refused (not root), there is nothing to check.
        let dir = std::env::temp_dir().join(format!("hosts-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let file = dir.join("hosts");
        std::fs::write(
            &file,
            hosts_file(std::net::Ipv4Addr::new(127, 77, 9, 9), &["bench.invalid"]),
        )
        .expect("the hosts file");
        let private = PrivateHosts::new(&file).expect("a path without NUL");
        let mut command = std::process::Command::new("getent");
        command.args(["hosts", "bench.invalid"]);
        // SAFETY: `enter` makes system calls only.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut command, move || private.enter());
        }
        match command.output() {
            Ok(out) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(text.starts_with("127.77.9.9"), "{text}");
            }
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
            other => panic!("getent in a private namespace: {other:?}"),
        }
        // The benchmark's own /etc/hosts is untouched.
        let own = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        assert!(!own.contains("bench.invalid"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
