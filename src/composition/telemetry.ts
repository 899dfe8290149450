/**
 * Telemetry built from settings: with APPLICATIONINSIGHTS_CONNECTION_STRING (the Function App
 * setting Bicep sets), the Azure Monitor OpenTelemetry distro exports the pipeline's custom events
 * and metrics to Application Insights; without it, nothing is sent (the local default).
 */
import type { TokenCredential } from '@azure/identity';
import type * as AzureMonitorDistro from '@azure/monitor-opentelemetry';
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { OpenTelemetrySink, noopTelemetry, type TelemetrySink } from '../lib/telemetry';
import { defaultAzureCredential } from '../lib/azure/credential';

export interface ProcessTelemetry {
  sink: TelemetrySink;
  target: 'none' | 'application-insights';
  /** Exports what is buffered and stops the exporters (call once, when the process is done). */
  shutdown(): Promise<void>;
}

export interface TelemetryFromSettingsOptions {
  /** For Entra ID ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD); default: the shared DefaultAzureCredential. */
  credential?: TokenCredential;
}

/** The name the pipeline's meter and logger report as their instrumentation scope. */
export const telemetryScope = 'azure-demand-forecast';

const none: ProcessTelemetry = { sink: noopTelemetry, target: 'none', shutdown: async () => undefined };
let started: ProcessTelemetry | undefined;

/**
 * Starts the distro once per process (it installs global providers) and returns the sink over
 * them. Only metrics and logs are wanted: the automatic instrumentations stay off, since the
 * Functions host already reports requests and dependencies itself.
 */
export function telemetryFromSettings(
  env: Record<string, string | undefined> = process.env,
  options: TelemetryFromSettingsOptions = {},
): ProcessTelemetry {
  const connectionString = env['APPLICATIONINSIGHTS_CONNECTION_STRING']?.trim();
  if (!connectionString) return none;
  if (started) return started;
  // Loaded only here: the distro brings the OpenTelemetry Node SDK, which local runs never need.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const distro = require('@azure/monitor-opentelemetry') as typeof AzureMonitorDistro;
  // Bicep turns local (key) auth off on the component: ingestion then needs an Entra ID token.
  const entraId = /(^|;)\s*Authorization\s*=\s*AAD\b/i.test(env['APPLICATIONINSIGHTS_AUTHENTICATION_STRING'] ?? '');
  const off = { enabled: false };
  distro.useAzureMonitor({
    azureMonitorExporterOptions: { connectionString, ...(entraId ? { credential: options.credential ?? defaultAzureCredential() } : {}) },
    enableLiveMetrics: false,
    instrumentationOptions: {
      http: off,
      azureSdk: off,
      mongoDb: off,
      mySql: off,
      postgreSql: off,
      redis: off,
      redis4: off,
      bunyan: off,
      winston: off,
    },
  });
  started = {
    sink: new OpenTelemetrySink({ meter: metrics.getMeter(telemetryScope), logger: logs.getLogger(telemetryScope) }),
    target: 'application-insights',
    shutdown: async () => {
      started = undefined;
      await distro.shutdownAzureMonitor();
    },
  };
  return started;
}
