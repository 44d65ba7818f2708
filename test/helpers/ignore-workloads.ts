/**
 * Ordinary `.assetsignore` workloads, shared by the matcher's tests and scripts/assetsignore-cost.ts: the
 * kinds of rules real files hold (names, extensions, folders, globstars, negations) over a site's paths.
 */

const BASE_RULES = [
  '# build leftovers',
  '_worker.js',
  '_routes.json',
  '*.map',
  '.DS_Store',
  'Thumbs.db',
  'node_modules/',
  '/drafts/',
  '!drafts/keep.html',
  '**/*.psd',
  'docs/**/*.md',
  '!docs/README.md',
  '*.tmp',
  '/src/',
  'coverage',
  '[Bb]ackup*/',
  '*.log',
  '.env*',
  'secret?.txt',
  '/private/**',
];

/** An `.assetsignore` of `count` rules (the base rules, then variations on them). */
export function ordinaryIgnoreFile(count: number): string {
  const rules = [...BASE_RULES];
  for (let i = 0; rules.length < count; i += 1) {
    const variations = [
      `*.ext${i}`,
      `/generated-${i}/`,
      `cache${i}/`,
      `**/tmp${i}/**`,
      `assets/img/raw-${i}-*.png`,
      `!keep${i}.txt`,
      `old-page-${i}.html`,
    ];
    rules.push(variations[i % variations.length] as string);
  }
  return rules.join('\n');
}

const FOLDERS = [
  '',
  'assets/',
  'assets/img/',
  'assets/css/',
  'assets/js/',
  'docs/',
  'docs/guide/',
  'docs/guide/advanced/',
  'blog/2024/',
  'blog/2025/',
  'drafts/',
  'private/',
  'fonts/',
  'cache3/',
  'node_modules/x/',
];
const EXTENSIONS = ['html', 'css', 'js', 'png', 'jpg', 'svg', 'map', 'md', 'json', 'woff2', 'txt', 'psd'];

/** `count` distinct paths of a site, up to five folders deep. */
export function ordinarySite(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const folder = FOLDERS[i % FOLDERS.length] as string;
    const section = i % 3 === 0 ? `section-${i % 97}/` : '';
    return `${folder}${section}file-${i}.${EXTENSIONS[i % EXTENSIONS.length]}`;
  });
}
