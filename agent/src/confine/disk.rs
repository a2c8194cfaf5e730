//! A lease's home: an ext4 image of the lease's size, loop-mounted at the account's home, so a
//! tenant that fills its disk fills only its own (no quota support needed from the host's
//! filesystem). Removed with the lease: unmounted, then deleted.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a home could not be made or removed.
#[derive(thiserror::Error, Debug)]
pub enum DiskError {
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{command} failed: {stderr}")]
    Command { command: String, stderr: String },
}

fn run(program: &str, args: &[&str]) -> Result<(), DiskError> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| DiskError::Io(program.into(), e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(DiskError::Command {
        command: format!("{program} {}", args.join(" ")),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

/// Whether something is mounted at `path` (from `/proc/self/mountinfo`).
pub fn mounted(path: &Path) -> bool {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let wanted = path.to_string_lossy();
    mountinfo
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .any(|mount| mount == wanted)
}

/// The image at `image` of `bytes`, owned inside by `uid:gid`, mounted at `home` (made if
/// missing; kept with its files if already there, as after an agent restart).
pub fn mount_home(
    image: &Path,
    home: &Path,
    bytes: u64,
    uid: u32,
    gid: u32,
) -> Result<(), DiskError> {
    if mounted(home) {
        return Ok(());
    }
    if let Some(dir) = image.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DiskError::Io(dir.into(), e))?;
    }
    if !image.exists() {
        let partial = image.with_extension("partial");
        let file =
            std::fs::File::create(&partial).map_err(|e| DiskError::Io(partial.clone(), e))?;
        file.set_len(bytes)
            .map_err(|e| DiskError::Io(partial.clone(), e))?;
        drop(file);
        let owner = format!("root_owner={uid}:{gid}");
        let path = partial.to_string_lossy().to_string();
        // No blocks reserved for root: the tenant gets the size it leased.
        run("mkfs.ext4", &["-q", "-F", "-m", "0", "-E", &owner, &path])?;
        std::fs::rename(&partial, image).map_err(|e| DiskError::Io(image.into(), e))?;
    }
    std::fs::create_dir_all(home).map_err(|e| DiskError::Io(home.into(), e))?;
    run(
        "mount",
        &[
            "-o",
            "loop,nosuid,nodev",
            &image.to_string_lossy(),
            &home.to_string_lossy(),
        ],
    )?;
    std::os::unix::fs::chown(home, Some(uid), Some(gid))
        .map_err(|e| DiskError::Io(home.into(), e))?;
    std::fs::set_permissions(home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(|e| DiskError::Io(home.into(), e))?;
    let lost = home.join("lost+found");
    let _ = std::fs::remove_dir(lost);
    Ok(())
}

/// Unmounts `home` (lazily if a process of the account still holds it) and deletes `image`.
/// Removing a missing home succeeds.
pub fn remove_home(image: &Path, home: &Path) -> Result<(), DiskError> {
    if mounted(home) {
        let path = home.to_string_lossy().to_string();
        if run("umount", &[&path]).is_err() {
            run("umount", &["--lazy", &path])?;
        }
    }
    for file in [image.to_path_buf(), image.with_extension("partial")] {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(DiskError::Io(file, e));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Mounts a tmpfs of its own at `dir` (made if missing), owned by `uid:gid`, mode 0700, 64 KiB
/// and 16 inodes: a lease's session directory, which its tenant can write from inside its
/// sandbox, so that it can neither fill the host's /run nor grow a tree the agent must walk.
pub fn mount_session_dir(dir: &Path, uid: u32, gid: u32) -> Result<(), DiskError> {
    unmount_dir(dir)?;
    std::fs::create_dir_all(dir).map_err(|e| DiskError::Io(dir.into(), e))?;
    let options =
        format!("size=64k,nr_inodes=16,mode=0700,uid={uid},gid={gid},nosuid,nodev,noexec");
    run(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            &options,
            "tmpfs",
            &dir.to_string_lossy(),
        ],
    )
}

/// Unmounts what is mounted at `dir` (lazily if busy) and removes the empty mount point.
/// Removing a missing one succeeds.
pub fn unmount_dir(dir: &Path) -> Result<(), DiskError> {
    while mounted(dir) {
        let path = dir.to_string_lossy().to_string();
        if run("umount", &[&path]).is_err() {
            run("umount", &["--lazy", &path])?;
        }
    }
    match std::fs::remove_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DiskError::Io(dir.into(), e)),
        _ => Ok(()),
    }
}
