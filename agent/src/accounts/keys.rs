//! Tenants' authorized keys, kept outside their homes: `<keys_dir>/<user>`, owned by root,
//! readable by the account's group only, written by the agent alone. A tenant can write its own
//! home, so a key file there could be rewritten without `restrict` (forwarding to the host's
//! loopback, a `~/.ssh/rc` run by sshd outside the sandbox). sshd_config points
//! `AuthorizedKeysFile` here (docs/agent.md).

use super::error::AccountError;
use loopin::access::SshPublicKey;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// Options every installed key carries: no forwarding of any kind (the prover's port and the
/// host's loopback stay out of reach), no `~/.ssh/rc`; a terminal is allowed.
pub const KEY_OPTIONS: &str = "restrict,pty";

/// The key file of `user` in `keys_dir`.
pub fn key_path(keys_dir: &Path, user: &str) -> PathBuf {
    keys_dir.join(user)
}

/// Writes `<keys_dir>/<user>` holding exactly `key` with [`KEY_OPTIONS`]: root's, mode 0640,
/// group `gid` (sshd reads it as the user). Refuses a symlinked directory or file, so nothing
/// else can be written through it.
pub fn install_key(
    keys_dir: &Path,
    user: &str,
    gid: u32,
    key: &SshPublicKey,
) -> Result<(), AccountError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |e| AccountError::Io(path, e)
    };
    match DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(keys_dir)
    {
        Ok(()) => {}
        Err(e) => return Err(io(keys_dir)(e)),
    }
    let meta = std::fs::symlink_metadata(keys_dir).map_err(io(keys_dir))?;
    if !meta.file_type().is_dir() {
        return Err(AccountError::UnsafePath(keys_dir.to_path_buf()));
    }
    let path = key_path(keys_dir, user);
    let partial = keys_dir.join(format!(".{user}.partial"));
    let _ = std::fs::remove_file(&partial);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&partial)
        .map_err(io(&partial))?;
    writeln!(file, "{KEY_OPTIONS} {}", key.to_openssh()).map_err(io(&partial))?;
    std::os::unix::fs::fchown(&file, Some(0), Some(gid)).map_err(io(&partial))?;
    file.sync_all().map_err(io(&partial))?;
    // rename(2) replaces a symlink at `path` itself, never its target.
    std::fs::rename(&partial, &path).map_err(io(&path))
}

/// Removes `user`'s key file. Removing a missing one succeeds.
pub fn remove_key(keys_dir: &Path, user: &str) -> Result<(), AccountError> {
    let path = key_path(keys_dir, user);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(AccountError::Io(path.display().to_string(), e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt as _;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5 c@l";

    #[test]
    fn the_key_is_installed_alone_with_restrictions_and_owned_by_root() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        std::fs::write(keys.join("lpn7"), "ssh-ed25519 AAAA old-key\n").unwrap();
        let key = SshPublicKey::parse(KEY).unwrap();
        install_key(&keys, "lpn7", 4242, &key).unwrap();
        let path = keys.join("lpn7");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("restrict,pty {}\n", key.to_openssh())
        );
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid(), meta.mode() & 0o777),
            (0, 4242, 0o640)
        );
        remove_key(&keys, "lpn7").unwrap();
        assert!(!path.exists());
        remove_key(&keys, "lpn7").unwrap();
    }

    #[test]
    fn a_symlinked_keys_dir_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::os::unix::fs::symlink(elsewhere.path(), &keys).unwrap();
        let key = SshPublicKey::parse(KEY).unwrap();
        assert!(matches!(
            install_key(&keys, "lpn7", 0, &key),
            Err(AccountError::UnsafePath(_))
        ));
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_symlink_at_the_key_file_is_replaced_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let target = dir.path().join("shadow");
        std::fs::write(&target, "precious").unwrap();
        std::os::unix::fs::symlink(&target, keys.join("lpn7")).unwrap();
        let key = SshPublicKey::parse(KEY).unwrap();
        install_key(&keys, "lpn7", 0, &key).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        assert!(
            !std::fs::symlink_metadata(keys.join("lpn7"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
}
