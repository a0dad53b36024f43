// Types of web/curate-lib.js for the Node tests that import it (the page loads the plain .js).
export interface ReportSummary {
  totals: string;
  reasons: { reason: string; count: number; share: number; examples: string[] }[];
  groups: { kept: string; others: string[] }[];
  sheets: Record<string, string>;
}
export function checkReport(doc: unknown): unknown;
export function summarizeReport(doc: unknown, examples?: number): ReportSummary;
