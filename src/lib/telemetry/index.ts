export * from './stageTelemetry';
