// The local stack's function environment: template variables resolved to local names; the secrets
// the handlers read from local files are dropped without the start-up warning (npm start's noise).
import { describe, expect, it } from 'vitest';
import { functionEnvironment, type LocalNames } from '../../infra/local/engine/resources';

const names: LocalNames = {
  tables: { MembersTable: 'p-MembersTable' },
  streams: {},
  buckets: {},
  functions: {},
  tableStreamArns: {},
  streamArns: {},
};
const endpoints = { dynamodb: 'http://127.0.0.1:1', kinesis: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:3' };
// As CDK synthesises a secret's name from its ARN (a resource the local stack does not create).
const secretName = (id: string) => ({ 'Fn::Join': ['-', [{ 'Fn::Select': [0, { 'Fn::Split': ['-', { Ref: id }] }] }]] });

describe('functionEnvironment', () => {
  it('drops the file-backed secrets silently and still warns about any other unresolvable variable', () => {
    const warnings: string[] = [];
    const env = functionEnvironment(
      {
        MEMBERS_TABLE: { Ref: 'MembersTable' },
        ERASURE_SALT_SECRET: secretName('ErasureSaltSecret'),
        COMMAND_KEY_SECRET: secretName('CommandKeySecret'),
        OTHER_SECRET: secretName('OtherSecret'),
      },
      names,
      endpoints,
      (m) => warnings.push(m),
    );
    expect(env.MEMBERS_TABLE).toBe('p-MembersTable');
    expect(env.MEMBERFLOW_LOCAL).toBe('1'); // the handlers then read the salt and key from files
    expect(env).not.toHaveProperty('ERASURE_SALT_SECRET');
    expect(env).not.toHaveProperty('COMMAND_KEY_SECRET');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^environment variable OTHER_SECRET cannot be resolved locally/);
  });
});
