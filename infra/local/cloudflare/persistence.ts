/**
 * Optional persistence under `dataDir`, so a restarted local stack still has its deployed Workers:
 * `state.json` holds namespaces, scripts and the asset index; contents live once each in
 * `blobs/<sha256>`. Upload sessions and tokens are deliberately not kept: after a restart a client sees
 * its token refused and re-opens a session, which is the recovery path the pipeline must have anyway.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmulatorState, StoredScript } from './state.js';

interface PersistedScript extends Omit<StoredScript, 'modules' | 'assets'> {
  modules: Array<{ name: string; contentType: string; blob: string }>;
  assets: Record<string, string> | null;
}

interface PersistedState {
  version: 1;
  namespaces: Record<
    string,
    { scripts: PersistedScript[]; assets: Record<string, { contentType: string | null; blob: string }> }
  >;
}

const blobName = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

/** Loads and saves the state of one emulator; every method is a no-op without a `dataDir`. */
export function createPersistence(dataDir: string | undefined) {
  const blobsDir = dataDir === undefined ? '' : join(dataDir, 'blobs');
  const written = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let queuedRun: Promise<void> | undefined;

  const putBlob = async (content: Buffer): Promise<string> => {
    const name = blobName(content);
    if (!written.has(name)) {
      await writeFile(join(blobsDir, name), content);
      written.add(name);
    }
    return name;
  };
  const getBlob = (name: string): Promise<Buffer> => readFile(join(blobsDir, name));

  const write = async (state: EmulatorState): Promise<void> => {
    if (dataDir === undefined) return;
    const out: PersistedState = { version: 1, namespaces: {} };
    for (const namespace of state.namespaces.values()) {
      const assets: PersistedState['namespaces'][string]['assets'] = {};
      for (const [hash, asset] of namespace.assets) {
        assets[hash] = { contentType: asset.contentType, blob: await putBlob(asset.content) };
      }
      const scripts: PersistedScript[] = [];
      for (const script of namespace.scripts.values()) {
        const modules = [];
        for (const [name, module] of script.modules) {
          modules.push({ name, contentType: module.contentType, blob: await putBlob(module.content) });
        }
        scripts.push({
          ...script,
          modules,
          assets: script.assets === undefined ? null : Object.fromEntries(script.assets),
        });
      }
      out.namespaces[namespace.name] = { scripts, assets };
    }
    const file = join(dataDir, 'state.json');
    await writeFile(`${file}.tmp`, JSON.stringify(out));
    await rename(`${file}.tmp`, file);
  };

  return {
    /** Fills `state` from disk (when there is something to load). */
    async load(state: EmulatorState): Promise<void> {
      if (dataDir === undefined) return;
      await mkdir(blobsDir, { recursive: true });
      for (const name of await readdir(blobsDir)) written.add(name);
      let saved: PersistedState;
      try {
        saved = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8')) as PersistedState;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const [name, persisted] of Object.entries(saved.namespaces)) {
        const namespace = state.addNamespace(name);
        for (const [hash, asset] of Object.entries(persisted.assets)) {
          namespace.assets.set(hash, { contentType: asset.contentType, content: await getBlob(asset.blob) });
        }
        for (const script of persisted.scripts) {
          const modules = new Map<string, { contentType: string; content: Buffer }>();
          for (const module of script.modules) {
            modules.set(module.name, {
              contentType: module.contentType,
              content: await getBlob(module.blob),
            });
          }
          const assets = script.assets === null ? undefined : new Map(Object.entries(script.assets));
          namespace.scripts.set(script.name, { ...script, modules, assets });
        }
      }
    },
    /** Writes the state; concurrent calls share one write that starts after the current one. */
    save(state: EmulatorState): Promise<void> {
      if (dataDir === undefined) return Promise.resolve();
      // A write that has not started yet will include this change too.
      if (queuedRun !== undefined) return queuedRun;
      const run = chain.then(() => {
        queuedRun = undefined;
        return write(state);
      });
      queuedRun = run;
      chain = run.catch(() => undefined);
      return run;
    },
  };
}

export type Persistence = ReturnType<typeof createPersistence>;
