// docs/commands.md: the local stack listens on loopback only. DynamoDB Local and kinesis-mock bind
// every interface by themselves (no host option): a network neighbour could read member data past
// the API token. Checked on the sockets themselves (/proc/net/tcp*) and by connecting through this
// machine's other addresses, which must be refused.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalProcesses, type LocalProcesses } from '../../infra/local/engine/processes';

let procs: LocalProcesses;
let ports: Record<string, number>;

beforeAll(async () => {
  procs = await startLocalProcesses({ readyTimeoutMs: 120_000 });
  ports = Object.fromEntries(Object.entries(procs.endpoints).map(([name, url]) => [name, Number(new URL(url).port)]));
}, 180_000);
afterAll(() => procs?.stop());

/** Local addresses of the listening TCP sockets on `port`, from /proc/net/tcp and tcp6 (hex, as the kernel writes them). */
function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [address, hexPort] = cols[1].split(':');
      if (parseInt(hexPort, 16) === port) out.push(address);
    }
  }
  return out;
}

/** 127.0.0.1 (as /proc writes it, little-endian), ::1, or ::ffff:127.0.0.1. */
const LOOPBACK_HEX = new Set(['0100007F', '00000000000000000000000001000000', '0000000000000000FFFF00000100007F']);

function otherAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the local services listen on loopback only', () => {
  it.runIf(process.platform === 'linux')('every listening socket of DynamoDB Local, kinesis-mock and s3rver is bound to loopback', () => {
    for (const [name, port] of Object.entries(ports)) {
      const addresses = listeningAddresses(port);
      expect(addresses.length, `${name} listens on ${port}`).toBeGreaterThan(0);
      expect(
        addresses.filter((a) => !LOOPBACK_HEX.has(a)),
        `${name} on port ${port} listens beyond loopback`,
      ).toEqual([]);
    }
  });

  it('answers on 127.0.0.1 and refuses connections through the machine’s other addresses', async () => {
    for (const [name, port] of Object.entries(ports)) {
      expect(await connects('127.0.0.1', port), `${name} on 127.0.0.1:${port}`).toBe(true);
      for (const address of otherAddresses()) expect(await connects(address, port), `${name} on ${address}:${port}`).toBe(false);
    }
  });
});
