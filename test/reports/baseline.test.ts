import { describe, expect, it } from 'vitest';
import { keptByProjects } from '../../src/reports/baseline.js';

/*
 * keptByProjects on made-up series: 35 days, the last one judged. A key that takes over another
 * key's traffic jumps while its project stays level; a key that spends more raises its project.
 */
const DAY = 86_400;
const days = Array.from({ length: 35 }, (_, i) => Date.UTC(2026, 9, 1) / 1000 + i * DAY);
const flat = (level: number, last: number) => Float64Array.from(days, (_, i) => (i === days.length - 1 ? last : level * (1 + 0.02 * Math.sin(i)))); // ±2% wiggle
const judged = days.length - 1;

describe('keptByProjects', () => {
  it('is false when the group rose and its project did not: spend that moved', () => {
    const parts = new Map([['proj_a', flat(10, 60)]]);
    const totals = new Map([['proj_a', flat(200, 202)]]);
    expect(keptByProjects(parts, totals, days, judged)).toBe(false);
  });

  it('is true when the project rose with the group: new spend', () => {
    const parts = new Map([['proj_a', flat(10, 60)]]);
    const totals = new Map([['proj_a', flat(200, 250)]]);
    expect(keptByProjects(parts, totals, days, judged)).toBe(true);
  });

  it('weighs each project by the group’s own rise in it (a model in two projects, one of them a shift)', () => {
    const parts = new Map([
      ['proj_a', flat(10, 110)], // +100, project level: moved
      ['proj_b', flat(10, 40)], // +30, project +30: new
    ]);
    const totals = new Map([
      ['proj_a', flat(500, 500)],
      ['proj_b', flat(100, 130)],
    ]);
    expect(keptByProjects(parts, totals, days, judged)).toBe(false); // 30 of 130 kept
    parts.set('proj_a', flat(10, 30)); // +20 moved, +30 new: 30 of 50 kept
    expect(keptByProjects(parts, totals, days, judged)).toBe(true);
  });
});
