/** Escaping for text placed in HTML or SVG. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/SVG element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * Escapes a relative path for an href/src attribute: each segment percent-encoded (spaces, '#', '?'),
 * slashes kept, so files with any name link correctly from file://.
 */
export function escapeUrlPath(relative: string): string {
  return relative.split(/[\\/]/).map(encodeURIComponent).join('/');
}
