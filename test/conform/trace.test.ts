// The trace format as `conform` reads it: what a line must hold, and where a bad line is wrong.
import { describe, expect, it } from 'vitest';
import { EVENT_ARGS, EVENT_NAMES, formatEvent, parseEvent } from '../../src/conform/trace.js';

describe('parseEvent', () => {
  it('reads an event with its arguments; cycle is optional', () => {
    expect(parseEvent('{"cpu":1,"cycle":7,"event":"lock_acquire","lock":"SCHED","thread":"boot[0]"}')).toEqual({
      ok: true,
      event: { cpu: 1, cycle: 7, event: 'lock_acquire', lock: 'SCHED', thread: 'boot[0]' },
    });
    expect(parseEvent('{"cpu":0,"event":"sti"}')).toEqual({ ok: true, event: { cpu: 0, cycle: 0, event: 'sti' } });
  });

  it('drops the compared arguments an event does not take: they are the kernel\'s own, not read', () => {
    expect(parseEvent('{"cpu":0,"event":"sti","thread":"hog","lock":"L","to":{"x":1}}')).toEqual({ ok: true, event: { cpu: 0, cycle: 0, event: 'sti' } });
    // `to` is a thread on a switch, a CPU on an ipi, and nothing on an eoi.
    expect(parseEvent('{"cpu":0,"event":"eoi","line":"timer","to":3,"thread":"hog"}')).toEqual({ ok: true, event: { cpu: 0, cycle: 0, event: 'eoi', line: 'timer' } });
    expect(parseEvent('{"cpu":0,"event":"irq_entry","line":"timer","thread":"hog"}')).toEqual({
      ok: true,
      event: { cpu: 0, cycle: 0, event: 'irq_entry', line: 'timer', thread: 'hog' },
    });
  });

  it('round-trips what the kernel writes', () => {
    const event = { cpu: 0, cycle: 3, event: 'switch' as const, from: 'first', to: 'other[0]' };
    expect(parseEvent(formatEvent(event))).toEqual({ ok: true, event });
  });

  it.each([
    ['[1,2]', 'not a JSON object', 0],
    ['{"cpu":0,"event":"sti"', 'not a JSON object', 22],
    ['{"cpu":-1,"event":"sti"}', '"cpu" must be a CPU number', 1],
    ['{"cpu":0,"cycle":"x","event":"sti"}', '"cycle" must be a number', 9],
    ['{"cpu":0,"event":"teleport"}', 'unknown event "teleport"', 9],
    ['{"cpu":0}', 'unknown event missing', 0],
    ['{"cpu":0,"event":"eoi"}', 'event eoi needs "line"', 9],
    ['{"cpu":0,"event":"lock_acquire","lock":3}', '"lock" must be a string', 32],
    ['{"cpu":0,"event":"switch","from":"a","to":1}', '"to" must be a string', 37],
    ['{"cpu":0,"event":"hang","cpus":[0,-1]}', '"cpus" must be a list of one or more CPU numbers', 24],
    ['{"cpu":0,"event":"hang","cpus":[]}', '"cpus" must be a list of one or more CPU numbers', 24],
    ['{"cpu":0,"event":"ipi","line":"resched","to":-1}', '"to" must be a CPU number', 40],
    ['{"cpu":0,"event":"ipi","line":"resched","to":"cpu1"}', '"to" must be a CPU number', 40],
    ['{"cpu":1e300,"event":"sti"}', '"cpu" must be a CPU number', 1],
  ])('rejects %s: %s', (text, message, offset) => {
    expect(parseEvent(text)).toEqual({ ok: false, message, offset });
  });

  it('knows the required arguments of every event', () => {
    expect(EVENT_NAMES.filter((e) => EVENT_ARGS[e].required.length > 0)).toEqual([
      'irq_entry', 'eoi', 'ack', 'ipi', 'lock_acquire', 'lock_release', 'switch', 'exit', 'spawn', 'wake', 'free_stack', 'fault', 'hang',
    ]);
  });
});
