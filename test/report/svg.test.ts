import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCounterexampleDot } from '../../src/report/dot.js';
import { renderLockGraphDot } from '../../src/report/lockgraph.js';
import { companionPath, renderSvg, writeGraph } from '../../src/report/svg.js';
import { abba, FIXTURES } from './fixtures.js';
import { allText, descendants, parseXml, XmlError } from './xmlparse.js';

describe('SVG rendering', () => {
  for (const make of FIXTURES) {
    it(`renders ${make().name} without warnings, as well-formed XML holding every step`, async () => {
      const { cex, program } = make();
      const svg = await renderSvg(renderCounterexampleDot(cex, program));
      if (!svg.ok) throw new Error(svg.errors.join('; '));
      expect(svg.warnings).toEqual([]);
      const root = parseXml(svg.svg);
      expect(root.name).toBe('svg');
      const nodes = descendants(root).filter((n) => n.name === 'g' && n.attrs.class === 'node');
      const byTitle = new Map(nodes.map((n) => [allText(n.children.find((c) => c.name === 'title')!), n]));
      for (const step of cex.steps.slice(1)) {
        const node = byTitle.get(`s${step.index}`);
        expect(node, `step ${step.index}`).toBeDefined();
        // Graphviz keeps runs of spaces as no-break spaces.
        const text = descendants(node!).filter((n) => n.name === 'text').map((n) => allText(n).replace(/\u00a0/g, ' '));
        expect(text).toContain(step.label);
        expect(text).toContain(`#${step.index}  ${step.context}`);
      }
      // One lane header per CPU.
      for (const c of cex.steps[0]!.state.cpus) expect(byTitle.has(`lane${c.cpu}`)).toBe(true);
      // Viewers without DejaVu Sans fall back to a font no wider.
      expect(svg.svg).toContain('font-family="DejaVu Sans,Verdana,Geneva,sans-serif"');
      expect(svg.svg).not.toContain('font-family="DejaVu Sans"');
    });
  }

  it('draws backslashes of a message as written (a \\\\ stays two)', async () => {
    const { cex, program } = abba();
    const message = 'a\\\\b c\\d \\n';
    const svg = await renderSvg(renderCounterexampleDot({ ...cex, message }, program));
    if (!svg.ok) throw new Error(svg.errors.join('; '));
    const texts = descendants(parseXml(svg.svg)).filter((n) => n.name === 'text').map((n) => allText(n).replace(/\u00a0/g, ' '));
    expect(texts.filter((t) => t.includes('a\\')).every((t) => t.includes(message.slice(0, 8)))).toBe(true);
    expect(texts.some((t) => t.includes(message))).toBe(true);
  });

  it('renders the lock graph as well-formed XML with a node per lock', async () => {
    const { cex, program } = abba();
    const svg = await renderSvg(renderLockGraphDot(cex.lockGraph!, program));
    if (!svg.ok) throw new Error(svg.errors.join('; '));
    expect(svg.warnings).toEqual([]);
    const titles = descendants(parseXml(svg.svg))
      .filter((n) => n.name === 'g' && n.attrs.class === 'node')
      .map((n) => allText(n.children.find((c) => c.name === 'title')!));
    expect(titles.sort()).toEqual(['lock PROC', 'lock SCHED', 'lock STATS']);
  });

  it('hands Graphviz warnings to the caller and reports a DOT error as data', async () => {
    const warned = await renderSvg('digraph { a [label=<<B>x</I>>] }');
    expect(warned.ok).toBe(true);
    expect(warned.warnings.join('\n')).toContain('mismatched tag');
    const broken = await renderSvg('digraph { a -> }');
    expect(broken).toEqual({ ok: false, errors: ["syntax error in line 1 near '}'"], warnings: [] });
  });

  it('writes DOT and SVG files, passing warnings to the sink', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-svg-'));
    const warnings: string[] = [];
    const dot = 'digraph { a [label=<<B>x</I>>] }';
    const problems = await writeGraph(dot, { dot: join(dir, 'g.dot'), svg: join(dir, 'g.svg') }, (w) => warnings.push(w));
    expect(problems).toEqual([]);
    expect(readFileSync(join(dir, 'g.dot'), 'utf8')).toBe(dot);
    expect(() => parseXml(readFileSync(join(dir, 'g.svg'), 'utf8'))).not.toThrow();
    expect(warnings.some((w) => w.includes('mismatched tag'))).toBe(true);
  });

  it('reports a file it cannot write or a graph it cannot render, and writes nothing for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedcheck-svg-'));
    expect(await writeGraph('digraph { a }', { dot: join(dir, 'missing', 'g.dot') }, () => {})).toEqual([
      `cannot write ${join(dir, 'missing', 'g.dot')}: ENOENT`,
    ]);
    const problems = await writeGraph('digraph { a -> }', { svg: join(dir, 'bad.svg') }, () => {});
    expect(problems).toEqual([`cannot render ${join(dir, 'bad.svg')}: syntax error in line 1 near '}'`]);
    expect(existsSync(join(dir, 'bad.svg'))).toBe(false);
  });

  it('names the companion file of a second graph', () => {
    expect(companionPath('out/cex.svg', 'locks')).toBe('out/cex.locks.svg');
    expect(companionPath('cex.dot', 'locks')).toBe('cex.locks.dot');
    expect(companionPath('out.d/cex', 'locks')).toBe('out.d/cex.locks');
    expect(companionPath('.hidden', 'locks')).toBe('.hidden.locks');
  });
});

describe('the test XML parser', () => {
  it('rejects what is not well-formed', () => {
    for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&nbsp;</a>', '<a>AT&T</a>', '<a/><b/>', '<a x=1/>', '<a x="<"/>', '<a>']) {
      expect(() => parseXml(bad), bad).toThrow(XmlError);
    }
    expect(parseXml('<?xml version="1.0"?><!-- c --><a x="&lt;&#65;">t&amp;<b/>u</a>')).toEqual({
      name: 'a',
      attrs: { x: '<A' },
      text: 't&u',
      children: [{ name: 'b', attrs: {}, text: '', children: [] }],
    });
  });
});
