//! `cosmic-floor`: the kernel's cost of a fan-out on this machine, the floor under any server.
//!
//! `send` accepts `--clients` TCP connections and, at `--hz`, writes one pre-built WebSocket binary frame
//! of `--bytes` (header included) to each — one `write` per frame, nothing else: no encoding, no queues,
//! no timers per connection. It prints its own CPU time per frame written. `recv` (a second process, as
//! the load generator is) opens the connections from 127.0.0.x source addresses and discards what
//! arrives. Loopback only; both stop by themselves.
//!
//! ```text
//! cosmic-floor send --listen 127.0.0.1:18090 --clients 2000 --bytes 682 --hz 20 --seconds 30
//! cosmic-floor recv --connect 127.0.0.1:18090 --clients 2000 --source-ips 50
//! ```

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use tokio::io::AsyncReadExt;

#[derive(Debug, Parser)]
#[command(
    name = "cosmic-floor",
    about = "The kernel's cost of a WebSocket fan-out on loopback"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Accept the connections, then write one frame per connection per tick; print CPU per frame.
    Send {
        #[arg(long, default_value = "127.0.0.1:18090")]
        listen: SocketAddr,
        #[arg(long, default_value_t = 2000)]
        clients: usize,
        /// Bytes of each frame on the wire, WebSocket header included.
        #[arg(long, default_value_t = 682)]
        bytes: usize,
        #[arg(long, default_value_t = 20)]
        hz: u32,
        /// Measured seconds, once every connection is in.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Give up when the connections have not all arrived after this long.
        #[arg(long, default_value_t = 60)]
        accept_timeout: u64,
    },
    /// Open the connections and discard what arrives, until the sender closes them.
    Recv {
        #[arg(long, default_value = "127.0.0.1:18090")]
        connect: SocketAddr,
        #[arg(long, default_value_t = 2000)]
        clients: usize,
        /// Spread the connections over 127.0.0.1..=127.0.0.K (each address has its own ports).
        #[arg(long, default_value_t = 50)]
        source_ips: u8,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Send {
            listen,
            clients,
            bytes,
            hz,
            seconds,
            accept_timeout,
        } => send(listen, clients, bytes, hz, seconds, accept_timeout),
        Command::Recv {
            connect,
            clients,
            source_ips,
        } => recv(connect, clients, source_ips),
    }
}

/// A server → client binary frame (unmasked) of `total` bytes in all.
fn frame(total: usize) -> Vec<u8> {
    let header = match total {
        0..=127 => 2,
        128..=65_539 => 4,
        _ => 10,
    };
    let len = total.saturating_sub(header);
    let mut out = Vec::with_capacity(total);
    out.push(0x82);
    match header {
        2 => out.push(len as u8),
        4 => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend((0..len).map(|i| (i * 31 % 251) as u8));
    out
}

/// This process's user + system CPU seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line (indexes 11 and 12 after the name), in USER_HZ
    // ticks: 100 per second on Linux, whatever the kernel's own HZ.
    let hz = 100.0;
    (ticks(11) + ticks(12)) / hz
}

fn send(
    listen: SocketAddr,
    clients: usize,
    bytes: usize,
    hz: u32,
    seconds: u64,
    accept_timeout: u64,
) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + Duration::from_secs(accept_timeout);
    let mut conns = Vec::with_capacity(clients);
    while conns.len() < clients {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false)?;
                s.set_nodelay(true)?;
                conns.push(s);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "only {} of {clients} connections arrived",
                    conns.len()
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e).context("accept"),
        }
    }
    let frame = frame(bytes);
    let period = Duration::from_secs_f64(1.0 / f64::from(hz.max(1)));
    let ticks = seconds * u64::from(hz);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let mut written = 0u64;
    let mut failed = 0u64;
    for tick in 0..ticks {
        for c in &mut conns {
            match c.write_all(&frame) {
                Ok(()) => written += 1,
                Err(_) => failed += 1,
            }
        }
        let next = started + period * (tick as u32 + 1);
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let cpu = cpu_seconds() - cpu0;
    let wall = started.elapsed().as_secs_f64();
    drop(conns);
    let out = serde_json::json!({
        "mode": "floor",
        "clients": clients,
        "frame_bytes": frame.len(),
        "hz": hz,
        "frames_written": written,
        "write_failures": failed,
        "wall_s": wall,
        "floor_cpu_s": cpu,
        "floor_cpu_us_per_frame": cpu * 1e6 / written.max(1) as f64,
    });
    #[allow(clippy::print_stdout)] // the figures are this command's output
    {
        println!("{out}");
    }
    Ok(())
}

fn recv(connect: SocketAddr, clients: usize, source_ips: u8) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mut tasks = Vec::with_capacity(clients);
        for i in 0..clients {
            let last = 1 + (i % usize::from(source_ips.max(1))) as u8;
            let source = SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), 0));
            let mut stream = connect_from(source, connect)
                .await
                .with_context(|| format!("connection {i} to {connect}"))?;
            tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut total = 0u64;
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                }
                total
            }));
        }
        let mut total = 0u64;
        for t in tasks {
            total += t.await.unwrap_or(0);
        }
        #[allow(clippy::print_stdout)] // the figures are this command's output
        {
            println!(
                "{}",
                serde_json::json!({"mode": "floor_recv", "bytes_received": total})
            );
        }
        Ok(())
    })
}

/// Connects from `source`, retrying for up to 10 s while the sender is not listening yet.
async fn connect_from(
    source: SocketAddr,
    to: SocketAddr,
) -> std::io::Result<tokio::net::TcpStream> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(source)?;
        match socket.connect(to).await {
            Err(e)
                if e.kind() == std::io::ErrorKind::ConnectionRefused
                    && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}
