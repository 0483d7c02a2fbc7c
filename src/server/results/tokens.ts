/*
 * A fast, conservative token count for result text. Real tokenizers (o200k) are too slow and too
 * large to run on every result, and bytes/3 undercounts IDs, digits and escapes (2.8 bytes per
 * token on audit logs). Counting by character class stays above o200k on everything the API
 * returns: test/server/results/budget.test.ts checks it against gpt-tokenizer on the seeded organization.
 *
 * - a lowercase run (optionally capitalised) costs one token per 5 letters, an uppercase run one per 3;
 * - a digit run one per 3 digits (o200k splits numbers into groups of three);
 * - a punctuation run one per 2 characters (`":"`, `},{` are one or two tokens);
 * - whitespace nothing (it joins the next word);
 * - anything outside ASCII one per UTF-16 unit (CJK and emoji are about one token per character);
 * then 5% on top.
 *
 * With a `ceiling`, the count stops once it is over it: the answer is then some number above the
 * ceiling, not the full count.
 */
const PIECES = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|\s+|[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+|[^\x00-\x7f]+|[\x00-\x1f\x7f]/g;

export function estimateTokens(text: string, ceiling = Infinity): number {
  // Past `ceiling` the caller only needs to know it is over: a cut of a huge answer stops reading
  // after about a budget's worth of text instead of scanning megabytes it will throw away.
  const stopAt = ceiling / 1.05;
  let tokens = 0;
  for (const match of text.matchAll(PIECES)) {
    if (tokens > stopAt) break;
    const piece = match[0];
    const code = piece.charCodeAt(0);
    const length = piece.length;
    if (code >= 97 && code <= 122) tokens += Math.ceil(length / 5);
    else if (code >= 65 && code <= 90) tokens += piece.length > 1 && piece.charCodeAt(1) >= 97 ? Math.ceil(length / 5) : Math.ceil(length / 3);
    else if (code >= 48 && code <= 57) tokens += Math.ceil(length / 3);
    else if (code === 32 || code === 10 || code === 9 || code === 13) tokens += length > 4 ? Math.ceil(length / 4) : 0;
    else if (code < 128) tokens += Math.ceil(length / 2);
    else tokens += length;
  }
  return Math.ceil(tokens * 1.05);
}
