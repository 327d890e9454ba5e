/**
 * A small INI parser with line numbers. Pure: text in, entries out.
 *
 * Accepted:
 *   [section]                 section header (an inline comment may follow)
 *   key = value               key and value are trimmed; the key keeps its case
 *   ; comment  /  # comment   full-line comments
 *   key = value ; comment     inline comments need whitespace before ';' or '#',
 *   key = value # comment     so `a;b` or `pass#word` stay part of the value
 *   key =                     an empty value (the caller decides what it means)
 * Blank lines are ignored; CRLF line ends and a UTF-8 BOM are accepted.
 *
 * Anything else is a syntax error, reported as a ConfigError naming the file and line. The offending
 * line's text is deliberately not echoed: a stray line in a config file may be a pasted password.
 */
import { ConfigError } from '../errors.js';

export interface IniSection {
  /** As written between the brackets, trimmed. */
  readonly name: string;
  readonly line: number;
}

export interface IniEntry {
  readonly file: string;
  /** The section as written, trimmed. */
  readonly section: string;
  /** Line of the `[section]` header this entry belongs to. */
  readonly sectionLine: number;
  /** As written, trimmed; case preserved. */
  readonly key: string;
  /** Trimmed, inline comment removed; '' for `key =`. */
  readonly value: string;
  readonly line: number;
}

export interface IniDocument {
  readonly file: string;
  /** Every section header, in file order (a name may repeat). */
  readonly sections: readonly IniSection[];
  /** Every `key = value`, in file order (a key may repeat). */
  readonly entries: readonly IniEntry[];
}

const SECTION_HINT = 'a config line is `[section]`, `key = value`, or a comment starting with ; or #';

/** Removes an inline comment: ';' or '#' preceded by whitespace. */
function stripInlineComment(text: string): string {
  const match = /[ \t][;#]/.exec(text);
  return match === null ? text : text.slice(0, match.index);
}

export function parseIni(text: string, file: string): IniDocument {
  const sections: IniSection[] = [];
  const entries: IniEntry[] = [];
  let current: IniSection | undefined;

  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) return;

    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close === -1) {
        throw new ConfigError({ file, line }, "section header has no closing ']'", `write it as [name], e.g. [archive]; ${SECTION_HINT}`);
      }
      const name = trimmed.slice(1, close).trim();
      const rest = trimmed.slice(close + 1).trim();
      if (name === '') {
        throw new ConfigError({ file, line }, 'section header has no name', 'write the section name between the brackets, e.g. [archive]');
      }
      if (rest !== '' && !rest.startsWith(';') && !rest.startsWith('#')) {
        throw new ConfigError({ file, line }, `unexpected text after the section header [${name}]`, `put nothing after ']' but a comment; ${SECTION_HINT}`);
      }
      current = { name, line };
      sections.push(current);
      return;
    }

    const equals = trimmed.indexOf('=');
    if (equals === -1) {
      throw new ConfigError(
        { file, line },
        "this line has no '=': it is neither `key = value`, a [section] header nor a comment",
        `${SECTION_HINT}; to disable a line, put ; or # in front of it`,
      );
    }
    const key = trimmed.slice(0, equals).trim();
    if (key === '') {
      throw new ConfigError({ file, line }, "no key name before '='", 'write the line as `key = value`');
    }
    if (current === undefined) {
      throw new ConfigError(
        { file, line, key },
        'this key comes before any [section] header',
        'put it below the section it belongs to, e.g. [workload] for workload_name or timeout, [archive] for path',
      );
    }
    const value = stripInlineComment(trimmed.slice(equals + 1)).trim();
    entries.push({ file, section: current.name, sectionLine: current.line, key, value, line });
  });

  return { file, sections, entries };
}
