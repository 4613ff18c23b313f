// A small, strict XML 1.0 well-formedness parser for tests: one root element, matching end tags, quoted
// attributes without `<`, no duplicate attributes, only known entity and character references, comments,
// CDATA, processing instructions and a DOCTYPE without an internal subset. It builds a tree so that tests
// can look inside (SVG node titles, JUnit test cases). It throws with the offset of the first problem.

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Character data directly inside this element, references decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export class XmlError extends Error {}

function decode(raw: string, offset: number): string {
  return raw.replace(/&([^;&\s]*);?/g, (match, ref: string) => {
    if (!match.endsWith(';')) throw new XmlError(`bare '&' at ${offset}`);
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const num = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
    if (num === null) throw new XmlError(`unknown entity &${ref}; at ${offset}`);
    const code = num[1] !== undefined ? parseInt(num[1], 16) : parseInt(num[2]!, 10);
    if (code === 0 || (code < 0x20 && ![0x9, 0xa, 0xd].includes(code)) || code > 0x10ffff) {
      throw new XmlError(`invalid character reference &${ref}; at ${offset}`);
    }
    return String.fromCodePoint(code);
  });
}

export function parseXml(text: string): XmlNode {
  let i = 0;
  const fail = (message: string): never => {
    throw new XmlError(`${message} at offset ${i}`);
  };
  const bad = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(text);
  if (bad !== null) {
    i = bad.index;
    fail('control character');
  }

  const skipMisc = (): void => {
    for (;;) {
      while (/\s/.test(text[i] ?? '')) i++;
      if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        if (text.slice(i + 4, end).includes('--')) fail("'--' inside a comment");
        i = end + 3;
      } else if (text.startsWith('<!DOCTYPE', i)) {
        const end = text.indexOf('>', i);
        if (end < 0 || text.slice(i, end).includes('[')) fail('unsupported DOCTYPE');
        i = end + 1;
      } else {
        return;
      }
    }
  };

  const element = (): XmlNode => {
    if (text[i] !== '<') fail("expected '<'");
    i++;
    const name = NAME.exec(text.slice(i))?.[0] ?? fail('expected an element name');
    i += name.length;
    const node: XmlNode = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const space = /^\s*/.exec(text.slice(i))![0].length;
      i += space;
      if (text.startsWith('/>', i)) {
        i += 2;
        return node;
      }
      if (text[i] === '>') {
        i++;
        break;
      }
      if (space === 0) fail('expected whitespace before an attribute');
      const attr = NAME.exec(text.slice(i))?.[0] ?? fail('expected an attribute name');
      i += attr.length;
      i += /^\s*/.exec(text.slice(i))![0].length;
      if (text[i] !== '=') fail(`expected '=' after ${attr}`);
      i++;
      i += /^\s*/.exec(text.slice(i))![0].length;
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = text.indexOf(quote!, i + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = text.slice(i + 1, end);
      if (raw.includes('<')) fail(`'<' in the value of ${attr}`);
      if (attr in node.attrs) fail(`duplicate attribute ${attr}`);
      node.attrs[attr] = decode(raw, i);
      i = end + 1;
    }
    // Content
    for (;;) {
      if (i >= text.length) fail(`unclosed <${name}>`);
      if (text.startsWith('</', i)) {
        i += 2;
        const closing = NAME.exec(text.slice(i))?.[0];
        if (closing !== name) fail(`</${closing ?? ''}> closes <${name}>`);
        i += name.length;
        i += /^\s*/.exec(text.slice(i))![0].length;
        if (text[i] !== '>') fail("expected '>'");
        i++;
        return node;
      }
      if (text.startsWith('<!--', i)) {
        const end = text.indexOf('-->', i + 4);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i);
        if (end < 0) fail('unterminated CDATA');
        node.text += text.slice(i + 9, end);
        i = end + 3;
      } else if (text.startsWith('<?', i)) {
        const end = text.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (text[i] === '<') {
        node.children.push(element());
      } else {
        const end = text.indexOf('<', i);
        const raw = text.slice(i, end < 0 ? text.length : end);
        if (raw.includes(']]>')) fail("']]>' in text");
        node.text += decode(raw, i);
        i += raw.length;
      }
    }
  };

  skipMisc();
  const root = element();
  skipMisc();
  if (i < text.length) fail('content after the root element');
  return root;
}

/** Every element below `node` (itself included), depth first. */
export function descendants(node: XmlNode): XmlNode[] {
  return [node, ...node.children.flatMap(descendants)];
}

/** All text inside `node`, its descendants' included. */
export function allText(node: XmlNode): string {
  return node.text + node.children.map(allText).join('');
}
