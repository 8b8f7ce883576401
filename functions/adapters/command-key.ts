// The stack's command key: the HMAC key with which the daily jobs sign their commands and the
// events consumer verifies them (shared/jobs/command-signature.ts). In AWS: the Secrets Manager
// secret named by COMMAND_KEY_SECRET (infra/constructs/command-key.ts), readable only by the jobs
// and the consumer. Locally: a file generated once, `MEMBERFLOW_COMMAND_KEY_FILE` or
// `<state dir>/command-key`, mode 600. Read once per container.
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { commandSigner, type CommandSigner } from '../../shared/jobs/command-signature';
import { readOrCreateLocalSalt } from './erasure-salt';

let cached: Promise<CommandSigner> | undefined;

export function localCommandKeyFile(): string {
  return (
    process.env.MEMBERFLOW_COMMAND_KEY_FILE ||
    path.join(process.env.MEMBERFLOW_STATE_DIR || path.join(process.cwd(), '.memberflow'), 'command-key')
  );
}

async function loadKey(): Promise<string> {
  // The same exclusive-create file as the erasure salt: 32 random bytes, hex.
  if (process.env.MEMBERFLOW_LOCAL === '1') return readOrCreateLocalSalt(localCommandKeyFile());
  const secretId = process.env.COMMAND_KEY_SECRET;
  if (!secretId) throw new Error('environment variable COMMAND_KEY_SECRET is not set');
  const client = new SecretsManagerClient({});
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!out.SecretString) throw new Error('the command key secret has no string value');
    return out.SecretString;
  } finally {
    client.destroy();
  }
}

/** Signs and verifies job commands with this stack's key. */
export function commandKey(): Promise<CommandSigner> {
  cached ??= loadKey()
    .then(commandSigner)
    .catch((error) => {
      cached = undefined; // a transient failure is retried by the next caller
      throw error;
    });
  return cached;
}

/** Test hook: forget the cached key. */
export function resetCommandKey(): void {
  cached = undefined;
}
