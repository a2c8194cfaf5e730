//! The session protocol, client and supervisor, over a real Unix socket.
use std::os::fd::AsFd;

use super::*;

/// A supervisor on a socket in a fresh directory, serving from a thread.
fn start_supervisor() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = socket_path(dir.path(), "lpn1");
    std::fs::create_dir(dir.path().join("lpn1")).expect("session dir");
    let listener = UnixListener::bind(&socket).expect("bind");
    let mut config = SupervisorConfig::new(dir.path(), "lpn1");
    config.shell = PathBuf::from("/bin/sh");
    std::thread::spawn(move || supervise(listener, &config));
    (dir, socket)
}

/// Runs `command` with pipes as its descriptors: (status, stdout, stderr).
fn run(socket: &Path, command: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let request = SessionRequest {
        command: Some(command.to_owned()),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let (in_r, in_w) = nix::unistd::pipe().expect("pipe");
    let (out_r, out_w) = nix::unistd::pipe().expect("pipe");
    let (err_r, err_w) = nix::unistd::pipe().expect("pipe");
    drop(in_w);
    let status = request_session(
        socket,
        &request,
        [in_r.as_fd(), out_w.as_fd(), err_w.as_fd()],
    )
    .expect("session");
    drop((in_r, out_w, err_w));
    let mut out = String::new();
    std::fs::File::from(out_r)
        .read_to_string(&mut out)
        .expect("read stdout");
    let mut err = String::new();
    std::fs::File::from(err_r)
        .read_to_string(&mut err)
        .expect("read stderr");
    (status, out, err)
}

#[test]
fn a_commands_output_and_exit_status_travel_back() {
    let (_dir, socket) = start_supervisor();
    let (status, out, _) = run(&socket, "echo hi; exit 3", &[]);
    assert_eq!((status, out.as_str()), (3, "hi\n"));
}

#[test]
fn a_session_killed_by_a_signal_reports_128_plus_the_signal() {
    let (_dir, socket) = start_supervisor();
    let (status, _, _) = run(&socket, "kill -9 $$", &[]);
    assert_eq!(status, 128 + 9);
}

#[test]
fn the_environment_is_the_allow_list_only() {
    let (dir, socket) = start_supervisor();
    let env = [
        ("LD_PRELOAD", "x"),
        ("FOO", "y"),
        ("TERM", "xterm"),
        ("LC_ALL", "C"),
    ];
    let script =
        r#"echo "T=$TERM P=${LD_PRELOAD-unset} F=${FOO-unset} L=$LC_ALL H=$HOME U=$USER"; pwd"#;
    let (status, out, _) = run(&socket, script, &env);
    assert_eq!(status, 0);
    let home = dir.path().display();
    assert_eq!(
        out,
        format!("T=xterm P=unset F=unset L=C H={home} U=lpn1\n{home}\n")
    );
}

fn assert_refused(socket: &Path, bytes: &[u8]) {
    let mut conn = UnixStream::connect(socket).expect("connect");
    conn.write_all(bytes).expect("write");
    conn.shutdown(std::net::Shutdown::Write).expect("shutdown");
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).expect("read");
    assert!(reply.is_empty(), "garbage got a reply: {reply:?}");
}

#[test]
fn garbage_on_the_socket_is_refused_and_the_supervisor_still_serves() {
    let (_dir, socket) = start_supervisor();
    assert_refused(&socket, b"\x07\x00\x00\x00garbage");
    assert_refused(&socket, &[0xde, 0xad]);
    assert_refused(&socket, &(1u32 << 30).to_le_bytes());
    let body = br#"{"command":"true","env":[]}"#;
    let mut frame = (body.len() as u32).to_le_bytes().to_vec();
    frame.extend_from_slice(body);
    assert_refused(&socket, &frame);
    // The right frame with only two descriptors.
    let conn = UnixStream::connect(&socket).expect("connect");
    send_frame(&conn, &frame, &[0, 1]);
    let mut reply = Vec::new();
    (&conn).read_to_end(&mut reply).expect("read");
    assert!(reply.is_empty());
    // An unknown field, and bad JSON: refused, and the descriptors sent are closed.
    for body in [&br#"{"command":"true","env":[],"uid":0}"#[..], b"{not json"] {
        let (reply, closed) = run_json(&socket, body);
        assert!(reply.is_empty() && closed);
    }

    let (status, out, _) = run(&socket, "echo still", &[]);
    assert_eq!((status, out.as_str()), (0, "still\n"));
}

/// Sends `frame` on `conn` with `fds` attached, in one message.
fn send_frame(conn: &UnixStream, frame: &[u8], fds: &[RawFd]) {
    sendmsg::<()>(
        conn.as_raw_fd(),
        &[IoSlice::new(frame)],
        &[ControlMessage::ScmRights(fds)],
        MsgFlags::empty(),
        None,
    )
    .expect("sendmsg");
}

/// Sends a raw JSON body with three descriptors (a pipe's ends); returns the reply bytes
/// and whether the supervisor has closed its copies of the pipe's write end.
fn run_json(socket: &Path, body: &[u8]) -> (Vec<u8>, bool) {
    let conn = UnixStream::connect(socket).expect("connect");
    let mut frame = (body.len() as u32).to_le_bytes().to_vec();
    frame.extend_from_slice(body);
    let (r, w) = nix::unistd::pipe().expect("pipe");
    send_frame(
        &conn,
        &frame,
        &[r.as_raw_fd(), w.as_raw_fd(), w.as_raw_fd()],
    );
    let mut reply = Vec::new();
    (&conn).read_to_end(&mut reply).expect("read");
    drop(w);
    // SAFETY: fcntl on a pipe this test owns.
    unsafe { libc::fcntl(r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let closed = matches!(std::fs::File::from(r).read(&mut [0u8; 1]), Ok(0));
    (reply, closed)
}

#[test]
fn a_shell_that_cannot_start_reports_127() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = socket_path(dir.path(), "lpn2");
    std::fs::create_dir(dir.path().join("lpn2")).expect("session dir");
    let listener = UnixListener::bind(&socket).expect("bind");
    let mut config = SupervisorConfig::new(dir.path(), "lpn2");
    config.shell = dir.path().join("no-such-shell");
    std::thread::spawn(move || supervise(listener, &config));
    let (status, _, err) = run(&socket, "true", &[]);
    assert_eq!(status, 127);
    assert!(err.contains("cannot start"), "{err}");
}

#[test]
fn the_clients_usage_errors_exit_2() {
    let socket = Path::new("/nonexistent/lpn1.sock");
    assert_eq!(run_client(socket, &["-x".into()]), 2);
    assert_eq!(run_client(socket, &["-c".into()]), 2);
    assert_eq!(
        run_client(socket, &["-c".into(), "true".into(), "extra".into()]),
        2
    );
}

#[test]
fn a_missing_socket_gives_exit_255() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = socket_path(dir.path(), "lpn1");
    assert_eq!(run_client(&socket, &["-c".into(), "true".into()]), 255);
}

#[test]
fn a_link_where_the_socket_should_be_is_not_followed() {
    // A real supervisor elsewhere, as a host service's socket would be.
    let (_elsewhere, target) = start_supervisor();
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = socket_path(dir.path(), "lpn1");
    std::fs::create_dir(dir.path().join("lpn1")).expect("session dir");
    std::os::unix::fs::symlink(&target, &socket).expect("symlink");
    let (r, w) = nix::unistd::pipe().expect("pipe");
    let request = SessionRequest {
        command: Some("true".into()),
        env: vec![],
    };
    let refused = request_session(&socket, &request, [r.as_fd(), w.as_fd(), w.as_fd()]);
    assert!(
        matches!(refused, Err(SessionError::NotRunning { .. })),
        "{refused:?}"
    );
    // The same supervisor through its own path serves.
    assert_eq!(run(&target, "true", &[]).0, 0);
}

#[test]
fn sshd_login_arguments_parse() {
    assert_eq!(parse_login_args(&[]).ok(), Some(None));
    let args: Vec<OsString> = vec!["-c".into(), "ls -l".into()];
    assert_eq!(parse_login_args(&args).ok(), Some(Some("ls -l".into())));
    assert_eq!(
        socket_path(Path::new("/run/s"), "lpn7"),
        PathBuf::from("/run/s/lpn7/sock")
    );
}

#[test]
fn supervisor_arguments_parse() {
    let args: Vec<OsString> = [
        "--home",
        "/home/lpn1",
        "--user",
        "lpn1",
        "--shell",
        "/bin/sh",
    ]
    .map(OsString::from)
    .to_vec();
    let config = parse_supervise_args(&args).expect("parse");
    assert_eq!(config.shell, PathBuf::from("/bin/sh"));
    assert_eq!(config.path, "/usr/local/bin:/usr/bin:/bin");
    assert!(parse_supervise_args(&args[..2]).is_err());
    assert!(parse_supervise_args(&["--home".into()]).is_err());
}
