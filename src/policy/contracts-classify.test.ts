import { describe, expect, it } from 'vitest';
import { classify } from './contracts-classify.js';
import { compiled, facts } from '../contracts/test-support/policy-fixture.js';

describe('traffic classes', () => {
  it('puts a request in the FIRST class that matches', () => {
    // eu-acme matches eu by tenant and enterprise by tag: eu comes first.
    expect(classify(compiled, facts({ tenantId: 'eu-acme', tags: ['enterprise'] }))).toBe('eu');
    expect(classify(compiled, facts({ tenantId: 'acme' }))).toBe('enterprise');
  });

  it('matches exact values, prefixes and tags, any of them by default', () => {
    expect(classify(compiled, facts({ tenantId: 'ent-42' }))).toBe('enterprise');
    expect(classify(compiled, facts({ tenantId: 'someone', tags: ['x', 'enterprise'] }))).toBe('enterprise');
    expect(classify(compiled, facts({ tenantId: 'entirely-else' }))).toBeNull();
  });

  it('with combine: all, needs every given list to match', () => {
    expect(classify(compiled, facts({ keyId: 'batch-7', model: 'open' }))).toBe('batch-open');
    expect(classify(compiled, facts({ keyId: 'batch-7', model: 'm' }))).toBeNull();
    expect(classify(compiled, facts({ keyId: null, model: 'open' }))).toBeNull();
  });

  it('honours a class assigned to the tenant or key when it is declared, and ignores an unknown one', () => {
    expect(classify(compiled, facts({ tenantId: 'acme', trafficClass: 'eu' }))).toBe('eu');
    expect(classify(compiled, facts({ tenantId: 'acme', trafficClass: 'nope' }))).toBe('enterprise');
  });
});
