// Rules on nodes and their actions, each a single pass over the file: ids, types, the
// disclosure's presence, directives and their fields, collect retries (CF 101-135).
import type { FlowIndex } from './flow-graph.ts';
import type { FlowAction, FlowNode } from './flow-schema.ts';
import { DIRECTIVES, NODE_TYPES } from './problems.ts';
import type { CheckOptions, Report } from './problems.ts';

export function checkNodes(ix: FlowIndex, opts: CheckOptions, report: Report): void {
  const { nodes } = ix.flow;
  const known = new Set([...NODE_TYPES, ...opts.terminals, opts.disclosureType]);
  nodes.forEach((node, i) => {
    const first = ix.nodeAt[ix.byId.get(node.id) as number] as number;
    if (first !== i) report('DUPLICATE_NODE_ID', `nodes[${i}].id`, `duplicate node id "${node.id}" (first defined at nodes[${first}])`);
    if (!known.has(node.type)) {
      report('UNKNOWN_NODE_TYPE', `nodes[${i}].type`, `unknown node type "${node.type}" at node ${node.id}: use one of ${[...known].join(', ')}`);
    }
    checkActions(node, i, opts, report);
  });
  if (!nodes.some((n) => n.type === opts.disclosureType)) {
    report('DISCLOSURE_MISSING', 'nodes', 'flow missing required regulatory disclosure node');
  }
  if (nodes.length > opts.maxNodesWarn) {
    report('TOO_MANY_NODES', 'nodes', `${nodes.length} nodes is more than ${opts.maxNodesWarn}; contact-center platforms cap flows near this size (Amazon Connect: 250 actions)`);
  }
}

function checkActions(node: FlowNode, i: number, opts: CheckOptions, report: Report): void {
  let collects = 0;
  node.actions.forEach((a, j) => {
    const path = `nodes[${i}].actions[${j}]`;
    if (a.directive === 'collect') collects++;
    checkAction(node, a, path, opts, report);
  });
  if (node.type === 'collect' && collects === 0) {
    report('ACTION_MISMATCH', `nodes[${i}].actions`, `collect node ${node.id} has no collect action, so it never reads input`);
  }
}

function checkAction(node: FlowNode, a: FlowAction, path: string, opts: CheckOptions, report: Report): void {
  const mismatch = (field: string, message: string) => report('ACTION_MISMATCH', `${path}.${field}`, `node ${node.id}: ${message}`);
  switch (a.directive) {
    case 'play':
      if (a.media_url === undefined) mismatch('media_url', 'a play action needs a media_url');
      else if (!isHttpsUrl(a.media_url)) mismatch('media_url', `media_url "${a.media_url}" is not an https URL`);
      break;
    case 'collect':
      if (a.text === undefined) mismatch('text', 'a collect action needs the prompt text');
      if (a.max_retries !== undefined && a.max_retries > opts.maxRetries) {
        report('RETRIES_EXCEEDED', `${path}.max_retries`, `node ${node.id} exceeds max retries (${a.max_retries} > ${opts.maxRetries})`);
      }
      break;
    case 'route':
    case 'schedule':
      if (a.text === undefined) mismatch('text', `a ${a.directive} action needs its target queue in text`);
      break;
    case 'disconnect':
      break;
    default:
      report('UNKNOWN_DIRECTIVE', `${path}.directive`, `unknown directive "${a.directive}" at node ${node.id}: use one of ${DIRECTIVES.join(', ')}`);
      return;
  }
  if (a.directive !== 'collect' && a.max_retries !== undefined) {
    report('ACTION_MISMATCH', `${path}.max_retries`, `node ${node.id}: max_retries only applies to collect actions`, { severity: 'warning' });
  }
}

function isHttpsUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' && u.hostname !== '';
  } catch {
    return false;
  }
}
