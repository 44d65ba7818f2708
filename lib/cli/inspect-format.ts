/** The human output of `workers-drop inspect`: a summary, then the modules and (the first) assets. */
import type { Artifact } from '../artifacts/types.js';
import type { PipelineError } from '../errors.js';

/** Assets listed in the human output; `--json` lists every one. */
const MAX_LISTED_ASSETS = 50;

/** `1.5 KiB`-style sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Left-aligned columns, two spaces apart. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** The accepted report. */
export function formatArtifact(zip: string, artifact: Artifact, tenant: string): string {
  const { config, stats, modules, assets } = artifact;
  const assetsConfig = Object.entries(config.assets).map(([key, value]) =>
    typeof value === 'string' && key.startsWith('_')
      ? `${key} (${formatBytes(Buffer.byteLength(value))})`
      : `${key}=${JSON.stringify(value)}`,
  );
  const summary: string[][] = [
    [
      'archive',
      `${formatBytes(stats.archiveSize)}, ${stats.entryCount} entries, ${artifact.entries.length} files kept`,
    ],
    ['read', `${formatBytes(stats.bytesRead)} in ${stats.durationMs} ms`],
    ['main module', config.mainModule ?? '(none: assets only)'],
    [
      'compatibility',
      `${config.compatibilityDate ?? '(no date)'}${config.compatibilityFlags.length > 0 ? `, flags ${config.compatibilityFlags.join(', ')}` : ''}`,
    ],
    ['modules', `${modules.length} (${formatBytes(sum(modules.map((module) => module.size)))})`],
    [
      'assets',
      `${assets.length} (${formatBytes(sum(assets.map((asset) => asset.size)))}, ${new Set(assets.map((asset) => asset.hash)).size} unique hashes for tenant "${tenant}")`,
    ],
    ['assets config', assetsConfig.length > 0 ? assetsConfig.join(', ') : '(defaults)'],
    ['vars', Object.keys(config.vars).join(', ') || '(none)'],
  ];
  const parts = [`${zip}: accepted`, '', table(['', ''], summary).split('\n').slice(1).join('\n')];
  if (modules.length > 0) {
    parts.push(
      '',
      table(
        ['MODULE', 'TYPE', 'SIZE'],
        modules.map((module) => [module.name, module.contentType, formatBytes(module.size)]),
      ),
    );
  }
  if (assets.length > 0) {
    const listed = assets.slice(0, MAX_LISTED_ASSETS);
    parts.push(
      '',
      table(
        ['ASSET', 'TYPE', 'SIZE', 'HASH'],
        listed.map((asset) => [
          asset.path,
          asset.contentType ?? '(none)',
          formatBytes(asset.size),
          asset.hash,
        ]),
      ),
    );
    if (assets.length > listed.length)
      parts.push(`  ... and ${assets.length - listed.length} more (--json lists all)`);
  }
  return `${parts.join('\n')}\n`;
}

/** The rejected report. */
export function formatRejection(zip: string, error: PipelineError): string {
  const lines = [`${zip}: rejected (${error.category})`, `  ${error.code}: ${error.message}`];
  if (error.entry !== undefined) lines.push(`  entry: ${JSON.stringify(error.entry)}`);
  return `${lines.join('\n')}\n`;
}
