// PV-U (payload defaults, filter predicates, E.164 table), PV-10's local half, PV-13's
// calling windows and B6's conflict detection: pure logic, no I/O.
import { describe, expect, it } from 'vitest';
import { checkWindow, windowOf, zonesOf, callingWindowSchema } from '../../src/domain/preview/calling-window.ts';
import { decide, screen, suppressionKey } from '../../src/domain/preview/eligibility.ts';
import { passesFilters, filterSchema } from '../../src/domain/preview/filters.ts';
import { conflictingFields, defaultPreviewConfig, holdsAll, mergedBody } from '../../src/domain/preview/payload.ts';
import { checkPreviewSpec, parsePreviewSpec } from '../../src/domain/preview/spec.ts';

const LIST = '0b5e3c1a-8f2d-4c6b-9a7e-2d1f0c3b4a5e';
const base = { campaignId: 'camp-1', contactListId: LIST, queueId: 'q-outbound' };

describe('preview payload (PV-U, P-21..P-27)', () => {
  it('defaults equal the seed BuildPreviewPayload byte for byte', () => {
    expect(JSON.stringify(defaultPreviewConfig(LIST, 'q-outbound'))).toBe(
      `{"name":"Automated Preview Campaign","type":"preview","contactLists":[{"id":"${LIST}","type":"contactlist"}],` +
        '"dialingRules":{"strategy":"preview","maxAttempts":1,"callbackEnabled":false},' +
        '"agentDirectives":[{"queueId":"q-outbound","skillRequirement":"outbound_preview","agentCount":5}],' +
        '"previewSettings":{"previewDialingMode":"manual","agentPromptEnabled":true}}',
    );
    const r = checkPreviewSpec(base);
    expect(r.ok && JSON.stringify(r.value.payload)).toBe(JSON.stringify(defaultPreviewConfig(LIST, 'q-outbound')));
  });

  it('applies overrides and validates the result with the outgoing schema', () => {
    const r = checkPreviewSpec({ ...base, payload: { name: 'Renewals', agentDirective: { agentCount: 8 }, previewSettings: { previewDialingMode: 'timed' } } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.payload.name).toBe('Renewals');
    expect(r.value.payload.agentDirectives[0]).toEqual({ queueId: 'q-outbound', skillRequirement: 'outbound_preview', agentCount: 8 });
    expect(r.value.payload.previewSettings.previewDialingMode).toBe('timed');
  });

  it('names every problem with its path, the non-UUID list as contactLists.0.id (PV-10)', () => {
    const r = parsePreviewSpec(
      ['campaignId: camp-1', 'contactListId: CL-x', 'queueId: q', 'filters: [{column: region, operator: IN}]', 'payload: {dialingRules: {maxAttempts: 11}}', 'deadlineMs: 5'].join('\n'),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.errors.map((e) => `${e.path}: ${e.message}`);
    expect(lines).toContain('contactLists.0.id: must be a UUID');
    expect(lines).toContain('filters.0.values: IN needs values');
    expect(lines.some((l) => l.startsWith('deadlineMs:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('dialingRules.maxAttempts:'))).toBe(true);
  });

  it('refuses unknown keys and bad YAML with a path', () => {
    const r = checkPreviewSpec({ ...base, targetRegion: 'NA-EAST' });
    expect(!r.ok && r.errors[0]?.message).toMatch(/unrecognized/i);
    const y = parsePreviewSpec('campaignId: [');
    expect(!y.ok && y.errors[0]?.message).toMatch(/invalid YAML/);
  });

  it('gives the same spec the same key', () => {
    const a = checkPreviewSpec({ ...base, filters: [{ column: 'region', operator: 'EQUALS', value: 'NA-EAST' }] });
    const b = checkPreviewSpec({ filters: [{ value: 'NA-EAST', operator: 'EQUALS', column: 'region' }], ...base });
    expect(a.ok && b.ok && a.value.specKey === b.value.specKey).toBe(true);
  });
});

describe('filter predicates (PV-U, P-35)', () => {
  const f = (x: unknown) => filterSchema.parse(x);
  const fields = { region: 'NA-EAST', tier: 'gold', score: 7 };
  it.each([
    [{ column: 'region', operator: 'EQUALS', value: 'NA-EAST' }, true],
    [{ column: 'region', operator: 'EQUALS', value: 'NA-WEST' }, false],
    [{ column: 'tier', operator: 'IN', values: ['silver', 'gold'] }, true],
    [{ column: 'tier', operator: 'IN', values: ['silver'] }, false],
    [{ column: 'region', operator: 'BEGINS_WITH', value: 'NA-' }, true],
    [{ column: 'region', operator: 'BEGINS_WITH', value: 'EU-' }, false],
    [{ column: 'region', operator: 'EQUALS', value: 'NA-EAST', inverted: true }, false],
    [{ column: 'missing', operator: 'EXISTS', inverted: true }, true],
    [{ column: 'score', operator: 'GREATER_THAN', value: 5 }, true],
    [{ column: 'missing', operator: 'EQUALS', value: 'x' }, false],
  ])('%j → %s', (filter, expected) => {
    expect(passesFilters([f(filter)], fields)).toBe(expected);
  });
  it('all vs any', () => {
    const fs = [f({ column: 'region', operator: 'EQUALS', value: 'EU' }), f({ column: 'tier', operator: 'EQUALS', value: 'gold' })];
    expect(passesFilters(fs, fields, 'all')).toBe(false);
    expect(passesFilters(fs, fields, 'any')).toBe(true);
  });
});

describe('scrub (PV-U E.164 table, PV-9 pure half)', () => {
  const spec = (() => {
    const r = checkPreviewSpec(base);
    if (!r.ok) throw new Error('fixture');
    return r.value.spec;
  })();
  it.each([
    ['(415) 555-0100', '+14155550100'],
    ['415-555-0100', '+14155550100'],
    ['+1 415 555 0100', '+14155550100'],
    ['4155550100', '+14155550100'],
    ['+44 20 7946 0958', '+442079460958'],
  ])('%s → %s', (input, e164) => {
    expect(screen([{ id: 'a', fields: { phone: input } }], spec)[0]).toEqual({ id: 'a', e164 });
  });
  it.each([
    ['+14155550100', 'US', '+14155550100'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['1-415-555-0100', 'US', '+14155550100'],
    ['020 7946 0958', 'GB', '+442079460958'],
    ['415-555', 'US', undefined],
  ])('suppression key of %s (%s) is %s', (input, region, key) => {
    expect(suppressionKey(input, region)).toBe(key);
  });
  it('marks unusable numbers invalid_phone', () => {
    expect(screen([{ id: 'a', fields: { phone: '415-555' } }, { id: 'b', fields: {} }], spec).map((s) => s.outcome)).toEqual(['invalid_phone', 'invalid_phone']);
  });
  it('matches suppressions on the number, never on the contact id', () => {
    const contacts = [
      { id: 'a', fields: { phone: '(415) 555-0100' } },
      { id: '+14155550101', fields: { phone: '+1 212 234 0001' } },
    ];
    const v = decide(contacts, screen(contacts, spec), { suppressed: new Set(['+14155550100', '+14155550101']), dnc: new Set() }, spec, Date.UTC(2026, 5, 1, 16));
    expect(v.map((x) => x.outcome)).toEqual(['suppressed', 'eligible']);
  });
});

describe('calling windows (PV-13, B2)', () => {
  const cw = (x: unknown) => callingWindowSchema.parse(x);
  const tsr = cw({ profile: 'us-tsr' });
  // 2026-06-10 11:30Z = 07:30 EDT.
  const at0730NewYork = Date.UTC(2026, 5, 10, 11, 30);

  it('defers a New York contact at 07:30 local to 08:00 local', () => {
    const r = checkWindow(zonesOf({ timeZone: 'America/New_York' }, undefined, tsr), at0730NewYork, windowOf(tsr));
    expect(r).toEqual({ ok: false, nextCallableAt: Date.UTC(2026, 5, 10, 12, 0) });
  });

  it('calls inside the window and defers after 21:00 to the next morning', () => {
    expect(checkWindow(['America/New_York'], Date.UTC(2026, 5, 10, 13), windowOf(tsr))).toEqual({ ok: true });
    expect(checkWindow(['America/New_York'], Date.UTC(2026, 5, 11, 1, 30), windowOf(tsr))).toEqual({ ok: false, nextCallableAt: Date.UTC(2026, 5, 11, 12) });
  });

  it('takes the intersection when ZIP (New York) and area code (San Francisco) disagree', () => {
    const zones = zonesOf({ zip: '10001' }, '+14155550100', tsr);
    expect(zones.sort()).toEqual(['America/Los_Angeles', 'America/New_York']);
    // 13:00Z: 09:00 in New York but 06:00 in San Francisco → 15:00Z (08:00 PDT).
    expect(checkWindow(zones, Date.UTC(2026, 5, 10, 13), windowOf(tsr))).toEqual({ ok: false, nextCallableAt: Date.UTC(2026, 5, 10, 15) });
    // 00:30Z: 17:30 in San Francisco but 20:30 in New York → callable; 01:30Z is 21:30 in New York.
    expect(checkWindow(zones, Date.UTC(2026, 5, 11, 0, 30), windowOf(tsr))).toEqual({ ok: true });
    expect(checkWindow(zones, Date.UTC(2026, 5, 11, 1, 30), windowOf(tsr))).toEqual({ ok: false, nextCallableAt: Date.UTC(2026, 5, 11, 15) });
  });

  it('crosses a DST change at the right wall-clock time', () => {
    // 2026-03-08 02:00 EST → EDT. At 06:00Z on Mar 8 (01:00 EST) the next 08:00 is 12:00Z (EDT).
    expect(checkWindow(['America/New_York'], Date.UTC(2026, 2, 8, 6), windowOf(tsr))).toEqual({ ok: false, nextCallableAt: Date.UTC(2026, 2, 8, 12) });
  });

  it('off = the seed (no window); Florida stops at 20:00; custom needs start and end; bad zones are named', () => {
    expect(windowOf(cw({}))).toBeNull();
    expect(checkWindow(['America/New_York'], Date.UTC(2026, 5, 11, 0, 30), windowOf(cw({ profile: 'us-fl' })))).toMatchObject({ ok: false });
    expect(callingWindowSchema.safeParse({ profile: 'custom', start: '09:00' }).success).toBe(false);
    const bad = callingWindowSchema.safeParse({ profile: 'us-tsr', defaultTimeZone: 'Mars/Olympus' });
    expect(!bad.success && bad.error.issues[0]?.path).toEqual(['defaultTimeZone']);
  });
});

describe('merge-safe PUT (B6)', () => {
  const desired = defaultPreviewConfig(LIST, 'q-outbound');
  it('names a field we set that someone else changed, and ignores ones changed to what we want', () => {
    const baseRead = { ...desired, previewSettings: { previewDialingMode: 'manual', agentPromptEnabled: false } };
    const fresh = { ...desired, previewSettings: { previewDialingMode: 'timed', agentPromptEnabled: true } };
    expect(conflictingFields(desired, baseRead, fresh)).toEqual(['previewSettings.previewDialingMode']);
    expect(conflictingFields(desired, baseRead, baseRead)).toEqual([]);
  });
  it('tells a campaign that already holds our config (a PUT that went through before a crash)', () => {
    expect(holdsAll(desired, { ...desired, id: 'c', version: 3, status: 'active' })).toBe(true);
    expect(holdsAll(desired, { ...desired, previewSettings: { previewDialingMode: 'manual' } })).toBe(false);
  });
  it('carries fields we do not set into the PUT body, never server fields', () => {
    const body = mergedBody({ id: 'c', version: 4, status: 'inactive', description: 'kept', name: 'old' }, desired);
    expect(body.description).toBe('kept');
    expect(body.name).toBe('Automated Preview Campaign');
    expect('version' in body || 'id' in body || 'status' in body).toBe(false);
  });
});
