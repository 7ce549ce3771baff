/**
 * `npm run docs:asyncapi`: writes the JSON copy of docs/asyncapi.yaml that the API serves at
 * /asyncapi.json. The image is built from src/ alone (no docs/, no YAML parser), so the API
 * carries the document as JSON; a unit test fails while the copy differs from the YAML.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';

const SOURCE = new URL('../docs/asyncapi.yaml', import.meta.url);
const COPY = new URL('../src/api/openapi/asyncapi-document.json', import.meta.url);

const document: unknown = parse(await readFile(SOURCE, 'utf8'));
const options = await resolveConfig(fileURLToPath(COPY));
await writeFile(COPY, await format(JSON.stringify(document), { ...options, parser: 'json' }));
console.log(`wrote ${fileURLToPath(COPY)}`);
