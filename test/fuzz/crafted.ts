/**
 * Archives no real producer writes, crafted with the test zip writer: entries that overlap (two central
 * records on one local header, an entry inside another's data, a chain of nested entries) and stored
 * nested zips. Zip64 and count lies are in `crafted-zip64.ts`, bombs, long names and many tiny entries
 * in `crafted-content.ts`, hostile steering files in `crafted-config.ts`.
 */
import { buildZip, localHeaderOffset, type ZipEntrySpec } from '../helpers/zip-writer.js';
import type { Mutation } from './havoc.js';
import type { Dice } from './prng.js';

export const WORKER: ZipEntrySpec = {
  name: 'worker.js',
  data: 'export default { fetch() { return new Response("ok"); } };',
};
const page = (name: string, dice: Dice): ZipEntrySpec => ({
  name,
  data: `<p>${name}</p>`.repeat(dice.between(1, 40)),
  ...(dice.chance(0.4) ? { method: 0 } : {}),
  ...(dice.chance(0.3) ? { dataDescriptor: true } : {}),
  ...(dice.chance(0.3) ? { zip64: true } : {}),
});
export const site = (dice: Dice, count = dice.between(1, 4)): ZipEntrySpec[] => [
  WORKER,
  ...Array.from({ length: count }, (_, i) => page(`public/p${i}.html`, dice)),
];

/** The local part of a one-entry archive: its local header and data. */
const localRecord = (entry: ZipEntrySpec): Buffer => {
  const zip = buildZip([entry]);
  return zip.subarray(0, zip.readUInt32LE(zip.length - 6));
};

const overlapShared = (dice: Dice): Mutation => {
  const entries = site(dice, 2);
  const sameName = dice.chance(0.3);
  entries.push({
    ...(entries[1] as ZipEntrySpec),
    name: sameName ? 'public/p0.html' : 'public/twin.html',
    sameOffsetAs: 1,
  });
  return {
    bytes: buildZip(entries),
    label: `crafted: two central records share a local header${sameName ? ' (same name)' : ''}`,
  };
};

const overlapInside = (dice: Dice): Mutation => {
  const inner: ZipEntrySpec = {
    name: 'public/inner.txt',
    data: 'inner '.repeat(dice.between(1, 50)),
    method: 0,
  };
  const outer: ZipEntrySpec = {
    name: 'public/outer.bin',
    data: Buffer.concat([localRecord(inner), dice.bytes(dice.between(0, 40))]),
    method: 0,
  };
  const probe = buildZip([WORKER, outer]);
  const offset = localHeaderOffset(probe, 'public/outer.bin') + 30 + 'public/outer.bin'.length;
  const bytes = buildZip([WORKER, outer, { ...inner, centralOffset: offset + dice.pick([0, 0, 1, -1]) }]);
  return { bytes, label: "crafted: an entry inside another entry's stored data" };
};

/** Each entry's stored data is the next entry's whole local record: every range overlaps the next. */
const overlapChain = (dice: Dice): Mutation => {
  const depth = dice.between(2, 12);
  const names = Array.from({ length: depth }, (_, i) => `public/k${i + 1}.txt`);
  const data: Buffer[] = names.map(() => Buffer.from('kernel'.repeat(dice.between(1, 20))));
  for (let i = depth - 2; i >= 0; i -= 1) {
    data[i] = localRecord({ name: names[i + 1] as string, data: data[i + 1] as Buffer, method: 0 });
  }
  let offset = 0;
  const entries = names.map((name, i): ZipEntrySpec => {
    const entry = { name, data: data[i] as Buffer, method: 0, centralOffset: offset };
    offset += 30 + name.length;
    return entry;
  });
  return { bytes: buildZip(entries), label: `crafted: a chain of ${depth} nested overlapping entries` };
};

const overlapIntoDirectory = (dice: Dice): Mutation => {
  const entries = site(dice);
  const last = entries[entries.length - 1] as ZipEntrySpec;
  entries[entries.length - 1] = {
    ...last,
    method: 0,
    dataDescriptor: false,
    compressedSize: Buffer.from(last.data ?? '').length + dice.between(1, 200),
  };
  return { bytes: buildZip(entries), label: 'crafted: the last entry runs into the central directory' };
};

const nestedZip = (dice: Dice): Mutation => {
  const inner = buildZip(site(dice));
  const variant = dice.int(4);
  if (variant === 0) {
    return {
      bytes: buildZip([WORKER, { name: 'public/inner.zip', data: inner, method: 0 }]),
      label: 'crafted: a stored nested zip',
    };
  }
  if (variant === 1) {
    const outer = buildZip([WORKER, { name: 'public/inner.zip', data: inner, method: 0 }]);
    const end = localHeaderOffset(outer, 'public/inner.zip') + 30 + 16 + inner.length;
    return { bytes: outer.subarray(0, end), label: 'crafted: a truncated archive ending in a stored zip' };
  }
  if (variant === 2) {
    return {
      bytes: buildZip(site(dice), { comment: inner.subarray(0, 0xffff) }),
      label: 'crafted: a whole zip in the archive comment',
    };
  }
  return { bytes: buildZip(site(dice), { prefix: inner }), label: 'crafted: a zip in front of the archive' };
};

/** The structural generators, with weights. */
export const STRUCTURE_GENERATORS: ReadonlyArray<readonly [(dice: Dice) => Mutation, number]> = [
  [overlapShared, 2],
  [overlapInside, 2],
  [overlapChain, 2],
  [overlapIntoDirectory, 1],
  [nestedZip, 2],
];
