// A free port picked for a local service can be taken by another process before the service binds
// it (a CI run failed so: DynamoDB Local "Failed to bind to /127.0.0.1:37847"). Each service's real
// bind failure is recognised, and the service is started again on another port.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../infra/local/engine/aws';
import { LOOPBACK, PORT_ENV, freePort, isBindFailure, startOnPort } from '../../infra/local/engine/ports';
import { startDynamoDbLocal, startKinesisMock, startS3, stopGroup } from '../../infra/local/engine/processes';

const held: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(held.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A port another process holds on loopback, as a racing neighbour would: it accepts and never answers. */
async function takenPort(): Promise<number> {
  const srv = net.createServer((socket) => sockets.push(socket));
  held.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, LOOPBACK, resolve));
  return (srv.address() as net.AddressInfo).port;
}

/** Picks the taken port first, then free ones; counts the picks. */
function racingPicker(taken: number) {
  const picks: number[] = [];
  return {
    picks,
    pick: async () => {
      const port = picks.length === 0 ? taken : await freePort();
      picks.push(port);
      return port;
    },
  };
}

describe('local services on a port taken after it was picked', () => {
  it('DynamoDB Local fails to bind, recognisably, and starts on the next port', async () => {
    const taken = await takenPort();
    const failure = await startDynamoDbLocal(taken, 60_000).then(
      (s) => stopGroup(s.info.pgid).then(() => null),
      (err: unknown) => err,
    );
    expect(failure).not.toBeNull();
    expect(isBindFailure(failure)).toBe(true);

    const { picks, pick } = racingPicker(taken);
    const { port, started } = await startOnPort(undefined, PORT_ENV.dynamodb, (p) => startDynamoDbLocal(p, 60_000), pick);
    try {
      expect(picks).toHaveLength(2);
      expect(port).toBe(picks[1]);
      expect(started.endpoint).toBe(`http://${LOOPBACK}:${picks[1]}`);
    } finally {
      await stopGroup(started.info.pgid);
    }
  }, 120_000);

  it('kinesis-mock and s3rver too', async () => {
    const taken = await takenPort();
    const kin = racingPicker(taken);
    const k = await startOnPort(undefined, PORT_ENV.kinesis, (p) => startKinesisMock(p, 60_000), kin.pick);
    await stopGroup(k.started.info.pgid);
    expect(kin.picks).toEqual([taken, k.port]);

    const s3 = racingPicker(taken);
    const s = await startOnPort(undefined, PORT_ENV.s3, (p) => startS3(p), s3.pick);
    await s.started.stop();
    expect(s3.picks).toEqual([taken, s.port]);
  }, 120_000);

  it('a fixed port that is taken is an error naming its variable, never another port', async () => {
    const taken = await takenPort();
    let starts = 0;
    await expect(
      startOnPort(taken, PORT_ENV.dynamodb, async () => {
        starts++;
      }),
    ).rejects.toThrow(`port ${taken} is in use; set MEMBERFLOW_DYNAMODB_PORT`);
    expect(starts).toBe(0);
  });

  it('a failure other than binding is not retried', async () => {
    let starts = 0;
    await expect(
      startOnPort(undefined, PORT_ENV.kinesis, async () => {
        starts++;
        throw new Error('kinesis-mock exited with code 1: out of memory');
      }),
    ).rejects.toThrow('out of memory');
    expect(starts).toBe(1);
  });

  it('a wait for a service that never answers ends at its deadline, not never', async () => {
    await expect(waitFor(() => new Promise<never>(() => undefined), 200, 'a silent neighbour')).rejects.toThrow(
      'timed out after 200 ms waiting for a silent neighbour: no answer within',
    );
  });

  it('gives up after a few taken ports', async () => {
    const taken = await takenPort();
    let starts = 0;
    await expect(
      startOnPort(
        undefined,
        PORT_ENV.s3,
        async (p) => {
          starts++;
          await startS3(p);
        },
        async () => taken,
      ),
    ).rejects.toSatisfy(isBindFailure);
    expect(starts).toBe(4);
  });
});
