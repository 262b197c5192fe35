/**
 * Text a broker sent that a platform shows to people: error descriptions, last_operation
 * descriptions, values it quotes in complaints. Whatever answered may not be a broker at all
 * (a URL can point anywhere), so only short, single-line, printable text is ever passed on.
 */

/** The most characters of a broker's text a message quotes. */
export const BROKER_TEXT_LIMIT = 200;

// Control and format characters (newlines, escapes, bidi overrides, zero-width joiners), the
// Unicode line separators and halves of a character cut in two: they could forge log lines or
// disguise the rest of the text.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]+/gu;

/**
 * The broker's `value` fit to quote: undefined unless it is a string with something printable
 * in it; every run of control characters or whitespace becomes one space; at most `limit`
 * characters (code points), the last one `…` when it was cut.
 */
export function brokerText(value: unknown, limit = BROKER_TEXT_LIMIT): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Cleaning never lengthens text, so what lies past a generous head cannot be shown anyway.
  const cleaned = value.slice(0, limit * 4).replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
  if (cleaned === '') return undefined;
  const characters = Array.from(cleaned);
  return characters.length > limit ? `${characters.slice(0, limit - 1).join('')}…` : cleaned;
}

/** A broker's value quoted in a complaint about it: a short string in quotes, or its type. */
export function quoteBrokerValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(brokerText(value, 40) ?? '');
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
