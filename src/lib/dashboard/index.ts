export * from './dashboardData';
export * from './renderHtml';
export * from './writeDashboard';
