/** The emulator's data: namespaces with their scripts and shared asset store, and upload sessions. */
import { randomUUID } from 'node:crypto';
import { notFound } from './api-error.js';

/** An uploaded asset; shared by every script of its namespace, as on Cloudflare. */
export interface StoredAsset {
  /** `null` when uploaded as `application/null` (served without a Content-Type). */
  contentType: string | null;
  content: Buffer;
}

export interface StoredModule {
  contentType: string;
  content: Buffer;
}

/** A deployed script as the emulator keeps it. */
export interface StoredScript {
  name: string;
  /** The immutable id Cloudflare calls `tag`, fixed at the first deploy. */
  immutableId: string;
  /** The metadata part as sent, minus `assets.jwt` (tokens are not kept). */
  metadata: Record<string, unknown>;
  modules: Map<string, StoredModule>;
  tags: string[];
  /** Asset path -> hash, or undefined when the script has no assets. */
  assets: Map<string, string> | undefined;
  etag: string;
  deployCount: number;
  deploymentId: string;
  createdOn: string;
  modifiedOn: string;
}

export interface Namespace {
  name: string;
  scripts: Map<string, StoredScript>;
  assets: Map<string, StoredAsset>;
}

/** An assets upload session. */
export interface UploadSession {
  id: string;
  account: string;
  namespace: string;
  script: string;
  manifest: Map<string, { hash: string; size: number }>;
  /** Each hash once, in manifest order, with its size. */
  sizes: Map<string, number>;
  createdAt: number;
  completed: boolean;
}

/** Sessions older than this (emulator time) are forgotten; their tokens expired long before. */
const SESSION_RETENTION_MS = 3 * 3600 * 1000;

/** Creates the in-memory state. */
export function createState(namespaces: readonly string[]) {
  const spaces = new Map<string, Namespace>();
  const sessions = new Map<string, UploadSession>();
  const addNamespace = (name: string): Namespace => {
    const existing = spaces.get(name);
    if (existing !== undefined) return existing;
    const created: Namespace = { name, scripts: new Map(), assets: new Map() };
    spaces.set(name, created);
    return created;
  };
  for (const name of namespaces) addNamespace(name);

  return {
    namespaces: spaces,
    sessions,
    addNamespace,
    /** The namespace, or a 404 like Cloudflare's for an unknown dispatch namespace. */
    requireNamespace(name: string): Namespace {
      const namespace = spaces.get(name);
      if (namespace === undefined) throw notFound(`dispatch namespace ${JSON.stringify(name)} not found`);
      return namespace;
    },
    requireScript(namespace: Namespace, name: string): StoredScript {
      const script = namespace.scripts.get(name);
      if (script === undefined)
        throw notFound(`script ${JSON.stringify(name)} not found in namespace ${namespace.name}`);
      return script;
    },
    openSession(subject: Omit<UploadSession, 'id' | 'createdAt' | 'completed'>, now: number): UploadSession {
      for (const [id, old] of sessions) if (now - old.createdAt > SESSION_RETENTION_MS) sessions.delete(id);
      const session: UploadSession = { ...subject, id: randomUUID(), createdAt: now, completed: false };
      sessions.set(session.id, session);
      return session;
    },
    /** Hashes of the session not yet stored in its namespace. */
    missingHashes(session: UploadSession): string[] {
      const assets = spaces.get(session.namespace)?.assets;
      return [...session.sizes.keys()].filter((hash) => !assets?.has(hash));
    },
  };
}

export type EmulatorState = ReturnType<typeof createState>;
