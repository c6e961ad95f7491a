// A TCP relay on 127.0.0.1 to the emulator that can be taken down (new connections are refused,
// open ones cut: the link is down) and brought back on the same port, so one client keeps one
// endpoint through an outage as a hub does.
import net from 'node:net';

/** A relay to the emulator that can be taken down (the link refuses) and brought back. */
export class Relay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private frozen = false;
  port = 0;

  constructor(private readonly target: number) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // One side gone, the other goes too, frozen or not: the kernel tells a stopped peer of a
      // connection closed on it, which it hears once it runs again.
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      client.once('close', () => this.pairs.delete(pair));
      if (!this.frozen) flow(pair);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /**
   * Dropbox stops answering (a hung server, a route that drops packets, the emulator stopped with
   * SIGSTOP): connections stay open and connect, but nothing is read from them any more, so a
   * request's bytes pile up in the socket buffers until the kernel takes no more, and no answer
   * comes back.
   */
  freeze(): void {
    this.frozen = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Dropbox answers again: what waited in the buffers flows on. */
  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) flow(pair);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function flow([client, upstream]: [net.Socket, net.Socket]): void {
  client.pipe(upstream).pipe(client);
}
