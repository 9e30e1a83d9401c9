/** Monitoring reports: where they live, their JSON shape and their HTML rendering. */
export { escapeHtml, histogramSvg, renderDriftReportHtml } from './html';
export {
  type DriftCheckSettings,
  DriftMetrics,
  type DriftWindowReport,
  driftedFeatures,
  MonitoringReportFiles,
  windowFolder,
  windowReportKey,
} from './report';
