export * from './psi';
export * from './accuracy';
export * from './evaluate';
export * from './assess';
export * from './driftBuckets';
export * from './lakeDrift';
