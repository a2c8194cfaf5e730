//! Login sessions that run inside a lease's sandbox.
//!
//! sshd runs the tenant's login shell, `loopin-session`, outside the sandbox. That shell never
//! executes tenant code: it connects to the lease's Unix socket, hands its stdin/stdout/stderr
//! over with `SCM_RIGHTS` together with the command ([`request_session`]), and exits with the
//! status it gets back. Inside the sandbox, the supervisor ([`supervise`]) accepts those
//! requests and starts the shell in a new session on the received descriptors.
//!
//! Wire format: client → supervisor, one `sendmsg` carrying `u32` LE length + JSON
//! [`SessionRequest`] with exactly three descriptors attached; supervisor → client, an `i32` LE
//! exit status (128 + signal for a killed session), then close. Anything else is refused.

use std::ffi::OsString;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt as _;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg};
use serde::{Deserialize, Serialize};

/// Largest JSON body of a request frame.
pub const MAX_FRAME: usize = 64 * 1024;
/// Where the root agent puts the lease sockets unless `LOOPIN_SESSION_DIR` says otherwise.
pub const DEFAULT_SESSION_DIR: &str = "/run/loopin-agent/sessions";
/// How long a connection may take to deliver its request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Environment variables a session may bring; `LC_*` is matched separately.
const ENV_ALLOWED: [&str; 6] = [
    "TERM",
    "LANG",
    "TZ",
    "SSH_CLIENT",
    "SSH_CONNECTION",
    "COLORTERM",
];
/// Most descriptors the kernel passes in one message (`SCM_MAX_FD`).
const SCM_MAX_FD: usize = 253;

/// What a login asks the supervisor to run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// `None` for an interactive login shell, otherwise the `-c` command.
    pub command: Option<String>,
    /// Forwarded environment (filtered by [`env_allowed`] on both ends).
    pub env: Vec<(String, String)>,
}

/// How the supervisor starts sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupervisorConfig {
    pub home: PathBuf,
    pub shell: PathBuf,
    pub user: String,
    pub path: String,
    /// Where the supervisor binds its socket itself (`--socket`); `None`: the listener is fd 3.
    pub socket: Option<PathBuf>,
}

impl SupervisorConfig {
    /// A configuration with the default shell (`/bin/bash`) and `PATH`.
    pub fn new(home: impl Into<PathBuf>, user: impl Into<String>) -> Self {
        Self {
            home: home.into(),
            shell: PathBuf::from("/bin/bash"),
            user: user.into(),
            path: "/usr/local/bin:/usr/bin:/bin".to_owned(),
            socket: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("usage: {0}")]
    Usage(String),
    #[error("this lease's sandbox is not running ({}): {source}", socket.display())]
    NotRunning { socket: PathBuf, source: io::Error },
    #[error("the lease's sandbox ended the session")]
    Ended,
    #[error("{0}")]
    Protocol(String),
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<nix::Error> for SessionError {
    fn from(e: nix::Error) -> Self {
        SessionError::Io(e.into())
    }
}

/// `dir/<user>.sock`.
pub fn socket_path(dir: &Path, user: &str) -> PathBuf {
    dir.join(user).join("sock")
}

/// Whether a variable may travel from the login into the session.
pub fn env_allowed(name: &str, value: &str) -> bool {
    let name_ok = ENV_ALLOWED.contains(&name)
        || (name.len() > 3
            && name.starts_with("LC_")
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    name_ok && !value.contains('\0')
}

/// The allowed part of `vars`.
pub fn filter_env(vars: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    vars.into_iter()
        .filter(|(k, v)| env_allowed(k, v))
        .collect()
}

/// Parses a login shell's arguments as sshd passes them: none, or `-c CMD`.
pub fn parse_login_args(args: &[OsString]) -> Result<Option<String>, SessionError> {
    match args {
        [] => Ok(None),
        [flag, cmd] if flag == "-c" => cmd
            .to_str()
            .map(|c| Some(c.to_owned()))
            .ok_or_else(|| SessionError::Usage("the command is not valid UTF-8".into())),
        _ => Err(SessionError::Usage(
            "loopin-session [-c COMMAND] (a login shell)".into(),
        )),
    }
}

/// The socket for the calling user: `$LOOPIN_SESSION_DIR` (or [`DEFAULT_SESSION_DIR`]) and the
/// name of `getuid()`'s account, never `$USER`.
pub fn current_user_socket() -> Result<PathBuf, SessionError> {
    let dir = std::env::var_os("LOOPIN_SESSION_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SESSION_DIR));
    let uid = nix::unistd::getuid();
    let user = nix::unistd::User::from_uid(uid)?
        .ok_or_else(|| SessionError::Protocol(format!("no account has uid {uid}")))?;
    Ok(socket_path(&dir, &user.name))
}

/// Connects to `socket` only if it is a socket of this process's own user, never through a
/// link: the lease's session directory is its tenant's to write, and a link there must not make
/// the login shell, outside the sandbox, hand its descriptors to something of the host's.
fn connect_own_socket(socket: &Path) -> io::Result<UnixStream> {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW)
        .open(socket)?;
    let meta = file.metadata()?;
    // SAFETY: getuid(2) cannot fail.
    let uid = unsafe { libc::getuid() };
    if !meta.file_type().is_socket() || meta.uid() != uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "not a socket of this account's own",
        ));
    }
    // The very inode checked, through its O_PATH descriptor.
    UnixStream::connect(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

/// Client mode: runs the login on `socket` and returns the exit code for the process.
pub fn run_client(socket: &Path, args: &[OsString]) -> i32 {
    let command = match parse_login_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("loopin-session: {e}");
            return 2;
        }
    };
    let request = SessionRequest {
        command,
        env: filter_env(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        ),
    };
    // SAFETY: 0, 1 and 2 stay open for the whole call; if one is closed the kernel refuses it.
    let fds = [0, 1, 2].map(|fd| unsafe { BorrowedFd::borrow_raw(fd) });
    match request_session(socket, &request, fds) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("loopin-session: {e}");
            if matches!(e, SessionError::Usage(_)) {
                2
            } else {
                255
            }
        }
    }
}

/// Hands `fds` (stdin, stdout, stderr) and `request` to the supervisor at `socket` and waits
/// for the session's exit status.
pub fn request_session(
    socket: &Path,
    request: &SessionRequest,
    fds: [BorrowedFd; 3],
) -> Result<i32, SessionError> {
    let body = serde_json::to_vec(request).map_err(|e| SessionError::Protocol(e.to_string()))?;
    if body.len() > MAX_FRAME {
        return Err(SessionError::Protocol("the request is too large".into()));
    }
    let len = u32::try_from(body.len()).map_err(|e| SessionError::Protocol(e.to_string()))?;
    let mut frame = len.to_le_bytes().to_vec();
    frame.extend_from_slice(&body);

    let mut conn = connect_own_socket(socket).map_err(|source| SessionError::NotRunning {
        socket: socket.to_owned(),
        source,
    })?;
    release_tty(fds[0]);

    let raw = fds.map(|fd| fd.as_raw_fd());
    let rights = [ControlMessage::ScmRights(&raw)];
    let sent = sendmsg::<()>(
        conn.as_raw_fd(),
        &[IoSlice::new(&frame)],
        &rights,
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    // A stream may take a large frame in pieces; the descriptors went with the first one.
    if sent < frame.len() {
        conn.write_all(&frame[sent..])?;
    }

    let mut status = [0u8; 4];
    match conn.read_exact(&mut status) {
        Ok(()) => Ok(i32::from_le_bytes(status)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(SessionError::Ended),
        Err(e) => Err(SessionError::Io(e)),
    }
}

/// On a terminal: survive the hangup of giving it up, and, as its session leader, give it up
/// so that the session inside the sandbox can make it its controlling terminal.
fn release_tty(stdin: BorrowedFd) {
    let fd = stdin.as_raw_fd();
    // SAFETY: plain syscalls on a borrowed descriptor; ignoring SIGHUP has no Rust state.
    unsafe {
        if libc::isatty(fd) != 1 {
            return;
        }
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        if libc::tcgetsid(fd) == libc::getpid() {
            libc::ioctl(fd, libc::TIOCNOTTY);
        }
    }
}

/// Serves session requests on `listener` forever, one thread per connection.
pub fn supervise(listener: UnixListener, config: &SupervisorConfig) -> Result<(), SessionError> {
    // Sessions must not inherit the listening socket.
    set_cloexec(listener.as_raw_fd())?;
    loop {
        let conn = match listener.accept() {
            Ok((conn, _)) => conn,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_transient_accept_error(&e) => {
                eprintln!("loopin-session: accept: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let config = config.clone();
        let spawned = std::thread::Builder::new()
            .name("loopin-session".into())
            .spawn(move || serve(conn, &config));
        if let Err(e) = spawned {
            eprintln!("loopin-session: cannot start a session thread: {e}");
        }
    }
}

fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ECONNABORTED)
    )
}

fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor the caller owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One connection: read the request, run the session, report its status.
fn serve(mut conn: UnixStream, config: &SupervisorConfig) {
    let (request, [stdin, stdout, stderr]) = match receive_request(&conn) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loopin-session: refused a connection: {e}");
            return;
        }
    };
    let status = run_session(&request, [stdin, stdout, stderr], config);
    // The client may be gone; nothing to do about it.
    let _ = conn.write_all(&status.to_le_bytes());
}

/// Reads one frame and its three descriptors; every descriptor received is closed on error.
fn receive_request(conn: &UnixStream) -> Result<(SessionRequest, [OwnedFd; 3]), SessionError> {
    conn.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let mut fds: Vec<OwnedFd> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 8192];
    let mut cmsg = nix::cmsg_space!([RawFd; SCM_MAX_FD], libc::ucred);
    loop {
        let need = match buf.get(..4) {
            None => 4,
            Some(head) => {
                let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
                if len > MAX_FRAME {
                    return Err(SessionError::Protocol(format!(
                        "oversized frame ({len} bytes)"
                    )));
                }
                4 + len
            }
        };
        if buf.len() >= need {
            break;
        }
        let want = (need - buf.len()).min(chunk.len());
        let mut iov = [IoSliceMut::new(&mut chunk[..want])];
        let (bytes, truncated) = {
            let msg = recvmsg::<()>(
                conn.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::MSG_CMSG_CLOEXEC,
            )
            .map_err(|e| SessionError::Protocol(format!("receive: {e}")))?;
            match msg.cmsgs() {
                Ok(cmsgs) => {
                    for c in cmsgs {
                        if let ControlMessageOwned::ScmRights(raw) = c {
                            // SAFETY: the kernel just installed these descriptors for us.
                            fds.extend(
                                raw.into_iter()
                                    .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                            );
                        }
                    }
                    (msg.bytes, false)
                }
                Err(_) => (msg.bytes, true),
            }
        };
        if truncated {
            return Err(SessionError::Protocol("control data truncated".into()));
        }
        if bytes == 0 {
            return Err(SessionError::Protocol(format!(
                "short frame ({} bytes)",
                buf.len()
            )));
        }
        buf.extend_from_slice(&chunk[..bytes]);
    }
    let request: SessionRequest = serde_json::from_slice(&buf[4..])
        .map_err(|e| SessionError::Protocol(format!("bad request: {e}")))?;
    let got = fds.len();
    let fds: [OwnedFd; 3] = fds
        .try_into()
        .map_err(|_| SessionError::Protocol(format!("expected 3 descriptors, got {got}")))?;
    conn.set_read_timeout(None)?;
    Ok((request, fds))
}

/// Starts the session and waits for it; 127 when the shell cannot be started.
fn run_session(request: &SessionRequest, fds: [OwnedFd; 3], config: &SupervisorConfig) -> i32 {
    let [stdin, stdout, stderr] = fds;
    let report_to = stderr.try_clone();
    let mut cmd = Command::new(&config.shell);
    match &request.command {
        None => {
            let name = config
                .shell
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sh".into());
            cmd.arg0(format!("-{name}"));
        }
        Some(command) => {
            cmd.arg("-c").arg(command);
        }
    }
    cmd.env_clear()
        .env("HOME", &config.home)
        .env("USER", &config.user)
        .env("LOGNAME", &config.user)
        .env("SHELL", &config.shell)
        .env("PATH", &config.path)
        .envs(filter_env(request.env.iter().cloned()))
        .current_dir(&config.home)
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr));
    // SAFETY: only async-signal-safe syscalls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::isatty(0) == 1 {
                // Not fatal: the session still runs, without job control.
                libc::ioctl(0, libc::TIOCSCTTY, 0);
            }
            Ok(())
        });
    }
    match cmd.spawn() {
        Ok(mut child) => {
            drop(report_to);
            drop(cmd); // closes the supervisor's copies of the session's descriptors
            match child.wait() {
                Ok(status) => exit_code(status),
                Err(e) => {
                    eprintln!("loopin-session: wait: {e}");
                    255
                }
            }
        }
        Err(e) => {
            if let Ok(fd) = report_to {
                let mut err = std::fs::File::from(fd);
                let _ = writeln!(
                    err,
                    "loopin-session: cannot start {}: {e}",
                    config.shell.display()
                );
            }
            127
        }
    }
}

/// The status a shell would report: the exit code, or 128 + the signal.
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 255,
    }
}

/// Supervisor mode: `--home H --user U [--shell S] [--path P]` (after `--supervise`), serving
/// the listening Unix socket inherited as fd 3. Returns the process exit code.
pub fn main_supervise(args: &[OsString]) -> i32 {
    let config = match parse_supervise_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("loopin-session: {e}");
            return 2;
        }
    };
    // Descriptors that the sandbox's builders left open (pasta's, bwrap's) are closed, so no
    // session inherits one.
    let first = if config.socket.is_some() { 3 } else { 4 };
    // SAFETY: close_range(2) on descriptors this process owns and does not use.
    unsafe { libc::syscall(libc::SYS_close_range, first as u32, u32::MAX, 0u32) };
    let listener = match &config.socket {
        // Bound by the supervisor itself: when it dies, nobody holds the socket and a login is
        // refused at once instead of waiting on a listener nobody serves.
        Some(path) => {
            let _ = std::fs::remove_file(path);
            let bound = UnixListener::bind(path).and_then(|listener| {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
                Ok(listener)
            });
            match bound {
                Ok(listener) => listener,
                Err(e) => {
                    eprintln!("loopin-session: {}: {e}", path.display());
                    return 2;
                }
            }
        }
        None => {
            if let Err(e) = check_listening_unix_socket(3) {
                eprintln!("loopin-session: fd 3 must be a listening Unix socket: {e}");
                return 2;
            }
            // SAFETY: fd 3 was checked to be a listening socket, handed to us by the agent.
            unsafe { UnixListener::from_raw_fd(3) }
        }
    };
    match supervise(listener, &config) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("loopin-session: supervisor: {e}");
            1
        }
    }
}

/// Parses `--home H --user U [--shell S] [--path P]`.
pub fn parse_supervise_args(args: &[OsString]) -> Result<SupervisorConfig, SessionError> {
    let usage = |what: String| {
        SessionError::Usage(format!(
            "{what}; loopin-session --supervise --home H --user U [--socket PATH] [--shell S] \
             [--path P]"
        ))
    };
    let (mut home, mut user, mut shell, mut path, mut socket) = (None, None, None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let flag = flag.to_string_lossy();
        let value = it
            .next()
            .ok_or_else(|| usage(format!("{flag} needs a value")))?;
        let text = || {
            value
                .to_str()
                .map(str::to_owned)
                .ok_or_else(|| usage(format!("{flag} is not UTF-8")))
        };
        match &*flag {
            "--home" => home = Some(PathBuf::from(value)),
            "--shell" => shell = Some(PathBuf::from(value)),
            "--user" => user = Some(text()?),
            "--path" => path = Some(text()?),
            "--socket" => socket = Some(PathBuf::from(value)),
            _ => return Err(usage(format!("unknown option {flag}"))),
        }
    }
    let home = home.ok_or_else(|| usage("--home is required".into()))?;
    let user = user.ok_or_else(|| usage("--user is required".into()))?;
    let mut config = SupervisorConfig::new(home, user);
    config.shell = shell.unwrap_or(config.shell);
    config.path = path.unwrap_or(config.path);
    config.socket = socket;
    Ok(config)
}

fn check_listening_unix_socket(fd: RawFd) -> Result<(), SessionError> {
    use nix::sys::socket::{
        AddressFamily, SockType, SockaddrLike, SockaddrStorage, getsockname, getsockopt, sockopt,
    };
    // SAFETY: only inspected here; ownership is taken after the checks pass.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let not = |what: &str| Err(SessionError::Protocol(format!("not {what}")));
    if getsockname::<SockaddrStorage>(fd)?.family() != Some(AddressFamily::Unix) {
        return not("a Unix socket");
    }
    if getsockopt(&borrowed, sockopt::SockType)? != SockType::Stream {
        return not("a stream socket");
    }
    if !getsockopt(&borrowed, sockopt::AcceptConn)? {
        return not("listening");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
