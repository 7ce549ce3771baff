/**
 * Compose's service names on this machine: each gets a loopback address of its own in
 * /etc/hosts, inside one marked block that the run removes again (also one a crashed run left).
 */
import { readFileSync, writeFileSync } from 'node:fs';

const HOSTS = '/etc/hosts';
const BEGIN = '# >>> order-processor test:compose (removed when the run ends)';
const END = '# <<< order-processor test:compose';

/** 127.0.83.<n>: a block few other things use, one address per service from .1 on. */
export function assignAddresses(names: readonly string[]): Map<string, string> {
  return new Map(names.map((name, index) => [name, `127.0.83.${String(index + 1)}`]));
}

function withoutBlock(text: string): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line === BEGIN) inside = true;
    else if (line === END) inside = false;
    else if (!inside) kept.push(line);
  }
  return kept.join('\n');
}

/** Written in place, not renamed over: /etc/hosts may be a bind mount. */
function write(text: string): void {
  writeFileSync(HOSTS, text.endsWith('\n') ? text : `${text}\n`);
}

/** Removes the run's block, if any. */
export function removeHostEntries(): void {
  const text = readFileSync(HOSTS, 'utf8');
  const cleaned = withoutBlock(text);
  if (cleaned !== text) write(cleaned);
}

/** Adds one line per name (replacing a block a previous run left behind). */
export function addHostEntries(addresses: ReadonlyMap<string, string>): void {
  const base = withoutBlock(readFileSync(HOSTS, 'utf8')).trimEnd();
  const entries = [...addresses].map(([name, address]) => `${address} ${name}`);
  write([base, BEGIN, ...entries, END].join('\n'));
}
