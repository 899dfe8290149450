export * from './runHistory';
export * from './runRecord';
