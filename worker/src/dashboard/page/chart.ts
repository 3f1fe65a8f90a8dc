/**
 * The 24-hour chart (uPlot): completed and failed jobs per hour from the health report's trend.
 * Sized to its container, and redrawn when that changes (360 px phones to desktops).
 */
import uPlot from 'uplot';
import type { HealthReport } from '../../alerts/report.js';

const COMPLETED = '#1e6b32';
const FAILED = '#b3261e';

export class TrendChart {
  private plot: uPlot | null = null;

  constructor(private readonly box: HTMLElement) {
    new ResizeObserver(() => this.plot?.setSize(this.size())).observe(box);
  }

  private size(): { width: number; height: number } {
    const width = Math.max(200, Math.floor(this.box.clientWidth));
    return { width, height: width < 480 ? 180 : 240 };
  }

  /** Draws (or redraws) the trend. */
  update(trend: HealthReport['trend']): void {
    const data: uPlot.AlignedData = [
      trend.map((b) => Date.parse(b.start) / 1000),
      trend.map((b) => b.completed),
      trend.map((b) => b.failed),
    ];
    if (this.plot) return this.plot.setData(data);
    const bars = uPlot.paths.bars!({ size: [0.6, 40] });
    this.plot = new uPlot(
      {
        ...this.size(),
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { y: { range: (_u, _min, max) => [0, Math.max(4, max)] } },
        axes: [{ stroke: '#333' }, { stroke: '#333', label: 'jobs per hour' }],
        series: [
          { label: 'hour (UTC)' },
          { label: 'completed', stroke: COMPLETED, fill: 'rgba(30,107,50,0.35)', width: 2, paths: bars },
          // a line over the bars, so a failed count never hides behind a completed one
          { label: 'failed', stroke: FAILED, width: 2, points: { show: true, size: 6, fill: FAILED } },
        ],
      },
      data,
      this.box,
    );
  }
}
