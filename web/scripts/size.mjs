// Fails when the built UI (dist/assets) is over the budget, gzipped.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { execSync } from "node:child_process";

const budget = 300 * 1024;
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "internal", "dashboard", "dist");
// Without a build (npm test in a fresh clone), build first.
if (!existsSync(join(dist, "assets", "app.js"))) execSync("npx vite build", { stdio: "inherit", cwd: join(dirname(fileURLToPath(import.meta.url)), "..") });
const files = [];
const walk = (d) => {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
};
try {
  walk(join(dist, "assets"));
} catch {
  console.error(`size: no build in ${dist}/assets: run npm run build first`);
  process.exit(1);
}
let total = 0;
for (const f of files) {
  const n = gzipSync(readFileSync(f), { level: 9 }).length;
  total += n;
  console.log(`${(n / 1024).toFixed(1).padStart(8)} KB  ${f.slice(dist.length + 1)}`);
}
const index = join(dist, "index.html");
const html = gzipSync(readFileSync(index), { level: 9 }).length;
console.log(`${(html / 1024).toFixed(1).padStart(8)} KB  index.html (not counted)`);
console.log(`${(total / 1024).toFixed(1).padStart(8)} KB  total gzipped of assets, budget ${budget / 1024} KB`);
if (total > budget) {
  console.error("size: over budget");
  process.exit(1);
}
