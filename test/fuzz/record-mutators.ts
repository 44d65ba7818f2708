/**
 * Whole-record mutations: duplicate a central record (two records on one local header), drop or swap
 * records, cut the archive at a record boundary, and fill the archive comment with fake records.
 */
import type { Mutator } from './mutators.js';
import { splice } from './zip-edit.js';
import type { Region, ZipMap } from './zip-map.js';

const regionNamed = (map: ZipMap, label: string) => map.regions.find((region) => region.label === label);

const centralRecordRegions = (map: ZipMap) =>
  map.regions.filter((region) => region.role === 'central-record');

const duplicateRecord: Mutator = (bytes, map, dice) => {
  const records = centralRecordRegions(map);
  if (records.length === 0) return undefined;
  const record = dice.pick(records);
  const copy = Buffer.from(bytes.subarray(record.at, record.at + record.length));
  const at = record.at + record.length;
  const out = splice(bytes, map, at, 0, copy, {
    fix: true,
    region: regionNamed(map, 'centralDirectory'),
    countDelta: 1,
  });
  return { bytes: out, label: `duplicate ${record.label}` };
};

const dropRecord: Mutator = (bytes, map, dice) => {
  const records = centralRecordRegions(map);
  if (records.length < 2) return undefined;
  const record = dice.pick(records.slice(1));
  const out = splice(bytes, map, record.at, record.length, Buffer.alloc(0), { fix: true, countDelta: -1 });
  return { bytes: out, label: `drop ${record.label}` };
};

const swapRecords: Mutator = (bytes, map, dice) => {
  const records = centralRecordRegions(map);
  if (records.length < 2) return undefined;
  const i = dice.int(records.length - 1);
  const [a, b] = [records[i], records[i + 1 + dice.int(records.length - i - 1)]] as [Region, Region];
  const part = (from: number, to: number) => bytes.subarray(from, to);
  const out = Buffer.concat([
    part(0, a.at),
    part(b.at, b.at + b.length),
    part(a.at + a.length, b.at),
    part(a.at, a.at + a.length),
    part(b.at + b.length, bytes.length),
  ]);
  return { bytes: out, label: `swap ${a.label} and ${b.label}` };
};

const truncateAtRecord: Mutator = (bytes, map, dice) => {
  const points = [...map.regions.map((region) => region.at), ...map.fields.map((field) => field.at)];
  if (points.length === 0) return undefined;
  const cut = Math.max(0, dice.pick(points) + dice.between(-3, 3));
  return { bytes: bytes.subarray(0, cut), label: `truncate at ${cut} (a record boundary)` };
};

const FAKES = [
  Buffer.from('504b0506000000000100010000000000000000000000', 'hex'),
  Buffer.from('504b06070000000000000000000000000100000000', 'hex'),
  Buffer.from('504b0102', 'hex'),
  Buffer.from('504b0304', 'hex'),
];

const commentTrick: Mutator = (bytes, map, dice) => {
  const comment = regionNamed(map, 'eocd.comment');
  if (comment === undefined) return undefined;
  const fake = Buffer.concat(Array.from({ length: dice.between(1, 3) }, () => dice.pick(FAKES)));
  const out = splice(bytes, map, comment.at, comment.length, fake, {
    fix: dice.chance(0.8),
    region: comment,
  });
  return { bytes: out, label: `archive comment holds ${fake.length} bytes of fake records` };
};

/** The record mutators, with weights. */
export const RECORD_MUTATORS: ReadonlyArray<readonly [Mutator, number]> = [
  [duplicateRecord, 2],
  [dropRecord, 1],
  [swapRecords, 1],
  [truncateAtRecord, 1],
  [commentTrick, 1],
];
