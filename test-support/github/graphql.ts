// Answers POST /graphql: validates each document against GitHub's published schema, then runs our resolvers.
import {
  GraphQLError,
  Kind,
  buildSchema,
  execute,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { GitRepo, Identity, TreeEntry } from './git.js';
import type { Repository, User } from './model.js';
import { nodeId, noreplyEmail } from './model.js';
import { repoApi, repoHtml, type Urls } from './payloads.js';

let schema: Promise<GraphQLSchema> | undefined;

/** GitHub's schema, built once per process (~0.3 s) on the first GraphQL request. */
export function graphqlSchema(): Promise<GraphQLSchema> {
  schema ??= import('@octokit/graphql-schema').then(({ schema: published }) =>
    // The published SDL repeats a few fields; GitHub's server does not care, and neither do documents.
    buildSchema(published.idl, { assumeValidSDL: true }),
  );
  return schema;
}

export type CommitOutcome = { ok: true; sha: string } | { ok: false; reason: 'stale' | 'no-branch' | 'bad-path'; detail?: string };

/** What the resolvers need from the emulator. */
export interface GraphqlWorld {
  urls: Urls;
  actor: User;
  repository(owner: string, name: string): Repository | undefined;
  /** A ref read by name (stale right after an update while the emulator's stale reads are on). */
  readRef(repo: Repository, fullName: string): Promise<{ sha: string; type: string } | undefined>;
  /** A client-named revision → commit SHA: exact for a SHA, possibly stale for a branch name. */
  resolveRead(repo: Repository, rev: string): Promise<string | undefined>;
  /** Whether this request's (lagging) replica lacks the commit `sha`; always false without replica lag. */
  replicaLacks(repo: Repository, sha: string): Promise<boolean>;
  commitOnBranch(
    repo: Repository,
    branch: string,
    expectedHead: string,
    changes: Map<string, Buffer | null>,
    message: string,
    author: Identity,
    committer: Identity,
  ): Promise<CommitOutcome>;
}

export interface GraphqlAnswer {
  status: number;
  body: unknown;
  /** Root fields of the executed operation (`graphql:<field>` in the request log). */
  rootFields: string[];
  operationName: string | undefined;
  violations: string[];
}

interface Context {
  world: GraphqlWorld;
  violations: string[];
}

/** An error shaped like GitHub's: a `type` next to the message (STALE_DATA, NOT_FOUND, …). */
function githubError(type: string | undefined, message: string): GraphQLError {
  return new GraphQLError(message, type ? { extensions: { type } } : {});
}

function formatError(error: GraphQLError): Record<string, unknown> {
  const json = error.toJSON() as unknown as Record<string, unknown> & { extensions?: Record<string, unknown> };
  const type = json.extensions?.['type'];
  const out: Record<string, unknown> = {};
  if (typeof type === 'string') out['type'] = type;
  if (json['path']) out['path'] = json['path'];
  if (json['locations']) out['locations'] = json['locations'];
  out['message'] = json['message'];
  if (json.extensions && typeof type !== 'string') out['extensions'] = json.extensions;
  return out;
}

/** Resolves from the source object like graphql-js does, but names fields the emulator does not implement. */
const fieldResolver: GraphQLFieldResolver<unknown, Context> = (source, args, context, info) => {
  if (typeof source === 'object' && source !== null && info.fieldName in source) {
    const value = (source as Record<string, unknown>)[info.fieldName];
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).call(source, args, context, info) : value;
  }
  const message = `The GitHub emulator does not implement ${info.parentType.name}.${info.fieldName}`;
  context.violations.push(`graphql: ${message}`);
  throw new GraphQLError(message);
};

function commitNode(world: GraphqlWorld, repo: Repository, sha: string) {
  let parsed: ReturnType<GitRepo['parseCommit']> | undefined;
  const commit = () => (parsed ??= repo.git.parseCommit(sha));
  const message = async () => (await commit()).message.replace(/\n$/, '');
  const url = `${repoHtml(world.urls, repo)}/commit/${sha}`;
  return {
    __typename: 'Commit',
    id: nodeId('Commit', `${repo.id}:${sha}`),
    oid: sha,
    abbreviatedOid: sha.slice(0, 7),
    url,
    commitUrl: url,
    resourcePath: new URL(url).pathname,
    message,
    messageHeadline: async () => (await message()).split('\n')[0] ?? '',
    messageBody: async () => (await message()).split('\n').slice(2).join('\n'),
    committedDate: async () => (await commit()).committer.date.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    authoredDate: async () => (await commit()).author.date.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    tree: async () => ({ __typename: 'Tree', oid: (await commit()).tree, id: nodeId('Tree', (await commit()).tree) }),
    tarballUrl: `${repoApi(world.urls, repo)}/tarball/${sha}`,
    repository: () => repositoryNode(world, repo),
    // The entry at `path` in this commit's tree, or null when the tree has nothing there.
    file: async ({ path }: { path: string }) => {
      const parts = path.replace(/^\/+|\/+$/g, '').split('/');
      if (parts.some((p) => p === '')) return null;
      const clean = parts.join('/');
      const entry = await repo.git.entryAt(sha, clean);
      return entry ? treeEntryNode(world, repo, clean, entry) : null;
    },
  };
}

/** Git's octal mode as the number GitHub's `TreeEntry.mode` answers: 100644 → 33188, 040000 → 16384. */
function numericMode(mode: string): number {
  return parseInt(mode, 8);
}

/** A `TreeEntry`: one name in a tree, with what it names (`object`) resolved lazily. */
function treeEntryNode(world: GraphqlWorld, repo: Repository, path: string, entry: TreeEntry) {
  return {
    __typename: 'TreeEntry',
    name: entry.name,
    nameRaw: Buffer.from(entry.name).toString('base64'),
    path,
    pathRaw: Buffer.from(path).toString('base64'),
    // git's own type word: "blob", "tree", or "commit" for a submodule.
    type: entry.type,
    oid: entry.sha,
    mode: numericMode(entry.mode),
    size: async () => (entry.type === 'blob' ? repo.git.blobSize(entry.sha) : 0),
    // A submodule's commit lives in another repository: there is no object here to answer.
    object: () => (entry.type === 'commit' ? null : objectNode(world, repo, entry.sha)),
    repository: () => repositoryNode(world, repo),
  };
}

/**
 * `Blob.text` stops at 512,000 bytes and `isTruncated` says so: sveltia/sveltia-cms#950 (2026) measured the
 * cut "at exactly 512,000 bytes per blob"; orbiting/backends#116 (2018) saw it "after 500kb". GitHub's
 * handling of a UTF-8 sequence split by the cut is not documented: the emulator drops the partial character.
 */
export const BLOB_TEXT_LIMIT = 512_000;

/** The text of the first `limit` bytes, without a trailing partial UTF-8 sequence. */
function truncatedText(bytes: Buffer, limit: number): string {
  let end = Math.min(limit, bytes.length);
  if (end < bytes.length) {
    // Step back over continuation bytes (10xxxxxx) to the start of the character the cut falls in.
    let start = end;
    while (start > 0 && start > end - 4 && (bytes[start]! & 0xc0) === 0x80) start--;
    end = start;
  }
  return bytes.subarray(0, end).toString('utf8');
}

function blobNode(world: GraphqlWorld, repo: Repository, sha: string) {
  let loaded: Promise<Buffer> | undefined;
  const bytes = () => (loaded ??= repo.git.run(['cat-file', 'blob', sha]));
  // git's own test for binary content: a NUL byte in the first 8,000 bytes.
  const binary = async () => (await bytes()).subarray(0, 8000).includes(0);
  return {
    __typename: 'Blob',
    id: nodeId('Blob', sha),
    oid: sha,
    abbreviatedOid: sha.slice(0, 7),
    byteSize: () => repo.git.blobSize(sha),
    isBinary: binary,
    isTruncated: async () => (await repo.git.blobSize(sha)) > BLOB_TEXT_LIMIT,
    text: async () => ((await binary()) ? null : truncatedText(await bytes(), BLOB_TEXT_LIMIT)),
    repository: () => repositoryNode(world, repo),
  };
}

async function objectNode(world: GraphqlWorld, repo: Repository, sha: string): Promise<unknown> {
  const type = await repo.git.objectType(sha);
  if (type === 'commit') return commitNode(world, repo, sha);
  if (type === 'tag') {
    const tag = await repo.git.parseTag(sha);
    return {
      __typename: 'Tag',
      id: nodeId('Tag', `${repo.id}:${sha}`),
      oid: sha,
      abbreviatedOid: sha.slice(0, 7),
      name: tag.tag,
      message: tag.message.replace(/\n$/, ''),
      target: () => objectNode(world, repo, tag.object),
    };
  }
  if (type === 'tree') return { __typename: 'Tree', id: nodeId('Tree', sha), oid: sha, abbreviatedOid: sha.slice(0, 7) };
  if (type === 'blob') return blobNode(world, repo, sha);
  return null;
}

/** `exact` reads the ref itself (a mutation's own result); otherwise it is a read by name, which may lag. */
async function refNode(world: GraphqlWorld, repo: Repository, qualifiedName: string, exact = false) {
  const candidates = qualifiedName.startsWith('refs/')
    ? [qualifiedName]
    : [`refs/heads/${qualifiedName}`, `refs/tags/${qualifiedName}`];
  for (const name of candidates) {
    const found = exact ? await repo.git.ref(name) : await world.readRef(repo, name);
    if (!found) continue;
    const parts = name.split('/');
    return {
      __typename: 'Ref',
      id: nodeId('Ref', `${repo.id}:${name}`),
      name: parts.slice(2).join('/'),
      prefix: `${parts.slice(0, 2).join('/')}/`,
      target: () => objectNode(world, repo, found.sha),
      repository: () => repositoryNode(world, repo),
    };
  }
  return null;
}

function repositoryNode(world: GraphqlWorld, repo: Repository) {
  return {
    __typename: 'Repository',
    id: nodeId('Repository', repo.id),
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: `${repo.owner.login}/${repo.name}`,
    url: repoHtml(world.urls, repo),
    isPrivate: repo.private,
    defaultBranchRef: () => refNode(world, repo, `refs/heads/${repo.defaultBranch}`),
    ref: ({ qualifiedName }: { qualifiedName: string }) => refNode(world, repo, qualifiedName),
    object: async ({ oid, expression }: { oid?: string; expression?: string }) => {
      // A lagging replica lacks its branches' newest commits: null, as for any oid it does not hold.
      if (oid) return (await repo.git.objectType(oid)) && !(await world.replicaLacks(repo, oid)) ? objectNode(world, repo, oid) : null;
      if (!expression) return null;
      const colon = expression.indexOf(':');
      const rev = colon === -1 ? expression : expression.slice(0, colon);
      const commit = await world.resolveRead(repo, rev);
      if (!commit) return null;
      if (colon === -1) return commitNode(world, repo, commit);
      const entry = await repo.git.entryAt(commit, expression.slice(colon + 1));
      return entry ? objectNode(world, repo, entry.sha) : null;
    },
  };
}

interface CreateCommitInput {
  clientMutationId?: string | null;
  branch: { repositoryNameWithOwner?: string | null; branchName?: string | null; id?: string | null };
  expectedHeadOid: string;
  message: { headline: string; body?: string | null };
  fileChanges?: { additions?: Array<{ path: string; contents: string }> | null; deletions?: Array<{ path: string }> | null } | null;
}

function badPath(path: string): boolean {
  return path === '' || path.startsWith('/') || path.endsWith('/') || path.split('/').some((p) => p === '' || p === '.' || p === '..' || p === '.git');
}

function rootValue(world: GraphqlWorld) {
  const findRepo = (owner: string, name: string) => {
    const repo = world.repository(owner, name);
    if (!repo) throw githubError('NOT_FOUND', `Could not resolve to a Repository with the name '${owner}/${name}'.`);
    return repo;
  };
  return {
    repository: ({ owner, name }: { owner: string; name: string }) => repositoryNode(world, findRepo(owner, name)),
    createCommitOnBranch: async ({ input }: { input: CreateCommitInput }) => {
      const { branch, expectedHeadOid } = input;
      if (!branch.repositoryNameWithOwner || !branch.branchName) {
        throw githubError('UNPROCESSABLE', 'The emulator needs branch.repositoryNameWithOwner and branch.branchName.');
      }
      const [owner = '', name = ''] = branch.repositoryNameWithOwner.split('/');
      const repo = findRepo(owner, name);
      const changes = new Map<string, Buffer | null>();
      for (const deletion of input.fileChanges?.deletions ?? []) changes.set(deletion.path, null);
      for (const addition of input.fileChanges?.additions ?? []) {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(addition.contents) || addition.contents.length % 4 !== 0) {
          throw githubError('UNPROCESSABLE', `contents of ${addition.path} is not valid base64`);
        }
        changes.set(addition.path, Buffer.from(addition.contents, 'base64'));
      }
      const invalid = [...changes.keys()].find(badPath);
      if (invalid !== undefined) throw githubError('UNPROCESSABLE', `Invalid path: ${JSON.stringify(invalid)}`);
      const body = input.message.body ?? '';
      const message = body ? `${input.message.headline}\n\n${body}` : input.message.headline;
      // Commits made through the API are authored by the token's user and committed by GitHub.
      const author = { name: world.actor.login, email: noreplyEmail(world.actor) };
      const committer = { name: 'GitHub', email: 'noreply@github.com' };
      const outcome = await world.commitOnBranch(repo, branch.branchName, expectedHeadOid, changes, message, author, committer);
      if (!outcome.ok) {
        if (outcome.reason === 'stale') {
          throw githubError('STALE_DATA', `Expected branch to point to "${expectedHeadOid}" but it did not. Pull and try again.`);
        }
        if (outcome.reason === 'no-branch') {
          throw githubError('NOT_FOUND', `A ref named "refs/heads/${branch.branchName}" does not exist.`);
        }
        throw githubError('UNPROCESSABLE', outcome.detail ?? 'Invalid file changes');
      }
      return {
        clientMutationId: input.clientMutationId ?? null,
        commit: commitNode(world, repo, outcome.sha),
        ref: () => refNode(world, repo, `refs/heads/${branch.branchName}`, true),
      };
    },
  };
}

function selectedOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  return operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
}

/** The root fields a request's operation selects, without running it (for hooks that fire before handling). */
export function rootFieldsOf(request: unknown): string[] {
  if (typeof request !== 'object' || request === null) return [];
  const { query, operationName } = request as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return [];
  try {
    const operation = selectedOperation(parse(query), typeof operationName === 'string' ? operationName : undefined);
    return operation?.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])) ?? [];
  } catch {
    return [];
  }
}

export async function answerGraphql(world: GraphqlWorld, request: unknown): Promise<GraphqlAnswer> {
  const violations: string[] = [];
  const answer = (status: number, body: unknown, rootFields: string[] = [], operationName?: string): GraphqlAnswer => ({
    status,
    body,
    rootFields,
    operationName,
    violations,
  });
  if (typeof request !== 'object' || request === null || typeof (request as { query?: unknown }).query !== 'string') {
    violations.push('graphql: the request body is not {"query": "..."}');
    return answer(400, { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' });
  }
  const { query, variables, operationName } = request as { query: string; variables?: Record<string, unknown>; operationName?: string };
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (error) {
    const gqlError = error as GraphQLError;
    violations.push(`graphql: syntax error: ${gqlError.message}`);
    return answer(200, { errors: [formatError(gqlError)] });
  }
  const operation = selectedOperation(document, operationName ?? undefined);
  const rootFields = rootFieldsOf(request);
  const name = operation?.name?.value;
  const published = await graphqlSchema();
  const errors = validate(published, document);
  if (errors.length > 0) {
    violations.push(...errors.map((e) => `graphql: invalid document: ${e.message}`));
    return answer(200, { errors: errors.map(formatError) }, rootFields, name);
  }
  const context: Context = { world, violations };
  const result = await execute({
    schema: published,
    document,
    rootValue: rootValue(world),
    contextValue: context,
    variableValues: variables ?? {},
    operationName: operationName ?? undefined,
    fieldResolver,
  });
  if (!('data' in result) || result.data === undefined) {
    // Variables that do not fit the document never reach a resolver: a client bug.
    violations.push(...(result.errors ?? []).map((e) => `graphql: ${e.message}`));
  }
  const body: Record<string, unknown> = {};
  if (result.data !== undefined) body['data'] = result.data;
  if (result.errors) body['errors'] = result.errors.map(formatError);
  return answer(200, body, rootFields, name);
}
