export * from './dashboardData';
export * from './renderHtml';
export * from './writeDashboard';
export * from './dashboardParts';
export * from './modelNames';
