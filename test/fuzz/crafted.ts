/**
 * Archives no real producer writes, crafted with the test zip writer: entries that overlap (two central
 * records on one local header, an entry inside another's data, a chain of nested entries), chained and
 * lying zip64 end records, huge declared counts and central-directory sizes, and stored nested zips.
 * Bombs, long names, many tiny entries and hostile configs are in `crafted-content.ts`.
 */
import { buildZip, localHeaderOffset, type ZipEntrySpec } from '../helpers/zip-writer.js';
import type { Mutation } from './havoc.js';
import type { Dice } from './prng.js';
import { splice, withField } from './zip-edit.js';
import { type Field, mapZip } from './zip-map.js';

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
const site = (dice: Dice, count = dice.between(1, 4)): ZipEntrySpec[] => [
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

const fieldNamed = (fields: Field[], label: string) => fields.find((field) => field.label === label);

const zip64Lies = (dice: Dice): Mutation => {
  const zip = buildZip(
    site(dice).map((entry) => ({ ...entry, zip64: dice.chance(0.7) })),
    { zip64End: true },
  );
  const map = mapZip(zip);
  const field = (label: string) => fieldNamed(map.fields, label);
  const locator = field('zip64Locator.recordOffset');
  const recordAt = field('zip64Eocd.signature')?.at ?? 0;
  type Edit = [string, number];
  const edits = dice.weighted<() => Edit[]>([
    [
      () => [
        [
          'zip64Locator.recordOffset',
          dice.pick([0, 30, recordAt - 1, recordAt + 1, zip.length, 2 ** 60, dice.int(zip.length)]),
        ],
      ],
      3,
    ],
    [() => [['zip64Eocd.recordSize', dice.pick([0, 43, 45, 2 ** 32, 2 ** 53, 2 ** 64 - 1])]], 2],
    [
      () => [
        ['zip64Eocd.entries', dice.pick([0, 2 ** 32, 10 ** 9, 2 ** 53 - 1, 2 ** 63])],
        ['zip64Eocd.entriesOnDisk', dice.pick([0, 2 ** 32, 10 ** 9])],
      ],
      2,
    ],
    [() => [['zip64Eocd.cdSize', dice.pick([0, 45, 2 ** 40, zip.length])]], 2],
    [() => [['zip64Eocd.cdOffset', dice.pick([0, recordAt, zip.length - 22, 2 ** 53])]], 2],
    [() => [['zip64Locator.disk', 1]], 1],
    [() => [['zip64Locator.totalDisks', dice.pick([0, 2, 0xffffffff])]], 1],
    [
      () => [
        ['eocd.entries', dice.between(0, 0xfffe)],
        ['eocd.cdSize', dice.int(1000)],
      ],
      1,
    ],
  ])();
  let out = zip;
  for (const [label, value] of edits) {
    const target = field(label);
    if (target !== undefined) out = withField(out, target, value);
  }
  const shown = edits.map(([label, value]) => `${label}=${value}`).join(', ');
  return { bytes: locator === undefined ? zip : out, label: `crafted: lying zip64 end records (${shown})` };
};

/** A second zip64 end record in front of the real one; the locator points at one, whose offset points at the other. */
const zip64Chain = (dice: Dice): Mutation => {
  const zip = buildZip(site(dice), { zip64End: true });
  const map = mapZip(zip);
  const record = map.regions.find((region) => region.role === 'zip64-record');
  if (record === undefined) return { bytes: zip, label: 'crafted: zip64 chain (not built)' };
  const recordAt = record.at - 12;
  const copy = Buffer.from(zip.subarray(recordAt, recordAt + 56));
  if (dice.chance(0.5)) copy.writeBigUInt64LE(BigInt(recordAt + 56), 48);
  if (dice.chance(0.5)) copy.writeBigUInt64LE(BigInt(dice.pick([0, 1, 2 ** 40])), 32);
  let out = splice(zip, map, recordAt, 0, copy, { fix: true });
  if (dice.chance(0.5)) {
    const locator = fieldNamed(mapZip(out).fields, 'zip64Locator.recordOffset');
    if (locator !== undefined) out = withField(out, locator, recordAt);
  }
  return { bytes: out, label: 'crafted: chained zip64 end records' };
};

const hugeCounts = (dice: Dice): Mutation => {
  const entries = site(dice);
  const choice = dice.int(4);
  if (choice === 0)
    return {
      bytes: buildZip(entries, { entryCount: dice.pick([0xfffe, 0xffff, 50_001, entries.length + 1]) }),
      label: 'crafted: EOCD declares more entries than it has',
    };
  if (choice === 1)
    return {
      bytes: buildZip(entries, { cdSize: dice.pick([0xfffffffe, 0x7fffffff, 1, 46]) }),
      label: 'crafted: EOCD declares a wrong central directory size',
    };
  if (choice === 2)
    return {
      bytes: buildZip(entries, { cdOffset: dice.pick([0, 1, 0xfffffffe]) }),
      label: 'crafted: EOCD points the central directory elsewhere',
    };
  const zip = buildZip(entries, {
    zip64End: true,
    entryCount: dice.pick([2 ** 32, 10 ** 9, 2 ** 53 - 1, 50_001]),
  });
  return { bytes: zip, label: 'crafted: zip64 record declares a huge entry count' };
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
  [zip64Lies, 3],
  [zip64Chain, 2],
  [hugeCounts, 2],
  [nestedZip, 2],
];
