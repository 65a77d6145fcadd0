// The simulator's own check of a preview PUT body (PPS 406-409), written apart from the
// fleet's schema on purpose: a disagreement between the two must show up in tests.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FieldProblem {
  field: string;
  message: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validatePreviewConfig(body: unknown, known: { queues: readonly string[]; contactLists: readonly string[] }): FieldProblem[] {
  const out: FieldProblem[] = [];
  const bad = (field: string, message: string) => out.push({ field, message });
  if (!isObj(body)) return [{ field: '', message: 'must be an object' }];
  if (typeof body.name !== 'string' || body.name === '') bad('name', 'required');
  if (body.type !== 'preview') bad('type', 'must be preview');
  const lists = body.contactLists;
  if (!Array.isArray(lists) || lists.length === 0) bad('contactLists', 'at least one contact list');
  else {
    lists.forEach((l: unknown, i) => {
      const ref = isObj(l) ? l : {};
      if (typeof ref.id !== 'string' || !UUID.test(ref.id)) bad(`contactLists.${i}.id`, 'must be a UUID');
      else if (!known.contactLists.includes(ref.id)) bad(`contactLists.${i}.id`, `unknown contact list ${ref.id}`);
      if (ref.type !== 'contactlist') bad(`contactLists.${i}.type`, 'must be contactlist');
    });
  }
  const rules = isObj(body.dialingRules) ? body.dialingRules : undefined;
  if (!rules) bad('dialingRules', 'required');
  else {
    if (rules.strategy !== 'preview') bad('dialingRules.strategy', 'must be preview');
    if (typeof rules.maxAttempts !== 'number' || !Number.isInteger(rules.maxAttempts) || rules.maxAttempts < 1 || rules.maxAttempts > 10) bad('dialingRules.maxAttempts', '1..10');
    if (typeof rules.callbackEnabled !== 'boolean') bad('dialingRules.callbackEnabled', 'a boolean');
  }
  const directives = body.agentDirectives;
  if (!Array.isArray(directives) || directives.length === 0) bad('agentDirectives', 'at least one directive');
  else {
    directives.forEach((d: unknown, i) => {
      const x = isObj(d) ? d : {};
      if (typeof x.queueId !== 'string' || !known.queues.includes(x.queueId)) bad(`agentDirectives.${i}.queueId`, `unknown queue ${String(x.queueId)}`);
      if (typeof x.agentCount !== 'number' || x.agentCount < 1) bad(`agentDirectives.${i}.agentCount`, 'at least 1');
      if (typeof x.skillRequirement !== 'string' || x.skillRequirement === '') bad(`agentDirectives.${i}.skillRequirement`, 'required');
    });
  }
  const ps = isObj(body.previewSettings) ? body.previewSettings : undefined;
  if (!ps) bad('previewSettings', 'required');
  else {
    if (ps.previewDialingMode !== 'manual' && ps.previewDialingMode !== 'timed') bad('previewSettings.previewDialingMode', 'manual or timed');
    if (typeof ps.agentPromptEnabled !== 'boolean') bad('previewSettings.agentPromptEnabled', 'a boolean');
  }
  return out;
}
