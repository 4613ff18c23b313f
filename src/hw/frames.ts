// Frame words: a stack cell, and on aarch64 the ELR_EL1/SPSR_EL1 pair. A frame records what a return through it
// restores (pc, interrupt-enable bit, interrupt-context depth, stack) and whose it is (owner thread), so that a
// return through the wrong kind of frame or another thread's frame is caught where it happens.

import { FRAME_KINDS, readField, writeField, type FrameFormat, type FrameKind } from '../ir/layout.js';

export interface Frame {
  kind: FrameKind;
  pc: number;
  ie: number;
  owner: number;
  hardirq: number;
  line: number;
  stack: number;
}

export function encodeFrame(format: FrameFormat, frame: Frame): number {
  let word = 0;
  word = writeField(word, format.kind, FRAME_KINDS.indexOf(frame.kind));
  word = writeField(word, format.pc, frame.pc);
  word = writeField(word, format.ie, frame.ie);
  word = writeField(word, format.owner, frame.owner);
  word = writeField(word, format.hardirq, frame.hardirq);
  word = writeField(word, format.line, frame.line);
  word = writeField(word, format.stack, frame.stack);
  return word;
}

export function decodeFrame(format: FrameFormat, word: number): Frame {
  return {
    kind: FRAME_KINDS[readField(word, format.kind)] ?? 'none',
    pc: readField(word, format.pc),
    ie: readField(word, format.ie),
    owner: readField(word, format.owner),
    hardirq: readField(word, format.hardirq),
    line: readField(word, format.line),
    stack: readField(word, format.stack),
  };
}

/** `an interrupt frame`, `a call frame`: how messages name a frame kind. */
export function frameNoun(kind: FrameKind): string {
  switch (kind) {
    case 'irq':
      return 'an interrupt frame';
    case 'exc':
      return 'an exception frame';
    case 'call':
      return 'a call frame';
    case 'flags':
      return 'a flags frame';
    case 'switch':
      return 'a switch frame';
    case 'none':
      return 'an empty cell';
  }
}
