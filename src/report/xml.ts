// Escaping for every XML-shaped output: JUnit, SVG post-processing and Graphviz HTML-like labels (which
// Graphviz parses as XML, so one stray `&` or `<` from a model name would break the whole graph).

const TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ATTR: Record<string, string> = { ...TEXT, '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' };

/**
 * XML 1.0 forbids most C0 control characters even as character references; drop them rather than
 * produce a file that no parser accepts.
 */
function dropInvalid(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

/** Escape text content of an element. */
export function escapeXml(text: string): string {
  return dropInvalid(text).replace(/[&<>]/g, (c) => TEXT[c]!);
}

/** Escape an attribute value (for double- or single-quoted attributes); newlines survive as references. */
export function escapeXmlAttr(text: string): string {
  return dropInvalid(text).replace(/[&<>"'\n\r\t]/g, (c) => ATTR[c]!);
}

export type XmlAttrs = Record<string, string | number | undefined>;

function attrText(attrs: XmlAttrs): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXmlAttr(String(value))}"`)
    .join('');
}

/** A start tag, `<name a="1">`. */
export function xmlOpen(name: string, attrs: XmlAttrs): string {
  return `<${name}${attrText(attrs)}>`;
}

/** An element with attributes (undefined ones left out) and already-serialized children. */
export function xmlElement(name: string, attrs: XmlAttrs, children: string[] = []): string {
  if (children.length === 0) return `<${name}${attrText(attrs)}/>`;
  return `${xmlOpen(name, attrs)}${children.join('')}</${name}>`;
}
