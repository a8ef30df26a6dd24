#!/usr/bin/env node
// bench/pii: runs the npm PII detectors that coffre's engine is compared with, as their own
// READMEs show them used, with their default settings.
//
//   node npm_pii.js detect redact-pii|openredaction < in.jsonl > out.jsonl
//   node npm_pii.js time redact-pii|openredaction DOCS.jsonl SECONDS
//
// detect: one {"text", ...} line in, one line out, same order.
//   redact-pii only returns the redacted text (each match replaced by a word such as
//   PHONE_NUMBER): the line is {"redacted": "..."} and score.py recovers the spans by aligning
//   it with the input. openredaction returns detections with [start, end) offsets in UTF-16
//   code units: the line is {"hits": [{"type", "start", "end", "text", "score"}]} with the
//   offsets turned into code points (coffre's unit). An exception gives {"error": "..."}.
// time: the documents of DOCS.jsonl in order, until all are done or SECONDS have passed (one
//   warm-up document first); prints "key value" lines: docs, bytes (UTF-8 of the texts),
//   seconds (wall), cpu_seconds (user + system of this process), mb_s, mb_s_cpu (10^6 bytes).
'use strict';
const fs = require('fs');
const path = require('path');

const MODULES = path.join(__dirname, 'node', 'node_modules');

function load(tool) {
  if (tool === 'redact-pii') {
    const { SyncRedactor } = require(path.join(MODULES, 'redact-pii'));
    const r = new SyncRedactor();
    return async (text) => ({ redacted: r.redact(text) });
  }
  if (tool === 'openredaction') {
    const { OpenRedaction } = require(path.join(MODULES, 'openredaction'));
    const r = new OpenRedaction();
    return async (text) => {
      const res = await r.detect(text);
      const cp = codePointIndex(text);
      return {
        hits: res.detections.map((d) => ({
          type: d.type,
          start: cp[d.position[0]],
          end: cp[d.position[1]],
          text: text.slice(d.position[0], d.position[1]),
          score: d.confidence,
        })),
      };
    };
  }
  throw new Error('unknown tool ' + tool);
}

// cp[i]: the code point index of UTF-16 index i (i = 0..length).
function codePointIndex(text) {
  const cp = new Array(text.length + 1);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    cp[i] = n;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp[i + 1] = n;   // inside a pair: not a boundary, mapped to the pair's start
        i++;
      }
    }
    n++;
  }
  cp[text.length] = n;
  return cp;
}

function readLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

async function detect(tool) {
  const run = load(tool);
  const out = [];
  for (const line of readLines(0)) {
    const { text } = JSON.parse(line);
    let res;
    try {
      res = await run(text);
    } catch (e) {
      res = { error: String(e && e.message ? e.message : e) };
    }
    out.push(JSON.stringify(res));
  }
  fs.writeFileSync(1, out.length ? out.join('\n') + '\n' : '');
}

async function time(tool, file, seconds) {
  const run = load(tool);
  const docs = readLines(file).map((l) => JSON.parse(l).text);
  if (docs.length === 0) throw new Error(file + ': no documents');
  await run(docs[0]);
  const limit = BigInt(Math.round(seconds * 1e9));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let n = 0;
  let bytes = 0;
  let t = t0;
  while (n < docs.length && t - t0 < limit) {
    await run(docs[n]);
    bytes += Buffer.byteLength(docs[n], 'utf8');
    n++;
    t = process.hrtime.bigint();
  }
  const wall = Number(t - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const lines = [
    ['docs', n], ['docs_total', docs.length], ['bytes', bytes], ['seconds', wall.toFixed(3)],
    ['cpu_seconds', cpuSeconds.toFixed(3)], ['mb_s', (bytes / 1e6 / wall).toFixed(4)],
    ['mb_s_cpu', (bytes / 1e6 / cpuSeconds).toFixed(4)],
  ];
  process.stdout.write(lines.map((kv) => kv.join(' ')).join('\n') + '\n');
}

async function main() {
  const [cmd, tool, file, seconds] = process.argv.slice(2);
  if (cmd === 'detect' && tool) return detect(tool);
  if (cmd === 'time' && tool && file) return time(tool, file, Number(seconds || 20));
  process.stderr.write('usage: npm_pii.js detect TOOL < in.jsonl | time TOOL DOCS.jsonl SECONDS\n');
  process.exit(2);
}

main().catch((e) => {
  process.stderr.write('npm_pii.js: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
