/**
 * Crafted end-record lies: zip64 locators pointing at garbage, zip64 records with impossible sizes,
 * counts and offsets, a chain of two zip64 records, and huge declared entry counts and central-directory
 * sizes in the classic record.
 */
import { buildZip } from '../helpers/zip-writer.js';
import { site } from './crafted.js';
import type { Mutation } from './havoc.js';
import type { Dice } from './prng.js';
import { splice, withField } from './zip-edit.js';
import { type Field, mapZip } from './zip-map.js';

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

/** The end-record generators, with weights. */
export const ZIP64_GENERATORS: ReadonlyArray<readonly [(dice: Dice) => Mutation, number]> = [
  [zip64Lies, 3],
  [zip64Chain, 2],
  [hugeCounts, 2],
];
