// What sockets processes hold open for others to reach: TCP in LISTEN and every UDP socket, read
// from /proc (what `ss -ltnup` reads), for the checks that nothing RDL Sync runs listens.
import fs from 'node:fs';

/** "127.0.0.1:port" from /proc/net's hex address (IPv4 little-endian, IPv6 as 4 such words). */
function address(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  const p = parseInt(port, 16);
  if (ip.length === 8) {
    const bytes = ip
      .match(/../g)!
      .map((b) => parseInt(b, 16))
      .reverse();
    return `${bytes.join('.')}:${p}`;
  }
  return `[${ip}]:${p}`;
}

/**
 * TCP sockets in LISTEN and every UDP socket held by these processes, as "tcp 127.0.0.1:port":
 * socket inodes from /proc/<pid>/fd, matched with /proc/net (what `ss -ltnup` reads).
 */
export function listeners(pids: number[]): string[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited meanwhile
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  const found: string[] = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const rows = fs.readFileSync(`/proc/net/${proto}`, 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      const cols = row.trim().split(/\s+/);
      const [local, state, inode] = [cols[1]!, cols[3]!, cols[9]!];
      const listening = proto.startsWith('udp') || state === '0A';
      if (listening && inodes.has(inode)) found.push(`${proto.slice(0, 3)} ${address(local)}`);
    }
  }
  return found.sort();
}
