// A TCP proxy in front of a shared server (Prometheus, VictoriaMetrics): closing it is an outage for whoever talks
// through it, without stopping the server other tests use.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Stops listening and cuts every open connection: clients get ECONNREFUSED / ECONNRESET. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
  stop(): Promise<void>;
}

/** A proxy on a free local port forwarding to `target` (host:port). */
export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const close = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { port, close, open: listen, stop: close };
}
