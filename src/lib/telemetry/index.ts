export * from './stageTelemetry';
export * from './openTelemetrySink';
