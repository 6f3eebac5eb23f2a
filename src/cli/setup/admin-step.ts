import { nameRule } from '../../config/names.js';
import { hashPassword } from '../../web/auth/password-hash.js';
import { isPlain, plainAt, textAt, type SetupDraft } from './draft.js';
import { usageError, type Prompter } from './prompt.js';

const userName = nameRule(32);
const MAX_PASSWORD = 128;

function passwordProblem(pw: string): string | null {
  if (pw.length > MAX_PASSWORD) return `the password is longer than ${MAX_PASSWORD} characters`;
  if (Array.from({ length: pw.length }, (_, i) => pw.charCodeAt(i)).some((c) => c < 0x20 || c === 0x7f)) {
    return 'the password contains control characters';
  }
  return null;
}

/**
 * Step 4: the web console's admin. The password is asked twice without echo on a terminal (or read from
 * --admin-password-file) and only its scrypt hash is kept; an existing admin keeps theirs when none is given.
 */
export async function adminStep(p: Prompter, draft: SetupDraft): Promise<void> {
  const users = plainAt(draft.existing, 'users');
  const list = Array.isArray(users) ? users.filter(isPlain) : [];
  const firstAdmin = list.find((u) => u.role === 'admin');
  const name = await p.ask({
    flag: 'admin-user',
    text: 'Web console admin user',
    default: textAt(firstAdmin, 'name') ?? 'admin',
    check: (v) => (userName.safeParse(v).success ? null : '1-32 letters, digits, dot, dash or underscore'),
  });
  const existing = list.find((u) => u.name === name);
  const hasPassword =
    existing !== undefined && ['password_hash', 'password_file', 'password_env', 'password'].some((k) => k in existing);
  for (let i = 0; ; i++) {
    const password = await p.secret('admin-password-file', `Password for ${name}`, hasPassword);
    if (password === null) {
      p.say(`  ${name} keeps the current password`);
      draft.admin = { name, hash: null };
      return;
    }
    const problem = passwordProblem(password);
    if (problem === null) {
      draft.admin = { name, hash: await hashPassword(password) };
      return;
    }
    if (!p.interactive || p.has('admin-password-file') || i >= 2) throw usageError(`--admin-password-file: ${problem}`);
    p.say(`  ${problem}`);
  }
}
