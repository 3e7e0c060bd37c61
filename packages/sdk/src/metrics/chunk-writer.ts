/** Characters gathered before a chunk is handed on (about 64 KiB of ASCII). */
const CHUNK_CHARS = 1 << 16;

/**
 * Gathers exposition text into flat chunks of about 64 KiB, so that an HTTP
 * response can be written as it is produced and no single giant string has
 * to be built for a large registry. Pieces are joined per chunk: joining
 * produces a flat string at once, where `+=` would leave a tree of
 * cons-strings to be flattened later in one long pause.
 */
export class ChunkWriter {
  private parts: string[] = [];
  private length = 0;
  private readonly ready: string[] = [];

  /** Appends text. */
  write(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length >= CHUNK_CHARS) this.cut();
  }

  private cut(): void {
    this.ready.push(this.parts.join(''));
    this.parts = [];
    this.length = 0;
  }

  /** Takes the chunks completed so far. */
  takeReady(): string[] {
    return this.ready.splice(0, this.ready.length);
  }

  /** Takes everything, the partial chunk included. */
  takeAll(): string[] {
    if (this.length > 0) this.cut();
    return this.takeReady();
  }
}
