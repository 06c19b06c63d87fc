#!/usr/bin/env node
// llm-warden's Wasm module in V8 without Envoy: a minimal proxy-wasm host in Node runs whole
// exchanges (request headers and body, response headers and a 4 KiB body, log, delete) through
// the release module, and prints the time per exchange, per callback, and the host calls made.
// Compared with `cargo bench --bench engine` it tells the V8 code's cost from the native
// engine's; compared with Envoy's CPU per request (scripts/bench.py) it tells what Envoy adds.
//
//   node --no-liftoff scripts/bench-v8.js [--wasm PATH] [--config JSON] [--sizes 1024,16384]
//                                         [--ms 2000 | --iterations N | --count N] [--evict KiB]
// (`--no-liftoff`: Envoy runs V8 with TurboFan only.) Node's V8 is not Envoy's: the figures are
// for comparing builds and configs with each other in one run, not absolute.
//
// On a busy machine, count instructions instead of timing: `--count N` runs this script under
// Valgrind (callgrind) for each config and size, once with N exchanges after the warm-up
// (`--iterations N`) and once with none; the difference ÷ N is the instructions per exchange,
// repeatable to a few per cent whatever else runs (N = 200 at 1 KiB is a good start; the count
// is scaled down for larger bodies).
'use strict';
const fs = require('fs');
const path = require('path');
const { WASI } = require('wasi');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const wasmPath = opt('wasm', path.join(__dirname, '../target/wasm32-wasip1/release/llm_warden.wasm'));
const configs = (opt('config', null) ? [['custom', opt('config')]] : [
  ['P', '{"defaultPolicy":"none"}'],
  ['C-parse', JSON.stringify({ policies: { default: {
    request: { injection: { action: 'off' }, secrets: { action: 'off' }, pii: { action: 'off' } },
    response: { secrets: { action: 'off' }, pii: { action: 'off' } },
    models: { allow: ['*'] } } } })],
  ['C', '{"policies":{"default":{"request":{"pii":{"action":"redact"}}}}}'],
]);
const sizes = opt('sizes', '1024,16384,262144').split(',').map(Number);
const budgetMs = Number(opt('ms', '2000'));
const iterations = opt('iterations', null) === null ? null : Number(opt('iterations'));
// `--evict KiB`: between exchanges, write one byte per 64-byte line of a KiB-sized buffer, so
// each exchange starts with caches holding other data, as in Envoy, where the proxy's own work
// runs between two requests' callbacks. The time of the eviction itself is not counted.
const evictBuf = Buffer.alloc(Number(opt('evict', '0')) * 1024);
const evict = () => { for (let i = 0; i < evictBuf.length; i += 64) evictBuf[i]++; };

const PROSE = 'The quarterly planning review covered the migration of the billing service, the rollout '
  + 'schedule for the new search index, and the open questions about data retention. The team '
  + 'agreed to keep the current architecture for another release, to measure latency before '
  + 'and after each change, and to write down every assumption that the estimates depend on. ';
const text = (n) => PROSE.repeat(Math.ceil(n / PROSE.length) + 1).slice(0, Math.max(0, n));
const chat = (n) => Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: text(n - 120) }] }));
const completion = (n) => Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion',
  model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop',
    message: { role: 'assistant', content: text(n - 200) } }],
  usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } }));

async function instantiate(config) {
  const wasi = new WASI({ version: 'preview1', args: [], env: {} });
  const calls = new Map();
  const count = (name) => calls.set(name, (calls.get(name) || 0) + 1);
  let inst;
  const mem = () => Buffer.from(inst.exports.memory.buffer);
  const str = (ptr, len) => mem().toString('utf8', ptr, ptr + len);
  const give = (bytes, pp, sp) => {
    // The host hands data over in memory it asks the module to allocate.
    const ptr = bytes.length ? inst.exports.proxy_on_memory_allocate(bytes.length) : 0;
    const m = mem();
    if (bytes.length) bytes.copy(m, ptr);
    m.writeUInt32LE(ptr, pp);
    m.writeUInt32LE(bytes.length, sp);
    return 0;
  };
  const state = { reqHeaders: new Map(), respHeaders: new Map(), reqBody: Buffer.alloc(0),
    respBody: Buffer.alloc(0), local: null, metrics: 0 };
  const maps = [state.reqHeaders, null, state.respHeaders];
  const env = {
    proxy_log: (level, p, s) => {
      count('log');
      if (level >= 3 || process.env.BENCH_V8_LOG) console.error(`log ${level}: ${str(p, s)}`);
      return 0;
    },
    proxy_get_log_level: (p) => { count('get_log_level'); mem().writeUInt32LE(2, p); return 0; },
    proxy_get_header_map_value: (map, kp, ks, vp, vs) => {
      count('get_header');
      const v = maps[map] && maps[map].get(str(kp, ks));
      return v === undefined ? 1 : give(Buffer.from(v), vp, vs);
    },
    proxy_get_header_map_pairs: (map, dp, sp) => {
      count('get_headers');
      const pairs = [...(maps[map] || new Map())];
      const parts = [Buffer.alloc(4 + 8 * pairs.length)];
      parts[0].writeUInt32LE(pairs.length, 0);
      pairs.forEach(([k, v], i) => {
        parts[0].writeUInt32LE(Buffer.byteLength(k), 4 + 8 * i);
        parts[0].writeUInt32LE(Buffer.byteLength(v), 8 + 8 * i);
      });
      for (const [k, v] of pairs) parts.push(Buffer.from(`${k}\0${v}\0`));
      return give(Buffer.concat(parts), dp, sp);
    },
    proxy_replace_header_map_value: (map, kp, ks, vp, vs) => {
      count('set_header'); maps[map].set(str(kp, ks), str(vp, vs)); return 0;
    },
    proxy_remove_header_map_value: (map, kp, ks) => {
      count('remove_header'); maps[map].delete(str(kp, ks)); return 0;
    },
    proxy_add_header_map_value: () => 0,
    proxy_get_buffer_bytes: (buf, start, max, dp, sp) => {
      count(`get_buffer_${buf}`);
      const b = buf === 0 ? state.reqBody : buf === 1 ? state.respBody : Buffer.from(config);
      return give(b.subarray(start >>> 0, Math.min(b.length, (start >>> 0) + (max >>> 0))), dp, sp);
    },
    proxy_set_buffer_bytes: (buf, start, size, dp, ds) => {
      count(`set_buffer_${buf}`);
      const data = Buffer.from(mem().subarray(dp, dp + ds));
      if (buf === 0) state.reqBody = data; else state.respBody = data;
      return 0;
    },
    proxy_get_property: (pp, ps, vp, vs) => {
      count('get_property');
      const key = str(pp, ps);
      if (key === 'xds\0route_name') return give(Buffer.from('llm_api'), vp, vs);
      if (key === 'plugin_root_id') return give(Buffer.from('llm_warden'), vp, vs);
      return 1;
    },
    proxy_set_property: () => { count('set_property'); return 0; },
    proxy_send_local_response: () => { count('send_local_response'); state.local = true; return 0; },
    proxy_define_metric: (kind, np, ns, idp) => {
      count('define_metric'); mem().writeUInt32LE(++state.metrics, idp); return 0;
    },
    proxy_increment_metric: () => { count('increment_metric'); return 0; },
    proxy_set_effective_context: () => 0,
    proxy_get_current_time_nanoseconds: (p) => { mem().writeBigUInt64LE(process.hrtime.bigint(), p); return 0; },
  };
  const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
  const imports = { wasi_snapshot_preview1: wasi.wasiImport, env: {} };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === 'env') imports.env[imp.name] = env[imp.name] || (() => 0);
  }
  inst = await WebAssembly.instantiate(module, imports);
  wasi.initialize(inst);
  const x = inst.exports;
  x.proxy_on_context_create(1, 0);
  x.proxy_on_vm_start(1, 0);
  if (!x.proxy_on_configure(1, Buffer.byteLength(config))) throw new Error('config rejected');
  return { x, state, calls, memory: () => inst.exports.memory.buffer.byteLength };
}

function exchange(vm, id, reqBody, respBody, times) {
  const { x, state } = vm;
  state.reqHeaders = new Map([[':path', '/v1/chat/completions'], [':method', 'POST'],
    [':authority', 'api.example.com'], ['content-type', 'application/json'],
    ['content-length', String(reqBody.length)], ['x-request-id', `req-${id}`]]);
  state.respHeaders = new Map([[':status', '200'], ['content-type', 'application/json'],
    ['content-length', String(respBody.length)]]);
  state.reqBody = reqBody;
  state.respBody = respBody;
  state.local = null;
  const t = [process.hrtime.bigint()];
  x.proxy_on_context_create(id, 1);
  x.proxy_on_request_headers(id, state.reqHeaders.size, 0);
  t.push(process.hrtime.bigint());
  x.proxy_on_request_body(id, reqBody.length, 1);
  t.push(process.hrtime.bigint());
  x.proxy_on_response_headers(id, state.respHeaders.size, 0);
  x.proxy_on_response_body(id, respBody.length, 1);
  t.push(process.hrtime.bigint());
  x.proxy_on_log(id);
  x.proxy_on_done(id);
  x.proxy_on_delete(id);
  t.push(process.hrtime.bigint());
  for (let i = 1; i < t.length; i++) times[i - 1] += Number(t[i] - t[i - 1]);
}

function count(n) {
  const { spawnSync } = require('child_process');
  const refs = (config, size, iters) => {
    const run = spawnSync('valgrind', ['--tool=callgrind', '--smc-check=all-non-file',
      '--callgrind-out-file=/dev/null', process.execPath, '--no-liftoff', '--single-threaded',
      __filename, '--wasm', wasmPath, '--config', config, '--sizes', String(size),
      '--iterations', String(iters)], { stdio: ['ignore', 'ignore', 'pipe'] });
    const out = String(run.stderr);
    const m = out.match(/I\s+refs:\s+([\d,]+)/);
    if (!m) throw new Error(`no instruction count from valgrind:\n${out}`);
    return Number(m[1].replace(/,/g, ''));
  };
  console.log(`module ${path.basename(wasmPath)} ${fs.statSync(wasmPath).size} B · instructions per exchange (callgrind, node ${process.version})`);
  for (const [name, config] of configs) {
    for (const size of sizes) {
      const k = Math.max(2, Math.round(n * Math.min(1, 1024 / size) ** 0.5));
      const per = (refs(config, size, k) - refs(config, size, 0)) / k;
      console.log(`${name.padEnd(8)} ${String(size).padStart(6)} ${Math.round(per).toLocaleString('en').padStart(12)}  (${k} exchanges)`);
    }
  }
}

(async () => {
  if (opt('count', null) !== null) return count(Number(opt('count')));
  const resp = completion(4096);
  console.log(`module ${path.basename(wasmPath)} ${fs.statSync(wasmPath).size} B · node ${process.version} (V8 ${process.versions.v8})`);
  console.log('config   size    µs/exchange  req headers  req body  response  log+delete  host calls/exchange  memory MiB');
  for (const [name, config] of configs) {
    const vm = await instantiate(config);
    let id = 2;
    for (const size of sizes) {
      const req = chat(size);
      const warm = [0, 0, 0, 0];
      for (let i = 0; i < 20; i++) exchange(vm, id++, req, resp, warm);
      vm.calls.clear();
      const times = [0, 0, 0, 0];
      let n = 0;
      const deadline = process.hrtime.bigint() + BigInt(budgetMs) * 1000000n;
      const more = () => (iterations === null ? process.hrtime.bigint() < deadline : n < iterations);
      while (more()) { if (evictBuf.length) evict(); exchange(vm, id++, req, resp, times); n++; }
      if (n === 0) continue;
      const us = times.map((v) => v / n / 1000);
      const total = us.reduce((a, b) => a + b, 0);
      const calls = [...vm.calls].map(([k, v]) => `${k} ${(v / n).toFixed(1)}`).join(', ');
      const cell = (v) => v.toFixed(1).padStart(9);
      console.log(`${name.padEnd(8)} ${String(size).padStart(6)} ${cell(total)}    ${cell(us[0])}  ${cell(us[1])} ${cell(us[2])}  ${cell(us[3])}   ${calls}  ${(vm.memory() / 1048576).toFixed(1)}`);
    }
  }
})().catch((e) => { console.error(e); process.exit(1); });
