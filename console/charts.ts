// Charts (chart.js): one instance per canvas, redrawn in place; the palettes and shared options.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  type ChartDataset,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { $ } from './dom';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif';
Chart.defaults.color = '#5b6477';

export const charts = new Map<string, Chart>();
export const PALETTE = ['#2563eb', '#16a34a', '#9333ea', '#f59e0b', '#0891b2', '#dc2626', '#64748b', '#db2777'];
export const TIER_COLOURS = ['#94a3b8', '#60a5fa', '#f59e0b', '#7c3aed', '#10b981', '#ef4444', '#0ea5e9', '#a16207'];

export function drawChart<T extends ChartType>(id: string, config: ChartConfiguration<T>): void {
  charts.get(id)?.destroy();
  const canvas = $(id) as HTMLCanvasElement;
  charts.set(id, new Chart(canvas, config) as unknown as Chart);
}

export function dayAxis(labels: string[]) {
  return {
    ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12, callback: (_: unknown, i: number) => labels[i]?.slice(5) },
    grid: { display: false },
  };
}

export function lineDataset(
  label: string,
  data: (number | null)[],
  colour: string,
  extra: Partial<ChartDataset<'line'>> = {},
): ChartDataset<'line'> {
  return {
    label,
    data,
    borderColor: colour,
    backgroundColor: colour,
    pointRadius: 0,
    pointHoverRadius: 4,
    borderWidth: 2,
    tension: 0.25,
    ...extra,
  };
}

export function legendOptions() {
  return { position: 'bottom' as const, labels: { boxWidth: 12, boxHeight: 12 } };
}
