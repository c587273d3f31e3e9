/**
 * The mailboxes on disk: `<dataDir>/mailboxes/<ext>/msg-0001.wav`, `msg-0002.wav`, ... with an
 * `index.json` beside them that says who left each message, when, and whether it has been heard
 * (Exchange marks a voice message read once it is played). A WAV without an index entry (copied in
 * by hand) counts as a new message. Synchronous fs: a few small files per call, never in the media path.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageDirectory, StoredMessage } from './menu-engine.js';

export interface MessageRecord {
  id: string;
  file: string;
  from?: string;
  /** Wall-clock time the message was recorded (ISO 8601). */
  receivedAt?: string;
  durationMs?: number;
  heard: boolean;
}

interface MailboxIndex {
  messages: MessageRecord[];
}

const MESSAGE_FILE = /^msg-(\d{4,})\.wav$/;

export class MailboxStore implements MessageDirectory {
  constructor(readonly dataDir: string) {}

  folder(mailbox: string): string {
    if (!/^[0-9A-Za-z+._-]+$/.test(mailbox)) throw new Error(`mailbox "${mailbox}" is not a valid folder name`);
    return join(this.dataDir, 'mailboxes', mailbox);
  }

  /** The path for the next message (creates the folder): msg-0001.wav, msg-0002.wav, ... */
  nextMessagePath(mailbox: string): { id: string; path: string } {
    const dir = this.folder(mailbox);
    mkdirSync(dir, { recursive: true });
    let max = 0;
    for (const f of readdirSync(dir)) {
      const m = MESSAGE_FILE.exec(f);
      if (m) max = Math.max(max, Number(m[1]));
    }
    for (const r of this.read(mailbox).messages) {
      const m = MESSAGE_FILE.exec(r.file);
      if (m) max = Math.max(max, Number(m[1]));
    }
    const id = `msg-${String(max + 1).padStart(4, '0')}`;
    return { id, path: join(dir, `${id}.wav`) };
  }

  /** Record a finished message in the index. */
  addMessage(mailbox: string, record: Omit<MessageRecord, 'heard' | 'file'>): void {
    const index = this.read(mailbox);
    index.messages = index.messages.filter((m) => m.id !== record.id);
    index.messages.push({ ...record, file: `${record.id}.wav`, heard: false });
    this.write(mailbox, index);
  }

  /** Remove a message (a recording with nothing said in it). */
  discard(mailbox: string, id: string): void {
    rmSync(join(this.folder(mailbox), `${id}.wav`), { force: true });
    const index = this.read(mailbox);
    index.messages = index.messages.filter((m) => m.id !== id);
    this.write(mailbox, index);
  }

  /** Every message, oldest first. */
  list(mailbox: string): MessageRecord[] {
    const dir = this.folder(mailbox);
    if (!existsSync(dir)) return [];
    const index = this.read(mailbox);
    const known = new Set(index.messages.map((m) => m.file));
    const out = index.messages.filter((m) => existsSync(join(dir, m.file)));
    for (const f of readdirSync(dir).sort()) {
      const m = MESSAGE_FILE.exec(f);
      if (m && !known.has(f)) out.push({ id: f.replace(/\.wav$/, ''), file: f, heard: false });
    }
    return out.sort((a, b) => a.file.localeCompare(b.file));
  }

  newMessages(mailbox: string): StoredMessage[] {
    const dir = this.folder(mailbox);
    return this.list(mailbox).filter((m) => !m.heard).map((m) => ({ id: m.id, path: join(dir, m.file) }));
  }

  markHeard(mailbox: string, id: string): void {
    const index = this.read(mailbox);
    const entry = index.messages.find((m) => m.id === id);
    if (entry) entry.heard = true;
    else index.messages.push({ id, file: `${id}.wav`, heard: true });
    this.write(mailbox, index);
  }

  private read(mailbox: string): MailboxIndex {
    const path = join(this.folder(mailbox), 'index.json');
    if (!existsSync(path)) return { messages: [] };
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as MailboxIndex;
      return Array.isArray(parsed.messages) ? parsed : { messages: [] };
    } catch {
      return { messages: [] };
    }
  }

  /** Write-then-rename, so a killed server never leaves half an index. */
  private write(mailbox: string, index: MailboxIndex): void {
    const dir = this.folder(mailbox);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, 'index.json.tmp');
    writeFileSync(tmp, `${JSON.stringify(index, null, 2)}\n`);
    renameSync(tmp, join(dir, 'index.json'));
  }
}
