/** A store that cannot be used; the message names the file and what is wrong with it. */
export class StoreError extends Error {
  constructor(
    readonly file: string,
    readonly problem: 'corrupt' | 'foreign' | 'other-actor' | 'newer-schema' | 'locked' | 'io',
    detail: string,
  ) {
    super(`store ${file}: ${detail}`);
    this.name = 'StoreError';
  }
}
