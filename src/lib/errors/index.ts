export * from './errors';
export * from './toError';
