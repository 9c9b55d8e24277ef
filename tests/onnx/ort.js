#!/usr/bin/env node
// ort.js - runs an ONNX file in ONNX Runtime (onnxruntime-node) on the raw
// inputs `dlc predict --values` reads, to check dlc's export against dlc.
//
//   node ort.js check MODEL.onnx VALUES EXPECTED [--output NAME] [--tol X] [--valid-steps]
//       runs MODEL on every line of VALUES (one example per line) and compares
//       output NAME (default: probabilities, else output; NAME,NAME,... for
//       several heads, one after the other on a line) with EXPECTED (the
//       lines `dlc predict RUN --values VALUES` printed); prints the largest
//       absolute difference and exits 1 above X (default 1e-4).
//       --valid-steps: a text model's per-step outputs are compared only at
//       the steps up to each example's last non-padding id (0 pads), where
//       dlc defines them; an input (T, 1 + C) has the id first in each step
//       (word_chars), an output (k T, ...) holds k blocks of T steps (a
//       bidirectional language model's forward then backward predictions).
//   node ort.js gen MODEL.onnx N [--max V] [--pad] [--seed S]
//       prints N random inputs for MODEL, one per line: token ids in [1, V)
//       (default 20), the end of each row padded with 0 after a random length
//       when --pad; else whole numbers in [0, 255] (image pixels).  Ids
//       (T, 1 + C) are per step a word id and its bytes (word_chars): 0 to C
//       byte ids in [1, 256], then 0s, now and then a stray id after the first
//       0 or one outside [1, 256] (which the layer must ignore).
//   node ort.js time MODEL.onnx VALUES REPEAT [--threads K]
//       times REPEAT runs over all of VALUES after one warm-up run (benchmark
//       B10); prints one JSON line with ms per example.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
  process.stderr.write('ort.js: ' + msg + '\n');
  process.exit(2);
}

let ort;
try {
  ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
} catch (e) {
  fail('onnxruntime-node is not installed (make onnxruntime): ' + e.message);
}

function readRows(file) {
  return fs.readFileSync(file, 'utf8').split('\n')
    .filter((l) => l.replace(/[\s,]/g, '') !== '')
    .map((l) => l.trim().split(/[\s,]+/).map(Number));
}

function option(args, name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}

async function session(model, threads) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
}

// The input tensor of all rows: [N, dims...] from the model's input metadata.
function feeds(sess, rows) {
  const meta = sess.inputMetadata[0];
  const dims = meta.shape.slice(1);
  const size = dims.reduce((a, b) => a * b, 1);
  rows.forEach((r, i) => {
    if (r.length !== size) fail(`row ${i + 1} has ${r.length} values, the model takes ${size}`);
  });
  const flat = rows.flat();
  const ids = meta.type === 'int64';
  const data = ids ? BigInt64Array.from(flat.map((v) => BigInt(Math.round(v)))) : Float32Array.from(flat);
  return { [sess.inputNames[0]]: new ort.Tensor(ids ? 'int64' : 'float32', data, [rows.length, ...dims]) };
}

async function check(args) {
  const [model, valuesFile, expectedFile] = args;
  const tol = Number(option(args, '--tol', '1e-4'));
  const sess = await session(model, 1);
  const name = option(args, '--output', sess.outputNames.includes('probabilities') ? 'probabilities' : 'output');
  const names = name.split(',');
  names.forEach((n) => { if (!sess.outputNames.includes(n)) fail(`the model has no output '${n}' (${sess.outputNames})`); });
  const rows = readRows(valuesFile);
  const expected = readRows(expectedFile);
  if (expected.length !== rows.length) fail(`${rows.length} inputs but ${expected.length} expected rows`);
  // several outputs (a model's heads): each example's values one after the other
  const results = await sess.run(feeds(sess, rows));
  const parts = names.map((n) => results[n].data);
  const sizes = parts.map((d) => d.length / rows.length);
  const per = sizes.reduce((a, b) => a + b, 0);
  const out = { data: new Float64Array(per * rows.length) };
  for (let i = 0, at = 0; i < rows.length; i++)
    parts.forEach((d, k) => { for (let j = 0; j < sizes[k]; j++) out.data[at++] = d[i * sizes[k] + j]; });
  let worst = 0, at = '', count = 0;
  // --valid-steps: the input's steps and the output's (a multiple of them)
  const inSteps = sess.inputMetadata[0].shape[1];
  const outMeta = sess.outputMetadata[sess.outputNames.indexOf(names[0])];
  const outSteps = outMeta && outMeta.shape && typeof outMeta.shape[1] === 'number' ? outMeta.shape[1] : inSteps;
  for (let i = 0; i < rows.length; i++) {
    if (expected[i].length !== per) fail(`expected row ${i + 1} has ${expected[i].length} values, ONNX gives ${per}`);
    let valid = () => true;
    if (args.includes('--valid-steps')) {
      const K = rows[i].length / inSteps;
      let len = 0;
      for (let t = 0; t < inSteps; t++) if (rows[i][t * K] !== 0) len = t + 1;
      const perStep = per / outSteps;
      valid = (j) => Math.floor(j / perStep) % inSteps < len;
    }
    for (let j = 0; j < per; j++) {
      if (!valid(j)) continue;
      const d = Math.abs(out.data[i * per + j] - expected[i][j]);
      count++;
      if (!(d <= worst)) { worst = d; at = `example ${i + 1}, value ${j}: onnx ${out.data[i * per + j]}, dlc ${expected[i][j]}`; }
    }
  }
  console.log(`${path.basename(model)} ${name}: max abs diff ${worst.toExponential(3)} over ${count} values of ${rows.length} examples` +
              (worst > 0 ? ` (${at})` : ''));
  if (!(worst <= tol)) {
    console.log(`FAIL: above the tolerance ${tol}`);
    process.exit(1);
  }
}

async function time(args) {
  const [model, valuesFile, repeatArg] = args;
  const repeat = Number(repeatArg);
  const threads = Number(option(args, '--threads', '1'));
  const sess = await session(model, threads);
  const rows = readRows(valuesFile);
  const f = feeds(sess, rows);
  await sess.run(f);
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < repeat; r++) await sess.run(f);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / (repeat * rows.length);
  console.log(JSON.stringify({ runtime: 'onnxruntime-node ' + ort.env.versions.node, model: path.basename(model),
    threads, examples: rows.length, repeat, ms_per_example: Number(ms.toFixed(5)) }));
}

async function gen(args) {
  const [model, nArg] = args;
  const max = Number(option(args, '--max', '20'));
  let seed = Number(option(args, '--seed', '1'));
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const sess = await session(model, 1);
  const meta = sess.inputMetadata[0];
  const dims = meta.shape.slice(1);
  const size = dims.reduce((a, b) => a * b, 1);
  const ids = meta.type === 'int64';
  const lines = [];
  for (let i = 0; i < Number(nArg); i++) {
    const row = [];
    if (ids && dims.length === 2) {
      // word_chars: per step a word id, then its bytes
      const [T, K] = dims;
      const len = args.includes('--pad') ? 1 + Math.floor(rand() * T) : T;
      for (let t = 0; t < T; t++) {
        const step = new Array(K).fill(0);
        if (t < len) {
          step[0] = 1 + Math.floor(rand() * (max - 1));
          const nb = Math.floor(rand() * K);
          for (let c = 1; c <= nb; c++) step[c] = 1 + Math.floor(rand() * 256);
          const r = rand();
          if (nb + 2 < K && r < 0.2) step[nb + 2] = 1 + Math.floor(rand() * 256);
          else if (nb + 1 < K && r < 0.3) step[nb + 1] = r < 0.25 ? 257 : -3;
        }
        row.push(...step);
      }
    } else {
      const len = ids && args.includes('--pad') ? 1 + Math.floor(rand() * size) : size;
      for (let j = 0; j < size; j++)
        row.push(j >= len ? 0 : ids ? 1 + Math.floor(rand() * (max - 1)) : Math.floor(rand() * 256));
    }
    lines.push(row.join(' '));
  }
  console.log(lines.join('\n'));
}

const [cmd, ...rest] = process.argv.slice(2);
const run = cmd === 'check' ? check : cmd === 'time' ? time : cmd === 'gen' ? gen : null;
if (!run || rest.length < 2) fail('usage: ort.js check MODEL VALUES EXPECTED [--output NAME] [--tol X] [--valid-steps] | ort.js gen MODEL N [--max V] [--pad] | ort.js time MODEL VALUES REPEAT [--threads K]');
run(rest).catch((e) => fail(e.message));
