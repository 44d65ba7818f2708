/**
 * Structure-aware mutations over a {@link mapZip} map: make one field lie (sizes, offsets, counts, name
 * and extra lengths, methods, flags, signatures), resize names, extra fields, comments and data with or
 * without repairing the lengths and offsets behind them, rename entries to hostile names and inject extra
 * blocks. Whole-record mutations are in `record-mutators.ts`.
 */
import { edgeValue, extraBlock, HOSTILE_NAMES } from './dictionary.js';
import { havoc, type Mutation } from './havoc.js';
import type { Dice } from './prng.js';
import { RECORD_MUTATORS } from './record-mutators.js';
import { splice, withField } from './zip-edit.js';
import { type Field, mapZip, type Region, readField, type ZipMap } from './zip-map.js';

export type Mutator = (bytes: Buffer, map: ZipMap, dice: Dice) => Mutation | undefined;

const hex = (value: number | bigint) => `0x${value.toString(16)}`;
const FIELD_WEIGHT: Partial<Record<Field['role'], number>> = {
  size: 5,
  offset: 5,
  count: 3,
  length: 4,
  method: 2,
  flags: 2,
  signature: 1,
  disk: 1,
  attributes: 1,
  version: 1,
  'extra-id': 2,
};

const pickField = (map: ZipMap, dice: Dice): Field | undefined =>
  map.fields.length === 0
    ? undefined
    : dice.weighted(map.fields.map((field) => [field, FIELD_WEIGHT[field.role] ?? 0.5] as const));

const setField: Mutator = (bytes, map, dice) => {
  const field = pickField(map, dice);
  if (field === undefined) return undefined;
  const value = edgeValue(field, readField(bytes, field), dice, bytes.length);
  return {
    bytes: withField(bytes, field, value),
    label: `${field.label}=${hex(BigInt.asUintN(field.width * 8, BigInt(value)))}`,
  };
};

const copyField: Mutator = (bytes, map, dice) => {
  const field = pickField(map, dice);
  const others = map.fields.filter((other) => other.role === field?.role && other.at !== field.at);
  if (field === undefined || others.length === 0) return undefined;
  const other = dice.pick(others);
  const value = readField(bytes, other);
  return { bytes: withField(bytes, field, value), label: `${field.label}=${other.label} (${hex(value)})` };
};

const RESIZABLE = new Set<Region['role']>(['name', 'extra', 'extra-data', 'comment', 'data', 'zip64-record']);

const resizeRegion: Mutator = (bytes, map, dice) => {
  const regions = map.regions.filter((region) => RESIZABLE.has(region.role));
  if (regions.length === 0) return undefined;
  const region = dice.pick(regions);
  const fix = dice.chance(0.7);
  const at = region.at + dice.int(region.length + 1);
  const grow = region.length === 0 || dice.chance(0.6);
  const insert = grow
    ? dice.chance(0.5)
      ? dice.bytes(dice.small(300))
      : Buffer.alloc(dice.small(300), dice.pick([0, 0x41, 0x2f, 0xff]))
    : Buffer.alloc(0);
  const remove = grow ? 0 : Math.min(region.at + region.length - at, dice.small(64));
  const out = splice(bytes, map, at, remove, insert, { fix, region });
  const change = grow ? `+${insert.length}` : `-${remove}`;
  return { bytes: out, label: `${region.label} ${change} @${at}${fix ? ' (repaired)' : ''}` };
};

const regionNamed = (map: ZipMap, label: string) => map.regions.find((region) => region.label === label);

const renameEntry: Mutator = (bytes, map, dice) => {
  const index = dice.int(map.centralRecords.length);
  const central = regionNamed(map, `central[${index}].name`);
  if (central === undefined) return undefined;
  const names = map.regions.filter((region) => region.role === 'name' && region !== central);
  // Another entry's name makes twins; otherwise a name from the hostile list.
  const renamed =
    names.length > 0 && dice.chance(0.2)
      ? copyName(bytes, dice.pick(names))
      : Buffer.from(dice.pick(HOSTILE_NAMES));
  let out = splice(bytes, map, central.at, central.length, renamed, { fix: true, region: central });
  const both = dice.chance(0.75);
  if (both) {
    const remapped = mapZip(out);
    const local = regionNamed(remapped, `local[${index}].name`);
    if (local !== undefined)
      out = splice(out, remapped, local.at, local.length, renamed, { fix: true, region: local });
  }
  const shown = JSON.stringify(renamed.toString('latin1').slice(0, 60));
  return { bytes: out, label: `rename entry ${index} to ${shown}${both ? ' (local too)' : ''}` };
};

const copyName = (bytes: Buffer, region: Region) =>
  Buffer.from(bytes.subarray(region.at, region.at + region.length));

const injectExtra: Mutator = (bytes, map, dice) => {
  const areas = map.regions.filter((region) => region.role === 'extra');
  if (areas.length === 0) return undefined;
  const area = dice.pick(areas);
  const name = map.regions.find((region) => region.role === 'name' && region.at + region.length === area.at);
  const block = extraBlock(dice, name === undefined ? Buffer.alloc(0) : copyName(bytes, name));
  const at = dice.chance(0.5) ? area.at : area.at + area.length;
  const out = splice(bytes, map, at, 0, block, { fix: true, region: area });
  return {
    bytes: out,
    label: `${area.label} inject ${block.subarray(0, 4).toString('hex')}… (${block.length} bytes)`,
  };
};

const STRUCTURED: ReadonlyArray<readonly [Mutator, number]> = [
  [setField, 10],
  [copyField, 3],
  [resizeRegion, 5],
  [renameEntry, 4],
  [injectExtra, 3],
  ...RECORD_MUTATORS,
];

/** One mutation: structure-aware when the archive can be mapped (85%), else structure-blind. */
export function mutateOnce(bytes: Buffer, dice: Dice): Mutation {
  const map = mapZip(bytes);
  if (map.fields.length > 0 && dice.chance(0.85)) {
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const mutation = dice.weighted(STRUCTURED)(bytes, map, dice);
      if (mutation !== undefined) return mutation;
    }
  }
  return havoc(bytes, dice);
}

/** `count` mutations in a row; the label lists them. */
export function mutate(bytes: Buffer, dice: Dice, count: number): Mutation {
  const labels: string[] = [];
  let current = bytes;
  for (let i = 0; i < count; i += 1) {
    const mutation = mutateOnce(current, dice);
    current = mutation.bytes;
    labels.push(mutation.label);
  }
  return { bytes: current, label: labels.join(' | ') };
}
