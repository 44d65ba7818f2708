/**
 * Local mode's live view: a Logger that keeps every structured line (for `.local/logs/`) and turns the
 * pipeline's milestones into short human lines: ingest, N buckets uploading, finalize, the result.
 */
import type { Context } from 'aws-lambda';
import { createRecordingLogger, type LogFields, type Logger, type RecordedLine } from '../../lib/log.js';

export interface ProgressEvent {
  build: string;
  stage: 'ingest' | 'upload' | 'finalize' | 'result';
  text: string;
  status?: string;
}

interface BuildView {
  buckets: number;
  uploaded: number;
}

const buildOf = (line: RecordedLine): string | undefined =>
  typeof line.tenant === 'string' && typeof line.script === 'string' && typeof line.build === 'string'
    ? `${line.tenant}/${line.script}/${line.build}`
    : undefined;

function describe(line: RecordedLine, builds: Map<string, BuildView>): ProgressEvent | undefined {
  const build = buildOf(line);
  if (build === undefined) return undefined;
  const view = builds.get(build) ?? { buckets: 0, uploaded: 0 };
  builds.set(build, view);
  switch (line.message) {
    case 'build ingested': {
      view.buckets = Number(line.buckets ?? 0);
      const upload =
        view.buckets === 0
          ? 'nothing to upload'
          : `${line.missing} files in ${view.buckets} buckets to upload`;
      return {
        build,
        stage: 'ingest',
        text: `${line.assets} assets, ${line.modules} modules validated in ${line.ingestMs} ms; ${upload}`,
      };
    }
    case 'upload finished':
      if (line.outcome === 'uploaded' || line.outcome === 'completed') {
        view.uploaded += 1;
        return { build, stage: 'upload', text: `bucket ${view.uploaded}/${view.buckets || '?'} sent` };
      }
      return { build, stage: 'upload', text: `bucket ${line.bucket}: ${line.outcome}` };
    case 'finalize finished':
      // A deploy is reported by its result line; other outcomes (re-opened, stale...) are worth a line.
      return line.outcome === 'deployed'
        ? undefined
        : { build, stage: 'finalize', text: String(line.outcome) };
    case 'build result recorded':
      return {
        build,
        stage: 'result',
        text: line.code === undefined ? String(line.status) : `${line.status} (${line.code})`,
        status: String(line.status),
      };
    default:
      if (line.level === 'error' || line.level === 'warn') {
        return {
          build,
          stage: 'finalize',
          text: `${line.level}: ${line.message}${line.code ? ` [${line.code}]` : ''}`,
        };
      }
      return undefined;
  }
}

/**
 * A logger that calls `onProgress` for milestones. Lines are kept in `lines`, or, with `persist`, handed
 * over (to a log file) and dropped, so a long-running local mode does not grow.
 */
export function createProgressLogger(
  onProgress: (event: ProgressEvent) => void,
  persist?: (lines: RecordedLine[]) => void,
): Logger & { lines: RecordedLine[] } {
  const recorder = createRecordingLogger({ service: 'workers-drop' });
  const builds = new Map<string, BuildView>();
  let seen = 0;
  const flush = () => {
    while (seen < recorder.lines.length) {
      const line = recorder.lines[seen];
      seen += 1;
      const event = line === undefined ? undefined : describe(line, builds);
      if (event !== undefined) onProgress(event);
    }
    if (persist !== undefined) {
      persist(recorder.lines.splice(0));
      seen = 0;
    }
  };
  const wrap = (logger: Logger): Logger => ({
    debug: (message: string, fields?: LogFields) => {
      logger.debug(message, fields);
      flush();
    },
    info: (message: string, fields?: LogFields) => {
      logger.info(message, fields);
      flush();
    },
    warn: (message: string, fields?: LogFields) => {
      logger.warn(message, fields);
      flush();
    },
    error: (message: string, fields?: LogFields) => {
      logger.error(message, fields);
      flush();
    },
    child: (fields: LogFields) => wrap(logger.child(fields)),
    addContext: (context: Context) => logger.addContext(context),
  });
  return Object.assign(wrap(recorder), { lines: recorder.lines });
}
