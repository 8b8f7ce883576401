// Ports of the local services. A free port is found by binding port 0 and closing it again, so
// another process on the machine (a parallel test file, another stack) can take it before the
// service binds it: a service started on a port picked that way is started again on another one
// when it fails to bind.
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Env var that pins each port, named in "port in use" errors. */
export const PORT_ENV = {
  dynamodb: 'MEMBERFLOW_DYNAMODB_PORT',
  kinesis: 'MEMBERFLOW_KINESIS_PORT',
  s3: 'MEMBERFLOW_S3_PORT',
  api: 'MEMBERFLOW_API_PORT',
} as const;

/** Attempts at a picked port before the bind failure is reported. */
const BIND_ATTEMPTS = 4;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, LOOPBACK, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves `port` (0 = pick a free one); throws a clear error when a fixed port is taken. */
export async function claimPort(port: number | undefined, envName: string): Promise<number> {
  if (!port) return freePort();
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} is in use; set ${envName}`) : err),
    );
    // Probe the wildcard address: a port taken on any interface is taken for us too.
    srv.listen(port, () => srv.close(() => resolve()));
  });
  return port;
}

/**
 * A service that could not listen because its port was taken: Node's EADDRINUSE (s3rver,
 * kinesis-mock) or Jetty's "Failed to bind" (DynamoDB Local), in the error or the child's output.
 */
export function isBindFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (e?.code === 'EADDRINUSE') return true;
  return /EADDRINUSE|Failed to bind|Address already in use/i.test(String(e?.message ?? err));
}

/**
 * Starts a service on `requested` (a fixed port: once, a clear error when taken), or on a free
 * port, picking another when the picked one was taken before the service bound it.
 */
export async function startOnPort<T>(
  requested: number | undefined,
  envName: string,
  start: (port: number) => Promise<T>,
  pick: () => Promise<number> = freePort,
): Promise<{ port: number; started: T }> {
  if (requested) {
    const port = await claimPort(requested, envName);
    return { port, started: await start(port) };
  }
  for (let attempt = 1; ; attempt++) {
    const port = await pick();
    try {
      return { port, started: await start(port) };
    } catch (err) {
      if (attempt >= BIND_ATTEMPTS || !isBindFailure(err)) throw err;
    }
  }
}
