export * from './errors';
export * from './toError';
export * from './trackingErrors';
