// Compiles a Noir project with noir_wasm 1.0.0-beta.26 (on NODE_PATH).
// usage: node compile.cjs <project_dir> <out.json>
// The project is mounted at the virtual root `/`, so the artifact's file_map names `/src/main.nr`
// rather than the machine path of the project; bytecode and ABI are unaffected.
const fs = require('fs');
const path = require('path');
const { compile, createFileManager } = require('@noir-lang/noir_wasm');
(async () => {
  const root = path.resolve(process.argv[2]);
  const real = (p) => path.join(root, p);
  const FileManager = createFileManager('/').constructor;
  const fm = new FileManager({
    existsSync: (p) => fs.existsSync(real(p)),
    mkdir: async (d, o) => { await fs.promises.mkdir(real(d), o); },
    writeFile: (p, d) => fs.promises.writeFile(real(p), d),
    readFile: (p, e) => fs.promises.readFile(real(p), e),
    rename: (a, b) => fs.promises.rename(real(a), real(b)),
    readdir: async (d, o) => {
      if (!(o && o.recursive)) return (await fs.promises.readdir(real(d))).map((h) => h.toString());
      const walk = async (v) => {
        const out = [];
        for (const e of await fs.promises.readdir(real(v), { withFileTypes: true })) {
          const child = path.posix.join(v, e.name);
          if (e.isDirectory()) out.push(...(await walk(child))); else out.push(child);
        }
        return out;
      };
      return walk(d);
    },
  }, '/');
  try {
    const out = await compile(fm, '/', () => {}, () => {});
    fs.writeFileSync(process.argv[3], JSON.stringify(out.program));
  } catch (e) { console.error('ERR', e, JSON.stringify(e.cause && e.cause.diagnostics)); process.exit(1); }
})();
