import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ChainVerifier, type ChainReport } from './export-chain';

/**
 * Checks a chained export (a file, or `-` for stdin) line by line: every hash, every link to the
 * line before, the digest line, and, when given, the digest the exporter printed. Reads the file
 * as a stream: memory does not grow with its size.
 * @throws the file's read error (ENOENT, EACCES).
 */
export async function verifyExport(file: string, expectedDigest?: string): Promise<ChainReport> {
  const input: Readable = file === '-' ? process.stdin : createReadStream(file, { encoding: 'utf8' });
  const verifier = new ChainVerifier(expectedDigest);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const failed = new Promise<never>((_resolve, reject) => input.once('error', reject));
  const read = (async () => {
    for await (const line of lines) verifier.line(line);
  })();
  await Promise.race([read, failed]);
  return verifier.end();
}
