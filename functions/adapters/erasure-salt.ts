// The stack's secret salt for salted hashes of member ids. In AWS: the Secrets Manager secret
// named by ERASURE_SALT_SECRET (infra/constructs/erasure-salt.ts). Locally: a file generated once,
// `MEMBERFLOW_ERASURE_SALT_FILE` or `<state dir>/erasure-salt` (state dir: MEMBERFLOW_STATE_DIR
// or `.memberflow`), mode 600. Read once per container.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { idHasher, type IdHasher } from '../../shared/privacy/salted-hash';

let cached: Promise<string> | undefined;

export function localSaltFile(): string {
  return (
    process.env.MEMBERFLOW_ERASURE_SALT_FILE ||
    path.join(process.env.MEMBERFLOW_STATE_DIR || path.join(process.cwd(), '.memberflow'), 'erasure-salt')
  );
}

/** Reads the local salt file, creating it first if absent (exclusive create: two racers agree). */
export function readOrCreateLocalSalt(file = localSaltFile()): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8').trim();
}

async function loadSalt(): Promise<string> {
  if (process.env.MEMBERFLOW_LOCAL === '1') return readOrCreateLocalSalt();
  const secretId = process.env.ERASURE_SALT_SECRET;
  if (secretId) {
    const client = new SecretsManagerClient({});
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (!out.SecretString) throw new Error('the erasure salt secret has no string value');
      return out.SecretString;
    } finally {
      client.destroy();
    }
  }
  throw new Error('environment variable ERASURE_SALT_SECRET is not set');
}

export function erasureSalt(): Promise<string> {
  cached ??= loadSalt().catch((error) => {
    cached = undefined; // a transient failure is retried by the next caller
    throw error;
  });
  return cached;
}

/** The salted-hash function of this stack. */
export async function memberIdHasher(): Promise<IdHasher> {
  return idHasher(await erasureSalt());
}

/** Test hook: forget the cached salt. */
export function resetErasureSalt(): void {
  cached = undefined;
}
