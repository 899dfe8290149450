export * from './tracker';
export * from './tablesTracker';
export * from './mlflowTracker';
export * from './createTracker';
export * from './databricksAuth';
