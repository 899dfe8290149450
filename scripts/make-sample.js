#!/usr/bin/env node
/**
 * Builds the bundled sample (sample/orders/online_retail_sample.csv.gz) from the full UCI Online
 * Retail file in ../shared/data/online_retail (CC BY 4.0, Daqing Chen, UCI ML Repository).
 * Deterministic: the same input gives the same bytes. Lines are copied unchanged, in file order.
 *
 *   node scripts/make-sample.js [--data <dir with online_retail/online_retail.csv.gz>]
 *
 * What it keeps (see sample/ATTRIBUTION.md):
 * - 40 SKUs with every one of their lines (sales, cancellations, adjustments, zero prices,
 *   duplicates, lower-case variants of the code): 12 fast movers, 14 regular movers, 14 slow or
 *   intermittent movers, chosen by rank so the choice is reproducible;
 * - quarantine cases beyond those: lines of the non-product codes POST, DOT, M, BANK CHARGES,
 *   AMAZONFEE, CRUK, C2, D, S (every k-th line, ≤ 30 each), the bad-debt "A" invoices, stock
 *   write-offs (quantity ≤ 0 on non-C invoices, ≤ 60), and lower-case SKUs (≤ 60).
 */
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { parse } = require('csv-parse/sync');

const root = path.resolve(__dirname, '..');
const argDir = process.argv.indexOf('--data');
const dataDir = argDir > 0 ? path.resolve(process.argv[argDir + 1]) : path.resolve(root, '../shared/data');
const input = path.join(dataDir, 'online_retail', 'online_retail.csv.gz');
const outDir = path.join(root, 'sample', 'orders');
const output = path.join(outDir, 'online_retail_sample.csv.gz');

const nonProductCodes = ['POST', 'DOT', 'M', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'C2', 'D', 'S'];

async function* lines() {
  const rl = readline.createInterface({ input: fs.createReadStream(input).pipe(zlib.createGunzip()), crlfDelay: Infinity });
  let header;
  for await (const text of rl) {
    if (header === undefined) {
      header = text;
      yield { header };
      continue;
    }
    const [f] = parse(text, { relax_quotes: true });
    yield { text, invoice: f[0], code: f[1], description: f[2], quantity: Number(f[3]), date: f[4], price: Number(f[5]) };
  }
}

const isProductCode = (code) => /^\d{5}/.test(code);
const weekOf = (date) => Math.floor((Date.parse(`${date.slice(0, 10)}T00:00:00Z`) - Date.UTC(2010, 10, 29)) / (7 * 86400000));

async function main() {
  if (!fs.existsSync(input)) {
    console.error(`make-sample: ${input} is absent; nothing to do (see ../shared/data/online_retail/README.md)`);
    process.exitCode = 1;
    return;
  }
  // Pass 1: per product SKU (upper-cased), sale lines, active weeks, first and last sale.
  const stats = new Map();
  for await (const l of lines()) {
    if (l.header || !isProductCode(l.code) || l.invoice.startsWith('C') || l.quantity <= 0 || l.price <= 0) continue;
    const sku = l.code.toUpperCase();
    const s = stats.get(sku) ?? { sku, lines: 0, weeks: new Set(), first: l.date, last: l.date };
    s.lines++;
    s.weeks.add(weekOf(l.date));
    s.last = l.date;
    stats.set(sku, s);
  }
  const all = [...stats.values()].sort((a, b) => b.lines - a.lines || (a.sku < b.sku ? -1 : 1));
  const every = (list, n) => list.filter((_, i) => i % Math.max(1, Math.floor(list.length / n)) === 0).slice(0, n);
  const fast = every(all.slice(0, 36), 12);
  const regular = every(
    all.filter((s) => s.lines >= 150 && s.lines <= 400 && s.weeks.size >= 40),
    14,
  );
  const slow = every(
    all.filter(
      (s) => s.lines >= 15 && s.lines <= 60 && s.weeks.size >= 8 && s.weeks.size <= 30 && s.first < '2011-03-01' && s.last > '2011-09-01',
    ),
    14,
  );
  const chosen = new Set([...fast, ...regular, ...slow].map((s) => s.sku));

  // Pass 2: keep the chosen SKUs' lines and the quarantine cases.
  const perCode = new Map();
  const codeTotals = new Map();
  for await (const l of lines())
    if (!l.header && nonProductCodes.includes(l.code)) codeTotals.set(l.code, (codeTotals.get(l.code) ?? 0) + 1);
  let writeOffs = 0;
  let lowerCase = 0;
  const seen = new Set();
  const counts = {
    lines: 0,
    cancellations: 0,
    quantityNotPositive: 0,
    priceNotPositive: 0,
    nonProduct: 0,
    exactDuplicates: 0,
    lowerCaseSku: 0,
    missingCustomer: 0,
    badDebt: 0,
  };
  const descriptions = new Map();
  const kept = [];
  let header;
  for await (const l of lines()) {
    if (l.header) {
      header = l.header;
      continue;
    }
    let keep = chosen.has(l.code.toUpperCase());
    if (!keep && nonProductCodes.includes(l.code)) {
      const n = perCode.get(l.code) ?? 0;
      perCode.set(l.code, n + 1);
      const step = Math.max(1, Math.floor((codeTotals.get(l.code) ?? 1) / 30));
      keep = n % step === 0 && Math.floor(n / step) < 30;
    }
    if (!keep && l.invoice.startsWith('A')) keep = true;
    if (!keep && !l.invoice.startsWith('C') && l.quantity <= 0 && writeOffs < 60 && isProductCode(l.code)) keep = ++writeOffs > 0;
    if (!keep && /[a-z]$/.test(l.code) && lowerCase < 60) keep = ++lowerCase > 0;
    if (!keep) continue;
    kept.push(l.text);
    counts.lines++;
    if (l.invoice.startsWith('C')) counts.cancellations++;
    if (l.invoice.startsWith('A')) counts.badDebt++;
    if (l.quantity <= 0) counts.quantityNotPositive++;
    if (l.price <= 0) counts.priceNotPositive++;
    if (!isProductCode(l.code)) counts.nonProduct++;
    if (/[a-z]$/.test(l.code)) counts.lowerCaseSku++;
    if (l.text.split(',').slice(-2, -1)[0] === '') counts.missingCustomer++;
    if (l.description !== l.description.trim()) counts.descriptionsWithOuterSpaces = (counts.descriptionsWithOuterSpaces ?? 0) + 1;
    if (seen.has(l.text)) counts.exactDuplicates++;
    seen.add(l.text);
    if (isProductCode(l.code) && l.description) {
      const set = descriptions.get(l.code.toUpperCase()) ?? new Set();
      set.add(l.description);
      descriptions.set(l.code.toUpperCase(), set);
    }
  }
  counts.skusWithSeveralDescriptions = [...descriptions.values()].filter((s) => s.size > 1).length;

  fs.mkdirSync(outDir, { recursive: true });
  const csv = `${header}\n${kept.join('\n')}\n`;
  const gz = zlib.gzipSync(Buffer.from(csv), { level: 9 });
  fs.writeFileSync(output, gz);
  const summary = {
    source: 'UCI Online Retail (CC BY 4.0), Daqing Chen, UCI Machine Learning Repository',
    input: 'online_retail/online_retail.csv.gz (sha256 of .gz 737745256ddb4410bfe4e29f2dcb72329b7486e584837f1e84f9a07416cf7d45)',
    output: 'online_retail_sample.csv.gz',
    bytes: gz.byteLength,
    sha256: crypto.createHash('sha256').update(gz).digest('hex'),
    skus: {
      fast: fast.map((s) => ({ sku: s.sku, saleLines: s.lines, activeWeeks: s.weeks.size })),
      regular: regular.map((s) => ({ sku: s.sku, saleLines: s.lines, activeWeeks: s.weeks.size })),
      slowOrIntermittent: slow.map((s) => ({ sku: s.sku, saleLines: s.lines, activeWeeks: s.weeks.size })),
    },
    counts,
  };
  fs.writeFileSync(path.join(outDir, 'sample-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`make-sample: wrote ${path.relative(root, output)} (${gz.byteLength} bytes, ${counts.lines} lines)`);
  console.log(JSON.stringify(counts));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
