import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createMetrics } from '../../../lib/metrics.js';

interface EmfBlob {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

let written: string[] = [];
let spies: MockInstance[] = [];
beforeEach(() => {
  written = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  // Both streams: Powertools writes its own warnings to stderr.
  spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
});
afterEach(() => {
  for (const spy of spies) spy.mockRestore();
});

const blobs = (): EmfBlob[] =>
  written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EmfBlob);

const metricNames = (blob: EmfBlob) => blob._aws.CloudWatchMetrics.flatMap((entry) => entry.Metrics);

describe('createMetrics (Powertools EMF on stdout)', () => {
  it('renders counts, timings and bytes as one EMF blob with the service and function dimensions', () => {
    const metrics = createMetrics({
      namespace: 'WorkersDrop',
      service: 'workers-drop',
      functionName: 'finalize',
    });

    metrics.count('BuildsDeployed');
    metrics.timing('FinalizeDuration', 812);
    metrics.bytes('AssetBytesUploaded', 4096);
    metrics.count('AssetsAlreadyPresent', 7);
    metrics.flush();

    const [blob, ...rest] = blobs();
    expect(rest).toEqual([]);
    expect(blob?._aws.Timestamp).toEqual(expect.any(Number));
    expect(blob?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'WorkersDrop',
        Dimensions: [['service', 'function']],
        Metrics: [
          { Name: 'BuildsDeployed', Unit: 'Count' },
          { Name: 'FinalizeDuration', Unit: 'Milliseconds' },
          { Name: 'AssetBytesUploaded', Unit: 'Bytes' },
          { Name: 'AssetsAlreadyPresent', Unit: 'Count' },
        ],
      },
    ]);
    expect(blob).toMatchObject({
      service: 'workers-drop',
      function: 'finalize',
      BuildsDeployed: 1,
      FinalizeDuration: 812,
      AssetBytesUploaded: 4096,
      AssetsAlreadyPresent: 7,
    });
  });

  it.each([
    ['BuildsRejected', { code: 'artifact.corrupt' }],
    ['BuildsFailed', { code: 'cloudflare.script-rejected' }],
    ['CloudflareRetries', { status: '429' }],
  ])('renders %s with its extra dimension in a blob of its own', (name, dimensions) => {
    const metrics = createMetrics({
      namespace: 'WorkersDrop',
      service: 'workers-drop',
      functionName: 'upload',
    });

    metrics.count(name, 1, dimensions);

    const [blob, ...rest] = blobs();
    const [dimension = ''] = Object.keys(dimensions);
    expect(rest).toEqual([]);
    expect(blob?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'function', dimension]]);
    expect(metricNames(blob as EmfBlob)).toEqual([{ Name: name, Unit: 'Count' }]);
    expect(blob).toMatchObject({ ...dimensions, function: 'upload', [name]: 1 });
  });

  it('writes nothing at all when an invocation recorded no metric (no plain-text warning line)', () => {
    const metrics = createMetrics({
      namespace: 'WorkersDrop',
      service: 'workers-drop',
      functionName: 'ingest',
    });

    metrics.flush();

    expect(written.join('')).toBe('');
  });
});
