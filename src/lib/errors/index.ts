export * from './errors';
export * from './toError';
export * from './deltaErrors';
export * from './ingestErrors';
export * from './trackingErrors';
export * from './retryability';
export * from './valueText';
