import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
const calls = [
 ['usage_completions','{"start_time":"7d","bucket_width":"1h","group_by":["model","project_id","user_id","api_key_id"],"max_items":50}'],
 ['usage_costs','{"start_time":"30d","group_by":["line_item","project_id"],"max_items":30}'],
 ['audit_logs_list','{"max_items":300}'],
 ['projects_list','{"max_items":100,"include_archived":true}'],
 ['users_list','{"max_items":100}'],
 ['invites_list','{"max_items":100}'],
 ['certificates_list','{"max_items":100}'],
];
const texts = [];
for (const [t,a] of calls) {
  const out = execFileSync('node',['dist/src/cli.js','--sandbox','call',t,a],{maxBuffer:1e9,stdio:['ignore','pipe','pipe']}).toString();
  texts.push([t, JSON.stringify(JSON.parse(out))]);
}
texts.push(['random b64', JSON.stringify({v: Array.from({length:50},()=>randomBytes(40).toString('base64'))})]);
texts.push(['random hex', JSON.stringify({v: Array.from({length:50},()=>randomBytes(40).toString('hex'))})]);
texts.push(['unicode esc', JSON.stringify({v: '\u202e\u200b\u0001'.repeat(200)}).replace(/[\u0000-\u001f\u200b-\u202e]/g, c=>'\\u'+c.charCodeAt(0).toString(16).padStart(4,'0'))]);
texts.push(['cjk', JSON.stringify({v: '漢字かなカナ한국어'.repeat(100)})]);
texts.push(['emoji', JSON.stringify({v: '🙂🚀👍🏽'.repeat(100)})]);
texts.push(['prose', JSON.stringify({v: 'The quick brown fox jumps over the lazy dog. '.repeat(100)})]);
texts.push(['digits', JSON.stringify({v: Array.from({length:300},(_, i)=>Math.random()*1e6)})]);
function est(s) {
  let t = 0;
  const re = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|\s+|[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+|[^\x00-\x7f]/gu;
  for (const m of s.matchAll(re)) {
    const c = m[0]; const k = c.charCodeAt(0);
    if (k >= 97 && k <= 122) t += Math.ceil(c.length / 5);
    else if (k >= 65 && k <= 90) t += Math.ceil(c.length / 3);
    else if (k >= 48 && k <= 57) t += Math.ceil(c.length / 3);
    else if (k <= 32) t += 0;
    else if (k < 128) t += Math.ceil(c.length / 2);
    else t += c.length;
  }
  return Math.ceil(t*1.05);
}
function est0(s) {
  let t = 0;
  const re = /[A-Za-z]+|[0-9]+|[\s]+|[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]|[^\x00-\x7f]/gu;
  for (const m of s.matchAll(re)) {
    const c = m[0];
    const k = c.charCodeAt(0);
    if (k < 128 && /[A-Za-z]/.test(c[0])) t += Math.ceil(c.length / 3);
    else if (/[0-9]/.test(c[0])) t += Math.ceil(c.length / 3);
    else if (/\s/.test(c[0])) t += 0;
    else if (k < 128) t += 1;
    else t += c.length; // utf-16 units
  }
  return t;
}
for (const [n, s] of texts) {
  const real = encode(s).length;
  console.log(n.padEnd(18), 'real', real, 'est', est(s), 'ratio', (est(s)/real).toFixed(2), 'bytes/3 ratio', (Buffer.byteLength(s)/3/real).toFixed(2));
}
