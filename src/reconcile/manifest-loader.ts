// Loads a commit's manifests: lists the tree, parses each input file once per blob id (a poll re-parses
// only what changed), and joins Canaries with their targets. Shared by the reconciler and the commands
// that read the repository (status, diff, approve, …).
import { assembleRepository, type AssembledRepository } from '../core/manifests/assemble.js';
import { isManifestPath, parseManifestFile, type ParsedFile } from '../core/manifests/parse-file.js';
import { isGeneratedPath } from '../core/generated-file.js';
import type { Repository } from '../git/repository.js';

export interface LoadedCommit {
  head: string;
  /** Blob id by path, for every manifest and generated file under the root. */
  oids: ReadonlyMap<string, string>;
  assembled: AssembledRepository;
}

export class ManifestLoader {
  private readonly parsed = new Map<string, ParsedFile>();
  private readonly texts = new Map<string, string>();
  private readonly root: string;

  constructor(
    private readonly repo: Pick<Repository, 'listFiles' | 'readBlob'>,
    root: string,
    private readonly defaultNamespace: string,
  ) {
    this.root = root.replace(/^\/+|\/+$/g, '');
  }

  async load(head: string): Promise<LoadedCommit> {
    const files = await this.repo.listFiles(
      head,
      (path) => this.inRoot(path) && (isGeneratedPath(path) || isManifestPath(path)),
    );
    const parsedFiles: ParsedFile[] = [];
    for (const file of files) {
      if (!isGeneratedPath(file.path)) parsedFiles.push(await this.parse(file.path, file.oid));
    }
    return {
      head,
      oids: new Map(files.map((file) => [file.path, file.oid])),
      assembled: assembleRepository(parsedFiles),
    };
  }

  /** The text of a blob; generated files and targets are read only when needed, then kept. */
  async text(oid: string): Promise<string> {
    const cached = this.texts.get(oid);
    if (cached !== undefined) return cached;
    const text = await this.repo.readBlob(oid);
    this.texts.set(oid, text);
    return text;
  }

  private async parse(path: string, oid: string): Promise<ParsedFile> {
    const key = `${oid}:${path}`;
    const cached = this.parsed.get(key);
    if (cached) return cached;
    const parsed = parseManifestFile(path, await this.repo.readBlob(oid), {
      defaultNamespace: this.defaultNamespace,
    });
    this.parsed.set(key, parsed);
    return parsed;
  }

  private inRoot(path: string): boolean {
    return this.root === '' || path.startsWith(`${this.root}/`);
  }
}
