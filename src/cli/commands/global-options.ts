/** Options every command accepts. */
export interface GlobalOptions {
  dataDir?: string | undefined;
}
