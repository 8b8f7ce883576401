import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect } from 'vitest';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createStack } from '../../infra/synth';

// cdk-nag v3 is a policy-validation plugin (not an Aspect): findings come back as a report, and
// acknowledgements made with Validations.of(x).acknowledge() are honoured by it.
describe('cdk-nag AwsSolutions', () => {
  const stack = createStack({ programJson: '{"timezone":"Asia/Shanghai"}' });
  const report = new AwsSolutionsChecks().validateScope(stack);
  const describeViolations = (severity: string) =>
    report.violations
      .filter((v) => v.severity === severity)
      .map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);

  it('has no unacknowledged errors', () => {
    expect(describeViolations('error')).toEqual([]);
  });

  it('has no unacknowledged warnings', () => {
    expect(describeViolations('warning')).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('leaves no CDK error or warning annotations', () => {
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('synthesises with the plugin and CloudFormation schema validation, as infra/app.ts does', () => {
    const app = createStack({}, { cfnValidation: true }).node.root as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'));
    const findings = report.pluginReports.flatMap((r: { violations?: unknown[] }) => r.violations ?? []);
    expect(findings).toEqual([]);
  }, 60_000);

  it('gives every acknowledgement a reason', () => {
    const acks = stack.node.findAll().flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});
