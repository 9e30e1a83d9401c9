/** Monitoring reports: where they live, their JSON shape and their HTML rendering. */

// Where the reports live is the S3 layout's; re-exported for the report's readers.
export { MonitoringReportFiles, windowFolder, windowReportKey } from '../s3-layout';
export { escapeHtml, histogramSvg, renderDriftReportHtml } from './html';
export {
  type DriftCheckSettings,
  DriftMetrics,
  type DriftWindowReport,
  driftedFeatures,
} from './report';
