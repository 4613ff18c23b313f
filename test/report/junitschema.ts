// Checks a parsed JUnit document against test/report/schemas/junit-essentials.json: element nesting and
// order, occurrence counts, known and required attributes, attribute types, and where text may appear.

import { readFileSync } from 'node:fs';
import type { XmlNode } from './xmlparse.js';

interface ElementRule {
  attributes: Record<string, string>;
  required: string[];
  sequence: [string, number, number | null][];
  text: boolean;
}

interface Essentials {
  root: string;
  types: Record<string, string>;
  elements: Record<string, ElementRule>;
}

export const JUNIT_ESSENTIALS: Essentials = JSON.parse(readFileSync('test/report/schemas/junit-essentials.json', 'utf8'));

export function validateJunit(root: XmlNode, rules: Essentials = JUNIT_ESSENTIALS): string[] {
  const errors: string[] = [];
  const check = (node: XmlNode, path: string): void => {
    const rule = rules.elements[node.name];
    if (rule === undefined) {
      errors.push(`${path}: unknown element <${node.name}>`);
      return;
    }
    for (const [attr, value] of Object.entries(node.attrs)) {
      const type = rule.attributes[attr];
      if (type === undefined) errors.push(`${path}: unknown attribute ${attr}`);
      else if (!new RegExp(rules.types[type]!).test(value)) errors.push(`${path}: ${attr}="${value}" is not ${type}`);
    }
    for (const attr of rule.required) if (!(attr in node.attrs)) errors.push(`${path}: missing required attribute ${attr}`);
    if (!rule.text && node.text.trim() !== '') errors.push(`${path}: text is not allowed here`);
    // xs:sequence: walk the children in order through the sequence's particles.
    let particle = 0;
    let seen = 0;
    for (const child of node.children) {
      while (particle < rule.sequence.length && rule.sequence[particle]![0] !== child.name) {
        if (seen < rule.sequence[particle]![1]) errors.push(`${path}: needs at least ${rule.sequence[particle]![1]} <${rule.sequence[particle]![0]}>`);
        particle++;
        seen = 0;
      }
      if (particle === rule.sequence.length) {
        errors.push(`${path}: <${child.name}> is not allowed here (or out of order)`);
        return;
      }
      seen++;
      const max = rule.sequence[particle]![2];
      if (max !== null && seen > max) errors.push(`${path}: more than ${max} <${child.name}>`);
      check(child, `${path}/${child.name}[${seen - 1}]`);
    }
    for (let p = particle; p < rule.sequence.length; p++) {
      const count = p === particle ? seen : 0;
      if (count < rule.sequence[p]![1]) errors.push(`${path}: needs at least ${rule.sequence[p]![1]} <${rule.sequence[p]![0]}>`);
    }
  };
  if (root.name !== rules.root) errors.push(`root is <${root.name}>, expected <${rules.root}>`);
  check(root, `/${root.name}`);
  return errors;
}
