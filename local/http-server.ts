/**
 * Listening and closing for every HTTP server of the local runtime: each binds 127.0.0.1 only, so nothing
 * of the runtime is reachable from another machine.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1 (`port` 0: any free port) and answers the port; rejects when it cannot (e.g. taken). */
export function listenLocally(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Closes the server and its open connections (keep-alive clients would hold it open otherwise).
 * @param options.ignoreErrors - resolve even if close fails (e.g. the server was not running)
 */
export function closeServer(
  server: Server,
  options: { readonly ignoreErrors?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error && !options.ignoreErrors ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
