// How a message repeats source text it should not reproduce whole: a 20 MB number or a 100 KB name makes a short
// message. Its own module so that the machine (handle names) and the language (diagnostics) share it, and the
// machine need not import the language's diagnostics.

/** Text longer than this is cut, to its first CUT_KEPT characters and `…`. */
const CUT_PAST = 60;
const CUT_KEPT = 40;

/** A name or number as a message repeats it. */
export function cut(text: string): string {
  return text.length <= CUT_PAST ? text : `${text.slice(0, CUT_KEPT)}…`;
}

/** Source text as a message quotes it, cut when long, with its length then. */
export function quoted(text: string): string {
  return text.length <= CUT_PAST ? `'${text}'` : `'${cut(text)}' (${text.length} characters)`;
}

const LONG_WORD = new RegExp(`[A-Za-z0-9_]{${CUT_PAST + 1},}`, 'g');

/**
 * Every long word of a finished message, cut without its length. Both are needed: names also reach messages
 * unquoted, inside other text (a proc's usage `f(a, b)`, a method, an owner), where a site missed would repeat them
 * whole; `quoted` stays for the name a message is about, whose length tells two long names with one start apart.
 */
export function cutLongWords(message: string): string {
  return message.replace(LONG_WORD, cut);
}
