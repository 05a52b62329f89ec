// Deterministic answers: the same prompt always yields the same text, so tests can assert
// exact content, and token counts are a simple function of the text.

import { createHash } from 'node:crypto';

const WORDS = (
  'treaty routes every request across clouds while honouring commitments reservations shares ' +
  'and windows so that finance signs the invoice and engineers sleep through the outage of one ' +
  'region because another deployment answers with the same model at a fair price today'
).split(' ');

/** Rough token count: one token per 4 characters, at least one for non-empty text. */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return Math.max(1, Math.ceil(text.length / 4));
}

/** `n` word-tokens chosen deterministically from the prompt. Each token carries its leading space. */
export function generateTokens(prompt: string, n: number): string[] {
  const digest = promptDigest(prompt);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const word = WORDS[(digest[i % digest.length]! + i * 7) % WORDS.length]!;
    out.push(i === 0 ? capitalise(word) : ` ${word}`);
  }
  return out;
}

// A load test sends the same few prompts again and again: their digests are kept (bounded).
const digests = new Map<string, Buffer>();
const MAX_DIGESTS = 256;

function promptDigest(prompt: string): Buffer {
  let d = digests.get(prompt);
  if (d === undefined) {
    d = createHash('sha256').update(prompt).digest();
    if (digests.size >= MAX_DIGESTS) digests.clear();
    digests.set(prompt, d);
  }
  return d;
}

/** A deterministic unit vector of `dims` floats for an embedding input. */
export function generateEmbedding(text: string, dims: number): number[] {
  const digest = createHash('sha256').update(text).digest();
  const v: number[] = [];
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = (digest[i % digest.length]! - 127.5) / 127.5 + (i % 7) / 100;
    v.push(x);
    norm += x * x;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
  return v.map((x) => Math.fround(x * scale));
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
