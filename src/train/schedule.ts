/**
 * Learning-rate schedules: the factor that multiplies the configured learning rate at each optimiser step.
 *
 * 'constant' keeps it. 'cosine' (Loshchilov & Hutter 2017, "SGDR", one cycle without restarts) lowers it along half
 * a cosine from 1 to `floor` over the run's steps: large steps early, small ones to settle at the end, which on short
 * runs gives a lower final loss than any single constant rate.
 */

/** Schedule names as the CLI and VaeConfig give them. */
import type { LrScheduleName } from '../model/vae-config.ts';

export type { LrScheduleName };

/** A schedule with what it needs to run: for 'cosine', the steps it spans and its final factor. */
export type LrSchedule = { kind: 'constant' } | { kind: 'cosine'; steps: number; floor: number };

/** The cosine's final factor: the learning rate ends at 5 % of its start. */
export const COSINE_FLOOR = 0.05;

/**
 * The schedule for a run of `steps` optimiser steps.
 * @example lrSchedule('cosine', 20 * 32) // { kind: 'cosine', steps: 640, floor: 0.05 }
 */
export function lrSchedule(name: LrScheduleName, steps: number): LrSchedule {
  return name === 'cosine' ? { kind: 'cosine', steps, floor: COSINE_FLOOR } : { kind: 'constant' };
}

/**
 * The factor for optimiser step `step` (0 = the first); past the schedule's end it stays at the floor.
 * @example lrFactor({ kind: 'cosine', steps: 100, floor: 0 }, 50) // 0.5
 */
export function lrFactor(schedule: LrSchedule | undefined, step: number): number {
  if (!schedule || schedule.kind === 'constant') return 1;
  const t = Math.min(1, step / Math.max(1, schedule.steps));
  return schedule.floor + (1 - schedule.floor) * 0.5 * (1 + Math.cos(Math.PI * t));
}
