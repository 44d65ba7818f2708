/**
 * Metrics: CloudWatch Embedded Metric Format lines on stdout through Powertools Metrics (no API calls),
 * or an in-memory recorder for tests and local mode's progress view.
 */
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Metrics } from './pipeline/ports.js';

/** Metrics that must be flushed at the end of each invocation. */
export interface FlushableMetrics extends Metrics {
  flush(): void;
}

/** The production metrics: Powertools EMF under `namespace`, with `service` and `function` dimensions. */
export function createMetrics(options: {
  namespace: string;
  service: string;
  functionName: string;
}): FlushableMetrics {
  const metrics = new PowertoolsMetrics({
    namespace: options.namespace,
    serviceName: options.service,
    defaultDimensions: { function: options.functionName },
  });
  return {
    count(name, value = 1, dimensions) {
      if (dimensions === undefined) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      const single = metrics.singleMetric();
      single.addDimensions(dimensions);
      single.addMetric(name, MetricUnit.Count, value);
    },
    timing(name, milliseconds) {
      metrics.addMetric(name, MetricUnit.Milliseconds, milliseconds);
    },
    bytes(name, value) {
      metrics.addMetric(name, MetricUnit.Bytes, value);
    },
    flush() {
      // Powertools prints a plain-text warning when there is nothing to publish: keep every line JSON.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}

/** One recorded data point. */
export interface RecordedMetric {
  name: string;
  unit: 'Count' | 'Milliseconds' | 'Bytes';
  value: number;
  dimensions?: Record<string, string>;
}

/** Metrics kept in memory. */
export interface RecordingMetrics extends FlushableMetrics {
  readonly points: RecordedMetric[];
  /** Sum of every point named `name` (optionally with matching dimensions). */
  total(name: string, dimensions?: Record<string, string>): number;
}

/** Creates {@link RecordingMetrics}. */
export function createRecordingMetrics(): RecordingMetrics {
  const points: RecordedMetric[] = [];
  const matches = (point: RecordedMetric, dimensions?: Record<string, string>) =>
    dimensions === undefined ||
    Object.entries(dimensions).every(([key, value]) => point.dimensions?.[key] === value);
  return {
    points,
    count: (name, value = 1, dimensions) =>
      points.push({ name, unit: 'Count', value, ...(dimensions === undefined ? {} : { dimensions }) }),
    timing: (name, value) => points.push({ name, unit: 'Milliseconds', value }),
    bytes: (name, value) => points.push({ name, unit: 'Bytes', value }),
    flush: () => undefined,
    total: (name, dimensions) =>
      points
        .filter((point) => point.name === name && matches(point, dimensions))
        .reduce((sum, point) => sum + point.value, 0),
  };
}
