// Records the witness the Noir toolchain itself produces, for byte-for-byte comparison.
// usage: node record_witness.cjs <artifact.json> <inputs.json> <out witness.gz>
// Needs `@noir-lang/noir_js@1.0.0-beta.26` (with its dependencies) on NODE_PATH.
const fs = require('fs');
const { Noir } = require('@noir-lang/noir_js');
(async () => {
  const artifact = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const inputs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  try {
    const { witness } = await new Noir(artifact).execute(inputs);
    fs.writeFileSync(process.argv[4], Buffer.from(witness));
  } catch (e) {
    console.error('execution failed:', e.message);
    process.exit(1);
  }
})();
