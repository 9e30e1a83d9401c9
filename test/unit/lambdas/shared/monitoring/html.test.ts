import { describe, expect, it } from 'vitest';
import type { FeatureDrift } from '../../../../../lambdas/shared/drift';
import {
  type DriftWindowReport,
  driftedFeatures,
  escapeHtml,
  histogramSvg,
  renderDriftReportHtml,
  windowReportKey,
} from '../../../../../lambdas/shared/monitoring';

const HOSTILE = `<script>alert("x")</script>&'"`;

function numeric(name: string, drifted: boolean, score: number): FeatureDrift {
  return {
    name,
    type: 'numeric',
    drifted,
    method: 'ks+wasserstein',
    score,
    threshold: 0.1,
    reason: `reason of ${name}`,
    statistics: {
      ksStatistic: 0.2,
      ksPValue: 1e-9,
      psi: 0.3,
      wasserstein: 1,
      normalizedWasserstein: score,
      adjustedPValue: 1e-8,
    },
    histogram: { edges: [0, 1, 2, 3], baseline: [10, 20, 10], current: [5, 10, 25] },
  };
}

function report(): DriftWindowReport {
  return {
    formatVersion: 1,
    kind: 'drift',
    model: 'churn',
    version: 3,
    runId: 'churn-0123456789abcdef',
    windowId: '20261130T140000.000Z_20261130T150000.000Z',
    from: '2026-11-30T14:00:00.000Z',
    until: '2026-11-30T15:00:00.000Z',
    checkedAt: '2026-11-30T15:01:00.000Z',
    capture: {
      files: 2,
      bytes: 1000,
      records: 10,
      requestRows: 41,
      rows: 40,
      predictions: 40,
      internalRecords: 0,
      predictionBaseline: false,
      problems: {
        total: 1,
        counts: { 'not-a-number': 1 },
        byFeature: { [HOSTILE]: { 'not-a-number': 1 } },
        examples: [
          {
            kind: 'not-a-number',
            message: `${HOSTILE}: "<img src=x>" is not a number`,
            file: `capture/${HOSTILE}`,
            line: 3,
          },
        ],
      },
    },
    settings: {
      minSamples: 200,
      driftShare: 0.5,
      criticalFeatures: [HOSTILE],
      correction: 'benjamini-hochberg',
      alpha: 0.05,
    },
    drift: {
      verdict: 'Drift',
      reasons: [`critical feature ${HOSTILE} drifted`],
      driftShare: 0.5,
      rows: { reference: 5000, current: 40 },
      features: [
        numeric(HOSTILE, true, 0.4),
        numeric('x2', false, 0.01),
        {
          name: 'plan',
          type: 'categorical',
          drifted: true,
          method: 'chi-square+jensen-shannon',
          score: 0.9,
          threshold: 0.1,
          reason: 'js',
          statistics: { chiSquare: 30, chiSquarePValue: 1e-7, jensenShannon: 0.9, unseenRate: 0.1 },
          histogram: {
            categories: [HOSTILE, ...Array.from({ length: 30 }, (_, i) => `c${i}`)],
            baseline: [5, ...Array.from({ length: 30 }, () => 1)],
            current: [50, ...Array.from({ length: 30 }, () => 0)],
          },
        },
      ],
    },
  };
}

describe('drift report HTML', () => {
  it('escapes every text that comes from data or requests, and has no script or external resource', () => {
    const html = renderDriftReportHtml(report());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<[^>]*\s(src|href)=/i);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain('Content-Security-Policy" content="default-src \'none\'');
    // Only the page's own tags: every < opens one of them.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => (m[1] ?? '').toLowerCase()));
    const allowed = [
      'html',
      'head',
      'meta',
      'title',
      'style',
      'body',
      'h1',
      'h2',
      'p',
      'span',
      'ul',
      'li',
      'table',
      'thead',
      'tbody',
      'tr',
      'th',
      'td',
      'strong',
      'code',
      'div',
      'figure',
      'figcaption',
      'svg',
      'rect',
      'text',
    ];
    expect([...tags].filter((t) => !allowed.includes(t))).toEqual([]);
  });

  it('draws baseline and window shares per bin and category; categories beyond 20 are summed', () => {
    const [numericFeature, , categorical] = report().drift.features as [
      FeatureDrift,
      FeatureDrift,
      FeatureDrift,
    ];
    const svg = histogramSvg(numericFeature);
    expect(svg.match(/<rect /g)).toHaveLength(6);
    // The tallest bar is the window's last bin (25 of 40 = 62.5%), drawn full height.
    expect(svg).toContain('height="100.0" class="c"><title>2 window 62.5%</title>');
    const categories = histogramSvg(categorical);
    expect(categories.match(/<rect /g)).toHaveLength(42);
    expect(categories).toContain('11 more');
    expect(categories).toContain(escapeHtml('<script>alert…'));
  });

  it('names report keys per window and lists drifted features by score over threshold', () => {
    expect(windowReportKey('churn', 'w1', 'report.json')).toBe('monitoring/churn/w1/report.json');
    expect(driftedFeatures(report().drift)).toEqual(['plan', HOSTILE]);
  });
});
