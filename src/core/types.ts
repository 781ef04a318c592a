// The registry's data: what an author asks for and what the registry records about each package.

/** Where a package's source lives; only GitHub repositories, never a URL. */
export interface SourceLocation {
  githubOwner: string;
  githubRepo: string;
  /** A relative directory inside the repository holding the package; absent = the repository root. */
  subdir?: string;
}

/** The request an author writes in a publish issue. */
export interface PublishRequest {
  name: string;
  version: string;
  /** A git tag of the source repository (never a branch or a raw SHA). */
  ref: string;
  location: SourceLocation;
}

/** One published version, as committed to the registry. */
export interface PublishedVersion {
  /** `sha256-<base64>` (Subresource Integrity form) of the canonical tarball. */
  sha256: string;
  bytes: number;
  ref: string;
  /** The 40-hex commit the tag resolved to when the tarball was built. */
  commit: string;
  /** The package's directory in the repository, when not its root: with `commit`, enough to rebuild the tarball. */
  subdir?: string;
  publishedTime: string;
  /** The publish issue that committed this version: only it may resume this version. Absent: published from the CLI. */
  issue?: number;
}

export interface Actor {
  id: number;
  login: string;
}

/** Who rolled a version back: a GitHub user (by id), or a name given at the CLI (`login` only). */
export interface RollbackActor {
  id?: number;
  login: string;
}

/** Audit record of a trustee rollback. */
export interface RollbackRecord {
  version: string;
  sha256: string;
  by: RollbackActor;
  at: string;
  reason: string;
  /** The issue the trustee commented on; absent: rolled back from the CLI. */
  issue?: number;
  commentId?: number;
  cleaned: boolean;
}

/** The content of one package's metadata file in the registry repository. */
export interface PackageMetadata {
  name: string;
  location: { githubOwner: string; githubRepo: string; repositoryId: number };
  published: Record<string, PublishedVersion>;
  rolledBack: RollbackRecord[];
}

/** A commit on the registry branch, as the Registry port reports one it made. */
export interface RegistryCommit {
  sha: string;
  url: string;
}
