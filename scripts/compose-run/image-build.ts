/**
 * What the Dockerfile's `runtime` stage holds, built the same way outside a container:
 * production dependencies only (the prod-deps stage's `npm ci`, with its flags, from
 * package.json and package-lock.json in a clean directory) and dist/ compiled from src/ by the build script's compiler settings.
 * Also reads the stage's ENV, WORKDIR and USER, which the app services run with.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface RuntimeStage {
  baseImage: string;
  env: Record<string, string>;
  workdir: string;
  user: string | undefined;
}

/** The instructions of the `runtime` stage, continuation lines joined. */
function stageInstructions(dockerfile: string, stage: string): string[] {
  const instructions = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const from = instructions.findIndex((line) =>
    new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${stage}$`, 'i').test(line),
  );
  if (from < 0) throw new Error(`Dockerfile has no stage "${stage}"`);
  const next = instructions.findIndex((line, index) => index > from && /^FROM\s/i.test(line));
  return instructions.slice(from, next < 0 ? undefined : next);
}

export function readRuntimeStage(repoRoot: string, stage = 'runtime'): RuntimeStage {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const args = new Map(
    [...dockerfile.matchAll(/^ARG\s+(\w+)=(\S+)/gm)].map((match) => [
      match[1] ?? '',
      match[2] ?? '',
    ]),
  );
  const instructions = stageInstructions(dockerfile, stage);
  const image = /^FROM\s+(\S+)/i.exec(instructions[0] ?? '')?.[1] ?? '';
  const baseImage = image.replace(
    /\$\{?(\w+)\}?/g,
    (_match: string, name: string) => args.get(name) ?? '',
  );
  const env: Record<string, string> = {};
  let workdir = '/';
  let user: string | undefined;
  for (const line of instructions) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    switch (keyword.toUpperCase()) {
      case 'ENV':
        for (const pair of rest) {
          const eq = pair.indexOf('=');
          if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        break;
      case 'WORKDIR':
        workdir = rest.join(' ');
        break;
      case 'USER':
        user = rest.join(' ');
        break;
    }
  }
  return { baseImage, env, workdir, user };
}

/**
 * The `npm ci …` of the stage whose node_modules the runtime stage copies (prod-deps), with
 * its flags (`--omit=dev`, and whatever else the Dockerfile gives it).
 */
export function npmCiArguments(repoRoot: string, stage = 'runtime'): string[] {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const copy = stageInstructions(dockerfile, stage).find((line) =>
    /^COPY\s+--from=\S+\s+\S*node_modules/i.test(line),
  );
  const from = /--from=(\S+)/.exec(copy ?? '')?.[1];
  if (from === undefined) throw new Error(`the ${stage} stage copies no node_modules`);
  const run = stageInstructions(dockerfile, from).find((line) => /^RUN\s+npm\s+ci\b/i.test(line));
  if (run === undefined) throw new Error(`stage ${from} runs no npm ci`);
  const command = run.replace(/^RUN\s+npm\s+/i, '').split(/&&|;|\|/)[0] ?? '';
  return command.trim().split(/\s+/);
}

/**
 * Builds the image's /app into `appDir`: package.json, production node_modules, dist/.
 * Left owned by root and readable by all, like the image (the app may not write there).
 */
export function buildRuntimeTree(repoRoot: string, appDir: string): void {
  mkdirSync(appDir, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(path.join(repoRoot, file), path.join(appDir, file));
  }
  const install = npmCiArguments(repoRoot);
  console.log(`npm ${install.join(' ')} (the Dockerfile's)`);
  execFileSync('npm', [...install, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: appDir,
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NPM_CONFIG_UPDATE_NOTIFIER: 'false',
      NPM_CONFIG_FUND: 'false',
      NPM_CONFIG_AUDIT: 'false',
    },
  });
  // `npm run build` is `tsc -p tsconfig.build.json`; the output goes to the temporary tree
  // instead of the repository's dist/, which other runs may be using.
  execFileSync(
    path.join(repoRoot, 'node_modules', '.bin', 'tsc'),
    ['-p', path.join(repoRoot, 'tsconfig.build.json'), '--outDir', path.join(appDir, 'dist')],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  execFileSync('chmod', ['-R', 'a+rX,go-w', appDir]);
  chmodSync(appDir, 0o755);
}

/** uid and gid of `user` from /etc/passwd, or of `nobody` when this machine has no such user. */
export function resolveUser(user: string | undefined): {
  name: string;
  uid: number;
  gid: number;
  substitute: boolean;
} {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  const find = (name: string) => {
    const fields = passwd.find((line) => line.split(':')[0] === name)?.split(':');
    return fields === undefined
      ? undefined
      : { name, uid: Number(fields[2]), gid: Number(fields[3]) };
  };
  const wanted = user === undefined ? undefined : find(user);
  if (wanted !== undefined) return { ...wanted, substitute: false };
  const nobody = find('nobody');
  if (nobody === undefined) throw new Error('no user `nobody` to run the app as');
  return { ...nobody, substitute: user !== undefined };
}
