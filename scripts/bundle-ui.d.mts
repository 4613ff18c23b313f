/** Bundle src/report/ui/ into dist/ui/report.js and report.css. */
export function bundleUi(): Promise<void>;
