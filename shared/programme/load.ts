/**
 * The programme in force. `loadProgram` resolves, once: env `MEMBERFLOW_PROGRAM_JSON` (the JSON
 * itself, inlined at bundle time for Lambda) → env `MEMBERFLOW_PROGRAM` (a path, read with node:fs)
 * → `programme/default.json` (imported statically, so a bundle carries it).
 */
import { readFileSync } from 'node:fs';
import defaultProgramJson from '../../programme/default.json' with { type: 'json' };
import { parseProgram, ProgramError } from './schema';
import type { Program } from './vocabulary';

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

let defaultCache: Program | undefined;

/** The default programme (`programme/default.json`), parsed and frozen. */
export function defaultProgram(): Program {
  return (defaultCache ??= deepFreeze(parseProgram(defaultProgramJson)));
}

let loaded: Program | undefined;

/**
 * The programme in force, resolved once and cached (frozen):
 * `MEMBERFLOW_PROGRAM_JSON` (inline JSON) → `MEMBERFLOW_PROGRAM` (path) → the default programme.
 */
export function loadProgram(env: Record<string, string | undefined> = process.env): Program {
  if (loaded) return loaded;
  const inline = env.MEMBERFLOW_PROGRAM_JSON;
  const path = env.MEMBERFLOW_PROGRAM;
  let program: Program;
  if (inline !== undefined && inline.trim() !== '') {
    let json: unknown;
    try {
      json = JSON.parse(inline);
    } catch (e) {
      throw new ProgramError([`MEMBERFLOW_PROGRAM_JSON: not valid JSON (${(e as Error).message})`]);
    }
    program = parseProgram(json);
  } else if (path !== undefined && path.trim() !== '') {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ProgramError([`MEMBERFLOW_PROGRAM: cannot read ${path} (${(e as Error).message})`]);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ProgramError([`MEMBERFLOW_PROGRAM: ${path} is not valid JSON (${(e as Error).message})`]);
    }
    program = parseProgram(json);
  } else {
    program = defaultProgram();
  }
  return (loaded = deepFreeze(program));
}

/** Forgets the cached programme (tests, or a process that changed its env). */
export function resetProgramCache(): void {
  loaded = undefined;
}
