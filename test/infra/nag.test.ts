import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect } from 'vitest';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
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
  }, 240_000); // bundles every handler with esbuild: minutes on a loaded 2-core machine

  // Every finding, acknowledged or not: cdk-nag asks isAcknowledged(resource, ruleId) exactly once
  // per finding, so wrapping it on one pack instance records them all.
  const allFindings = (): { path: string; id: string }[] => {
    const pack = new AwsSolutionsChecks();
    const hook = pack as unknown as { isAcknowledged(node: IConstruct, ruleId: string): boolean };
    const original = hook.isAcknowledged.bind(pack);
    const findings: { path: string; id: string }[] = [];
    hook.isAcknowledged = (node, ruleId) => {
      findings.push({ path: node.node.path, id: ruleId });
      return original(node, ruleId);
    };
    pack.validateScope(stack);
    return findings;
  };

  it('acknowledges only findings that exist (no stale acknowledgement)', () => {
    const findings = allFindings();
    expect(findings.length, 'the hook saw no findings: has cdk-nag changed?').toBeGreaterThan(0);
    const acks = stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((m) =>
            Object.keys(m.data as Record<string, string>).map((key) => ({ path: c.node.path, id: key.replace(/^annotation::/i, '') })),
          ),
      );
    expect(acks.length).toBeGreaterThan(0);
    // An acknowledgement covers findings on its construct and everything below it.
    const stale = acks.filter((a) => !findings.some((f) => f.id === a.id && (f.path === a.path || f.path.startsWith(`${a.path}/`))));
    expect(stale).toEqual([]);
  });

  it('has no IAM5 wildcard on every resource (no dynamodb:ListStreams since the member-changes consumer went)', () => {
    expect(allFindings().filter((f) => f.id === 'AwsSolutions-IAM5[Resource::*]')).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    const acks = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});
