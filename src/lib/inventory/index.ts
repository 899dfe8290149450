export * from './inventoryPolicy';
export * from './normalQuantile';
export * from './planInventoryRows';
export * from './stockPosition';
