// Prints the longest production modules and functions and fails when one is over the limit: a module
// over 500 lines or a function over 120 lines is a sign that it holds more than one job (issue 13).
// Production code is every TypeScript/JavaScript file git tracks outside tests and test support.
// Usage: node scripts/code-size.mjs [--top N]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const MAX_MODULE_LINES = 500;
const MAX_FUNCTION_LINES = 120;
const topArg = process.argv.indexOf('--top');
const top = topArg > 0 ? Number(process.argv[topArg + 1]) : 8;

const isTest = (path) =>
  /\.test\.[cm]?[jt]s$/.test(path) || /(^|\/)(tests?|test-support|test-vectors)\//.test(path);
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter((path) => /\.(ts|mts|mjs|js)$/.test(path) && !path.endsWith('.d.ts'))
  .filter((path) => !path.startsWith('node_modules/') && !path.includes('/dist/') && !isTest(path));

const modules = [];
const functions = [];
for (const path of files) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    continue; // deleted in the working tree
  }
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  modules.push({ path, lines: source.getLineAndCharacterOfPosition(text.length).line + 1 });
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      functions.push({ path, line: start + 1, name: nameOf(node), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (node.name && ts.isPrivateIdentifier(node.name)) return node.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

modules.sort((a, b) => b.lines - a.lines);
functions.sort((a, b) => b.lines - a.lines);
console.log(`longest modules (limit ${MAX_MODULE_LINES} lines), of ${modules.length}:`);
for (const m of modules.slice(0, top)) console.log(`  ${String(m.lines).padStart(5)}  ${m.path}`);
console.log(`longest functions (limit ${MAX_FUNCTION_LINES} lines), of ${functions.length}:`);
for (const f of functions.slice(0, top))
  console.log(`  ${String(f.lines).padStart(5)}  ${f.path}:${f.line} ${f.name}`);

const over = [
  ...modules.filter((m) => m.lines > MAX_MODULE_LINES).map((m) => `${m.path} has ${m.lines} lines`),
  ...functions
    .filter((f) => f.lines > MAX_FUNCTION_LINES)
    .map((f) => `${f.path}:${f.line} ${f.name} has ${f.lines} lines`),
];
if (over.length > 0) {
  console.error(`\nover the limit:\n${over.map((o) => `  ${o}`).join('\n')}`);
  process.exit(1);
}
