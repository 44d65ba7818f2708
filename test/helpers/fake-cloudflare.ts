/**
 * A small in-memory fake of the CloudflareApi port for unit tests of the pipeline stages: sessions list
 * missing hashes, uploads answer accepted until the set is complete, deploys are recorded. Knobs simulate
 * a lost completion response, expired tokens and refusals. (The HTTP-level emulator in infra/local is what
 * integration tests use.)
 */

import type {
  AssetFile,
  AssetManifest,
  CloudflareApi,
  DeployedScript,
  ScriptMetadata,
  ScriptModule,
  StreamedBucket,
  UploadBucketResult,
  UploadSession,
} from '../../lib/cloudflare/types.js';
import { CloudflareApiError } from '../../lib/errors.js';

interface Session {
  id: number;
  namespace: string;
  script: string;
  manifest: AssetManifest;
  missing: Set<string>;
}

export interface FakeDeploy {
  namespace: string;
  script: string;
  modules: ScriptModule[];
  metadata: ScriptMetadata;
  assets: Record<string, { hash: string; contentType: string | null; content: Buffer }>;
}

const token = (kind: 'upload' | 'completion', session: number, exp: number) =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
    JSON.stringify({ kind, session, exp }),
  ).toString('base64url')}.fake`;

const decode = (jwt: string): { kind: string; session: number; exp: number } =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));

export class FakeCloudflare implements CloudflareApi {
  readonly sessions: Session[] = [];
  readonly stored = new Map<string, { content: Buffer; contentType: string | null }>();
  readonly scripts = new Map<string, FakeDeploy>();
  readonly deploys: FakeDeploy[] = [];
  readonly calls: string[] = [];
  bucketSize = 2;
  /** Seconds since epoch used for token expiry. */
  nowSeconds = () => Math.floor(Date.now() / 1000);
  /** When true, the response completing a set answers `accepted` (the 201 was lost). */
  loseCompletion = false;
  /** Refuse the next deploy as a bad script (user-input). */
  rejectNextDeploy = false;
  /** Fail calls with a transient error while positive (decremented per call). */
  failNext = 0;

  private failIfAsked(operation: string) {
    this.calls.push(operation);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new CloudflareApiError('cloudflare.server-error', 'injected 500', { status: 500 });
    }
  }

  async openUploadSession(
    namespace: string,
    script: string,
    manifest: AssetManifest,
  ): Promise<UploadSession> {
    this.failIfAsked('session');
    const hashes = [...new Set(Object.values(manifest).map((entry) => entry.hash))];
    const missing = hashes.filter((hash) => !this.stored.has(hash));
    const session: Session = {
      id: this.sessions.length + 1,
      namespace,
      script,
      manifest,
      missing: new Set(missing),
    };
    this.sessions.push(session);
    const exp = this.nowSeconds() + 3600;
    if (missing.length === 0) return { jwt: token('completion', session.id, exp), buckets: [] };
    const buckets: string[][] = [];
    for (let i = 0; i < missing.length; i += this.bucketSize)
      buckets.push(missing.slice(i, i + this.bucketSize));
    return { jwt: token('upload', session.id, exp), buckets };
  }

  async uploadBucket(uploadJwt: string, files: AssetFile[]): Promise<UploadBucketResult> {
    this.failIfAsked('upload');
    const claims = decode(uploadJwt);
    if (claims.kind !== 'upload' || claims.exp <= this.nowSeconds()) {
      throw new CloudflareApiError('cloudflare.token-expired', 'upload JWT expired', { status: 401 });
    }
    const session = this.sessions[claims.session - 1];
    if (session === undefined) throw new Error('unknown session');
    for (const file of files) {
      this.stored.set(file.hash, { content: Buffer.from(file.content), contentType: file.contentType });
      session.missing.delete(file.hash);
    }
    if (session.missing.size > 0 || this.loseCompletion) return { status: 'accepted' };
    return { status: 'complete', completionToken: token('completion', session.id, this.nowSeconds() + 3600) };
  }

  /** Reads the whole bucket first, so a reader that fails stores nothing (a cut-short request). */
  async uploadBucketStream(uploadJwt: string, bucket: StreamedBucket): Promise<UploadBucketResult> {
    const contents: Array<Uint8Array | undefined> = [];
    for await (const { index, bytes } of bucket.read(new AbortController().signal)) contents[index] = bytes;
    const files = bucket.files.map((file, index) => {
      const content = contents[index];
      if (content?.byteLength !== file.size) throw new Error(`asset ${file.hash} was not sent whole`);
      return { hash: file.hash, contentType: file.contentType, content };
    });
    return this.uploadBucket(uploadJwt, files);
  }

  async deployScript(
    namespace: string,
    script: string,
    upload: { modules: ScriptModule[]; metadata: ScriptMetadata },
  ): Promise<DeployedScript> {
    this.failIfAsked('deploy');
    if (this.rejectNextDeploy) {
      this.rejectNextDeploy = false;
      throw new CloudflareApiError('cloudflare.script-rejected', 'Uncaught SyntaxError in index.js', {
        status: 400,
      });
    }
    const assets: FakeDeploy['assets'] = {};
    const jwt = upload.metadata.assets?.jwt;
    if (jwt !== undefined) {
      const claims = decode(jwt);
      if (claims.kind !== 'completion' || claims.exp <= this.nowSeconds()) {
        throw new CloudflareApiError('cloudflare.token-expired', 'completion token expired', { status: 400 });
      }
      const session = this.sessions[claims.session - 1];
      if (session === undefined || session.script !== script || session.namespace !== namespace) {
        throw new CloudflareApiError('cloudflare.bad-request', 'completion token for another script', {
          status: 400,
        });
      }
      for (const [path, entry] of Object.entries(session.manifest)) {
        const stored = this.stored.get(entry.hash);
        if (stored === undefined) throw new Error(`asset ${path} was never uploaded`);
        assets[path] = { hash: entry.hash, ...stored };
      }
    }
    const deploy: FakeDeploy = {
      namespace,
      script,
      modules: upload.modules,
      metadata: upload.metadata,
      assets,
    };
    this.scripts.set(`${namespace}/${script}`, deploy);
    this.deploys.push(deploy);
    return {
      id: script,
      tags: upload.metadata.tags ?? [],
      hasAssets: jwt !== undefined,
      hasModules: upload.modules.length > 0,
    };
  }

  async deleteScriptsByTag(namespace: string, tag: string): Promise<{ deleted: string[] }> {
    this.failIfAsked('delete-by-tag');
    const deleted: string[] = [];
    for (const [key, deploy] of this.scripts) {
      if (deploy.namespace === namespace && (deploy.metadata.tags ?? []).includes(tag)) {
        this.scripts.delete(key);
        deleted.push(deploy.script);
      }
    }
    return { deleted };
  }

  async deleteScript(namespace: string, script: string): Promise<{ deleted: boolean }> {
    this.failIfAsked('delete');
    return { deleted: this.scripts.delete(`${namespace}/${script}`) };
  }

  async listScripts(namespace: string, options: { tags?: string[] } = {}) {
    this.failIfAsked('list');
    return [...this.scripts.values()]
      .filter((deploy) => deploy.namespace === namespace)
      .filter((deploy) => (options.tags ?? []).every((tag) => (deploy.metadata.tags ?? []).includes(tag)))
      .map((deploy) => ({ id: deploy.script, tags: deploy.metadata.tags ?? [] }));
  }

  async getScriptTags(namespace: string, script: string): Promise<string[]> {
    this.failIfAsked('tags');
    return this.scripts.get(`${namespace}/${script}`)?.metadata.tags ?? [];
  }
}
