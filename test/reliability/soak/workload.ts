/**
 * The soak's builds: tenants x scripts x builds, submitted in order per script so that "newest wins" is
 * exercised. Each build knows exactly what Cloudflare must hold once it is deployed (module and asset
 * bytes), so every observed Worker can be compared with an artifact byte for byte. Variants per script
 * cover every path: fresh assets over several buckets, a Worker without assets (no session), and assets
 * identical to an earlier build (the session has nothing to upload and its JWT is the completion token).
 */
import { createHash } from 'node:crypto';

/** One build of the soak. */
export interface SoakBuild {
  tenant: string;
  script: string;
  build: string;
  /** Position within its script: a higher sequence is a newer build. */
  sequence: number;
  key: string;
  files: Record<string, Buffer>;
  /** What the Worker holds once this build is deployed: module name -> bytes, asset path -> bytes. */
  expected: { modules: Map<string, Buffer>; assets: Map<string, Buffer> };
}

export interface WorkloadShape {
  tenants: number;
  scriptsPerTenant: number;
  buildsPerScript: number;
  seed: number;
}

/** Deterministic bytes (sha256 in counter mode) so that a seed reproduces the same artifacts. */
function bytesOf(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0, block = 0; offset < length; block += 1) {
    const digest = createHash('sha256').update(`${seed}:${block}`).digest();
    offset += digest.copy(out, offset);
  }
  return out;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The public/ files of a build: unique page, a per-tenant shared stylesheet, a binary and a blob. */
function publicFiles(tenant: string, script: string, tag: string, seed: number): Record<string, Buffer> {
  return {
    'public/index.html': Buffer.from(`<h1>${tenant}/${script} ${tag}</h1>\n`),
    'public/css/shared.css': Buffer.from(`/* shared by ${tenant} */ body { margin: 0 }\n`),
    'public/img/pixel.png': Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47]),
      bytesOf(`${seed}:${tenant}:${tag}:png`, 300),
    ]),
    'public/data/blob.bin': bytesOf(`${seed}:${tenant}:${script}:${tag}:blob`, 20_000),
    'public/_headers': Buffer.from('/*\n  X-Soak: yes\n'),
  };
}

function makeBuild(tenant: string, script: string, sequence: number, seed: number): SoakBuild {
  const build = `b${pad(sequence, 3)}`;
  const variant = sequence % 5;
  const withAssets = variant !== 2;
  // Variant 3 repeats variant 1's assets: every hash is already in the namespace.
  const assetTag = variant === 3 ? `b${pad(sequence - 2, 3)}` : build;
  const config = {
    name: script,
    main: 'src/index.js',
    compatibility_date: '2025-01-15',
    vars: { BUILD: build },
    ...(withAssets ? { assets: { directory: 'public', not_found_handling: '404-page' } } : {}),
  };
  const index = Buffer.from(
    `import { label } from './lib/label.js';\nexport default { fetch: (r, env) => ${
      withAssets ? 'env.ASSETS.fetch(r)' : 'new Response(label)'
    } };\n`,
  );
  const label = Buffer.from(`export const label = ${JSON.stringify(`${tenant}/${script}/${build}`)};\n`);
  const files: Record<string, Buffer> = {
    'wrangler.jsonc': Buffer.from(JSON.stringify(config, null, 2)),
    'src/index.js': index,
    'src/lib/label.js': label,
    ...(withAssets ? publicFiles(tenant, script, assetTag, seed) : {}),
  };
  const assets = new Map<string, Buffer>();
  for (const [path, content] of Object.entries(files)) {
    if (path.startsWith('public/') && path !== 'public/_headers')
      assets.set(path.slice('public'.length), content);
  }
  return {
    tenant,
    script,
    build,
    sequence,
    key: `${tenant}/${script}/${build}.zip`,
    files,
    expected: {
      modules: new Map([
        ['index.js', index],
        ['lib/label.js', label],
      ]),
      assets,
    },
  };
}

/** Builds of one script submitted back to back in each round (they race for the deploy). */
const BUILDS_PER_ROUND = 2;

/**
 * Every build, in submission order: round by round, each script's next two builds back to back, so that
 * builds of one script race (newest wins) while every script keeps deploying throughout the soak.
 */
export function createWorkload(shape: WorkloadShape): SoakBuild[] {
  const builds: SoakBuild[] = [];
  for (let first = 1; first <= shape.buildsPerScript; first += BUILDS_PER_ROUND) {
    for (let t = 1; t <= shape.tenants; t += 1) {
      for (let s = 1; s <= shape.scriptsPerTenant; s += 1) {
        const last = Math.min(shape.buildsPerScript, first + BUILDS_PER_ROUND - 1);
        for (let sequence = first; sequence <= last; sequence += 1) {
          builds.push(makeBuild(`soak-t${pad(t, 2)}`, `site-${s}`, sequence, shape.seed));
        }
      }
    }
  }
  return builds;
}

/** `tenant/script` of a build. */
export const scriptOf = (build: Pick<SoakBuild, 'tenant' | 'script'>) => `${build.tenant}/${build.script}`;
