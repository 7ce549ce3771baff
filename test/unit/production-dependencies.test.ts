import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

interface LockedPackage {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
}

/**
 * The optional packages of the production tree, each with why the service runs without it.
 * The image installs with `--omit=optional` (see the Dockerfile), so a package that shows up
 * here unlisted would silently be missing from it.
 */
const NOT_NEEDED_AT_RUN_TIME: [RegExp, string][] = [
  [/^typescript$/, "an optional peer of valibot (Bull Board's), for its type definitions"],
  [/^@types\//, 'type definitions'],
  [/^picocolors$/, "mocha's: npm leaves it out with the dev dependencies already"],
  [
    /^(msgpackr-extract|@msgpackr-extract\/.+|node-gyp-build-optional-packages|detect-libc)$/,
    "msgpackr's native string decoder and its loader: BullMQ only encodes",
  ],
  [/^@pkgjs\/parseargs$/, "jackspeak's stand-in for util.parseArgs on Node < 18.11"],
];

describe('production dependencies', () => {
  it('when the lockfile is read, then every optional package the image leaves out is one the service does not run', () => {
    const { packages } = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, LockedPackage>;
    };
    const leftOut = Object.entries(packages)
      .filter(([path, flags]) => path !== '' && !flags.dev && (flags.optional || flags.devOptional))
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    const unexplained = leftOut.filter(
      (name) => !NOT_NEEDED_AT_RUN_TIME.some(([pattern]) => pattern.test(name)),
    );
    expect(unexplained).to.deep.equal([]);
    expect(leftOut, 'the compiler is one of them').to.include('typescript');
  });

  it('when the image installs its dependencies, then it leaves out the dev and optional ones', () => {
    expect(read('Dockerfile')).to.match(/^RUN npm ci --omit=dev --omit=optional\b/m);
  });
});
